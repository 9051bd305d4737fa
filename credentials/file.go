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

// readFile reads a small regular file. It reports errNoFile for a missing
// file, and a plain reason (is a directory, permission denied, too large,
// symlink loop) for one that cannot be used.
func readFile(path string) ([]byte, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fileReason(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fileReason(err)
	}
	if info.IsDir() {
		return nil, nil, errors.New("unreadable: is a directory")
	}
	if !info.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("unreadable: not a regular file (%s)", info.Mode().Type())
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

// fileReason turns an OS error into a short reason without repeating the
// path (the caller names it).
func fileReason(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errNoFile
	case errors.Is(err, fs.ErrPermission):
		return errors.New("unreadable: permission denied")
	case errors.Is(err, syscall.ELOOP):
		return errors.New("unreadable: too many levels of symbolic links")
	case errors.Is(err, syscall.EISDIR):
		return errors.New("unreadable: is a directory")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("unreadable: %v", pe.Err)
	}
	return fmt.Errorf("unreadable: %v", err)
}

// absPath makes path absolute for messages; on failure it keeps path.
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
