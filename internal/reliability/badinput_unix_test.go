//go:build unix

package reliability

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// specialFiles makes files no one can read as a credentials file whatever
// their permissions, and the error each must give: a named pipe (a
// blocking open would wait for a writer forever), a socket, and a symlink
// to /dev/zero (a device with no end).
func specialFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	out[fifo] = `: unreadable: is a named pipe \(FIFO\), not a regular file$`
	sock := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out[sock] = `: unreadable: is a socket, not a regular file$`
	if _, err := os.Stat("/dev/zero"); err == nil {
		dev := filepath.Join(dir, "zero")
		if err := os.Symlink("/dev/zero", dev); err != nil {
			t.Fatal(err)
		}
		out[dev] = `: unreadable: is a device, not a regular file$`
	}
	return out
}
