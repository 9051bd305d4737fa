//go:build unix

package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe where the file should be is refused at once, by the path
// check and by the open alone (a pipe swapped in after the check).
func TestReadNamedPipe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for name, read := range map[string]func(string, int) ([]byte, os.FileInfo, error){"Read": Read, "ReadOpened": ReadOpened} {
		done := make(chan error, 1)
		go func() {
			_, _, err := read(p, 1<<20)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "named pipe") {
				t.Errorf("%s: err = %v", name, err)
			}
		case <-time.After(10 * time.Second): // a bound on the bug, not a wait for success
			if w, werr := os.OpenFile(p, os.O_WRONLY, 0); werr == nil {
				w.Close()
			}
			<-done
			t.Fatalf("%s: reading a named pipe hung", name)
		}
	}
}

// A device is refused without a byte read; an oversized file is refused
// after the bound, not read whole.
func TestReadBounded(t *testing.T) {
	if _, _, err := Read("/dev/zero", 1<<20); err == nil || !strings.Contains(err.Error(), "device") {
		t.Errorf("/dev/zero: %v", err)
	}
	if _, _, err := ReadOpened("/dev/zero", 1<<10); err == nil || !strings.Contains(err.Error(), "device") {
		t.Errorf("/dev/zero opened: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Read(big, 1024); err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("big file: %v", err)
	}
	if b, _, err := Read(big, 2048); err != nil || len(b) != 2048 {
		t.Errorf("at the bound: %d bytes, %v", len(b), err)
	}
	if _, _, err := Read(filepath.Join(t.TempDir(), "none"), 10); !errors.Is(err, ErrNoFile) {
		t.Errorf("missing: %v", err)
	}
	if _, _, err := Read(t.TempDir(), 10); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
}
