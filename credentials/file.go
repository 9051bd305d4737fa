package credentials

import (
	"io/fs"
	"path/filepath"

	"github.com/apikit/apikit-go/internal/safefile"
)

// maxFileBytes bounds the .env and config files read: nothing that large is
// a credentials file.
const maxFileBytes = 1 << 20

// errNoFile marks a file that does not exist: a place with no key, not an
// error.
var errNoFile = safefile.ErrNoFile

// readFunc reads a credentials file; readFile and readConfigFile are the
// real ones, and tests give providers another to inject failures no file
// system produces on demand.
type readFunc func(path string) ([]byte, fs.FileInfo, error)

// readFile reads a small regular file, bounded and without blocking (see
// safefile.Read): errNoFile for a missing file, a plain reason for one that
// cannot be used.
func readFile(path string) ([]byte, fs.FileInfo, error) {
	return safefile.Read(path, maxFileBytes)
}

// readConfigFile is readFile for a file that can name a command to run and
// where to send a key: the file, every symbolic link to it and their
// directories must be the user's (or root's) and writable by no one else
// (safefile.Audit, as ssh's StrictModes), whatever the file holds; the open
// file is judged again, in case the path was swapped in between.
func readConfigFile(path string) ([]byte, fs.FileInfo, error) {
	if err := safefile.Check(path); err != nil {
		return nil, nil, err
	}
	b, info, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	if err := safefile.TrustedInfo(path, info); err != nil {
		return nil, nil, err
	}
	return b, info, nil
}

// fileReason turns an OS error into a short reason without repeating the
// path (see safefile.Reason).
func fileReason(err error) error { return safefile.Reason(err) }

// absPath makes path absolute for messages; on failure it keeps path.
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
