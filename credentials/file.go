package credentials

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// maxFileBytes bounds the .env and config files read: nothing that large is
// a credentials file.
const maxFileBytes = 1 << 20

// errNoFile marks a file that does not exist: a place with no key, not an
// error.
var errNoFile = errors.New("no such file")

// readFunc reads a credentials file; readFile is the real one, and tests
// give providers another to inject failures no file system produces on
// demand.
type readFunc func(path string) ([]byte, fs.FileInfo, error)

// readFile reads a small regular file. It reports errNoFile for a missing
// file, and a plain reason ("unreadable: is a directory", "unreadable:
// permission denied", "unreadable: is a named pipe", too large, symlink
// loop) for one that cannot be used. It checks what the path is before
// opening it and opens without blocking, so a named pipe or a device put
// where the file should be is refused at once instead of hanging the
// caller; it checks again on the open file, in case the path changed in
// between.
func readFile(path string) ([]byte, fs.FileInfo, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, fileReason(err)
	}
	if err := checkRegular(info); err != nil {
		return nil, nil, err
	}
	return readOpened(path)
}

// readOpened is readFile after the check of the path: it opens the file
// without blocking (a named pipe swapped in since the check would otherwise
// wait for a writer), checks the open file again, and reads it, bounded.
func readOpened(path string) ([]byte, fs.FileInfo, error) {
	f, err := os.OpenFile(path, openReadFlags, 0)
	if err != nil {
		return nil, nil, fileReason(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fileReason(err)
	}
	if err := checkRegular(info); err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, nil, fileReason(err)
	}
	if len(b) > maxFileBytes {
		return nil, nil, fmt.Errorf("unreadable: larger than %d bytes, which no credentials file is", maxFileBytes)
	}
	return b, info, nil
}

// checkRegular refuses anything but a regular file, saying what it is.
func checkRegular(info fs.FileInfo) error {
	m := info.Mode()
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return errors.New("unreadable: is a directory, not a file")
	case m&fs.ModeNamedPipe != 0:
		return errors.New("unreadable: is a named pipe (FIFO), not a regular file")
	case m&fs.ModeSocket != 0:
		return errors.New("unreadable: is a socket, not a regular file")
	case m&fs.ModeDevice != 0:
		return errors.New("unreadable: is a device, not a regular file")
	}
	return fmt.Errorf("unreadable: not a regular file (%s)", m.Type())
}

// fileReason turns an OS error into a short reason without repeating the
// path (the caller names it): "unreadable: permission denied",
// "unreadable: too many levels of symbolic links". It wraps the OS error,
// so that errors.Is(err, fs.ErrPermission) holds.
func fileReason(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errNoFile
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("unreadable: %w", fs.ErrPermission) // "permission denied"
	case errors.Is(err, syscall.EISDIR):
		return errors.New("unreadable: is a directory, not a file")
	}
	return fmt.Errorf("unreadable: %w", unwrapPath(err))
}

// unwrapPath is the error inside a *fs.PathError (whose text repeats the
// path), or err itself.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// absPath makes path absolute for messages; on failure it keeps path.
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
