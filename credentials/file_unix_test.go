//go:build unix

package credentials

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe where the file should be is refused at once: reading it
// would wait for a writer forever.
func TestFileNamedPipe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for name, prov := range bothReaders(p) {
		done := make(chan error, 1)
		go func() {
			_, err := prov.Retrieve(context.Background())
			done <- err
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(5 * time.Second): // a bound on the bug, not a wait for success
			if w, werr := os.OpenFile(p, os.O_WRONLY, 0); werr == nil { // let the stuck reader go
				w.Close()
			}
			<-done
			t.Fatalf("%s: reading a named pipe hung", name)
		}
		if err == nil || !strings.Contains(err.Error(), "named pipe") || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v", name, err)
		}
		var se *SourceError
		if !errors.As(err, &se) {
			t.Errorf("%s: not a *SourceError: %v", name, err)
		}
	}
}
