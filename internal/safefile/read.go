// Package safefile reads the small files apikit trusts (the config file,
// .env) without being fooled by what another user or a hostile checkout may
// put in their place, and judges whether such a file may be trusted at all.
//
// Read is bounded and never blocks: a named pipe, a device or a directory
// where a file should be is refused at once, and a file larger than the
// caller's bound is an error rather than a slow read of /dev/zero. Audit
// applies ssh's StrictModes rule to a file that can make the program run a
// command or send a key somewhere: it, each symbolic link on the way to it,
// and the directories that hold them, must be owned by the user (or root)
// and writable by no one else.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNoFile marks a file that does not exist: for a reader of credentials, a
// place with no key, not an error.
var ErrNoFile = errors.New("no such file")

// Read reads the regular file at path, at most max bytes. It reports
// ErrNoFile for a missing file, and a plain reason ("unreadable: is a
// directory", "unreadable: permission denied", "unreadable: is a named
// pipe", too large, symlink loop) for one that cannot be used; the reason
// does not repeat the path (the caller names it). It checks what the path
// is before opening it and opens without blocking, so a named pipe or a
// device put where the file should be is refused at once instead of hanging
// the caller; it checks again on the open file, in case the path changed in
// between. The FileInfo is the open file's.
func Read(path string, max int) ([]byte, fs.FileInfo, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, Reason(err)
	}
	if err := CheckRegular(info); err != nil {
		return nil, nil, err
	}
	return ReadOpened(path, max)
}

// ReadOpened is Read after the check of the path: it opens the file without
// blocking (a named pipe swapped in since the check would otherwise wait for
// a writer), checks the open file again, and reads it, bounded.
func ReadOpened(path string, max int) ([]byte, fs.FileInfo, error) {
	f, err := os.OpenFile(path, openReadFlags, 0)
	if err != nil {
		return nil, nil, Reason(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, Reason(err)
	}
	if err := CheckRegular(info); err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, nil, Reason(err)
	}
	if len(b) > max {
		return nil, nil, fmt.Errorf("unreadable: larger than %d bytes, which no credentials file is", max)
	}
	return b, info, nil
}

// CheckRegular refuses anything but a regular file, saying what it is.
func CheckRegular(info fs.FileInfo) error {
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

// Reason turns an OS error into a short reason without repeating the path
// (the caller names it): ErrNoFile, "unreadable: permission denied",
// "unreadable: too many levels of symbolic links". It wraps the OS error,
// so that errors.Is(err, fs.ErrPermission) holds.
func Reason(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ErrNoFile
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
