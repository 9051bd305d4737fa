package configfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"

	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/internal/safefile"
)

// Mode is the mode every write leaves the file with: it may hold a key.
const Mode fs.FileMode = 0o600

// dirMode is the mode of a config directory Update creates.
const dirMode fs.FileMode = 0o700

// lockRetry is how often Update tries again for a lock another process
// holds.
const lockRetry = 2 * time.Millisecond

// maxBytes bounds a config file read: nothing that large is one (the SDK's
// bound too).
const maxBytes = 1 << 20

// Load reads and parses the file at path. A missing file is an empty
// document (and exists is false). Like the SDK it refuses a file that
// another user owns or can change, or that a link another user owns leads
// to (safefile.Check, with the chmod or chown that fixes it), and it reads
// bounded and without blocking: a named pipe or a device in the file's
// place is an error at once.
func Load(path string) (d *Doc, exists bool, err error) {
	if err := safefile.Check(path); err != nil {
		return nil, true, fmt.Errorf("config file %s: %w", path, err)
	}
	d, exists, err = Inspect(path)
	return d, exists, err
}

// Inspect is Load without the check of who may change the file, for doctor,
// which reports that itself and still looks inside. It is as bounded and
// non-blocking as Load.
func Inspect(path string) (d *Doc, exists bool, err error) {
	b, _, err := safefile.Read(path, maxBytes)
	if errors.Is(err, safefile.ErrNoFile) {
		return newEmpty(nil), false, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("reading the config file %s: %w", path, err)
	}
	d, err = Parse(b)
	if err != nil {
		return nil, true, fmt.Errorf("config file %s: %w", path, err)
	}
	return d, true, nil
}

// Update applies edit to the file at path and writes the result, all under
// an exclusive lock on path+".lock" (gofrs/flock, an flock(2) that the
// kernel releases if the process dies). The write is atomic: the new
// contents go to a temporary file in the same directory, which is synced
// and renamed over the old one, and the directory is synced; a reader sees
// the old file or the new one, never a mix, and a process killed at any
// point leaves one of the two. The file is left with mode 0600.
//
// Before anything is replaced, the new contents are parsed with the SDK's
// own strict reader (credentials.LoadConfig), so Update never writes a file
// the SDK would refuse. A path that is a symbolic link (dotfiles managers)
// is followed only when the user owns (or root owns) every link on the way
// and the file it leads to, and no one else can write their directories
// (safefile.Audit): a link another user planted is refused, and what it
// points to stays untouched. The lock file is opened without following a
// link and must be the user's own regular file. ctx bounds the wait for
// the lock.
func Update(ctx context.Context, path string, edit func(*Doc) error) error {
	if err := safefile.Check(path); err != nil {
		return fmt.Errorf("not writing the config file %s: %w", path, err)
	}
	target := path
	if t, err := filepath.EvalSymlinks(path); err == nil {
		target = t
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("creating the config directory: %w", err)
	}
	if ps := safefile.AuditDir(dir); len(ps) > 0 {
		return fmt.Errorf("not writing the config file %s: %w", path, &safefile.UntrustedError{Problems: ps})
	}
	lock := flock.New(target+".lock", flock.SetFlag(lockFlags), flock.SetPermissions(Mode))
	ok, err := lock.TryLockContext(ctx, lockRetry)
	if err != nil || !ok {
		if err == nil {
			err = ctx.Err()
		}
		if errors.Is(err, syscall.ELOOP) {
			err = errors.New("the lock file is a symbolic link; remove it")
		}
		return fmt.Errorf("locking the config file %s (another apikit may be writing it; its lock is %s.lock): %w", path, target, err)
	}
	defer lock.Unlock() //nolint:errcheck // closing the descriptor releases the lock
	if err := ownLock(lock); err != nil {
		return fmt.Errorf("locking the config file %s: the lock %s.lock %w", path, target, err)
	}

	removeStale(target)
	d, _, err := Load(target)
	if err != nil {
		return err
	}
	if err := edit(d); err != nil {
		return err
	}
	b, err := d.Bytes()
	if err != nil {
		return err
	}
	return writeAtomic(target, path, b)
}

// ownLock refuses a lock file that is not the user's own regular file: one
// another user made could be a device, or be theirs to hold forever.
func ownLock(lock *flock.Flock) error {
	info, err := lock.Stat()
	if err != nil {
		return fmt.Errorf("cannot be examined: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("is not a regular file (%s); remove it", info.Mode().Type())
	}
	if err := safefile.TrustedInfo(lock.Path(), info); err != nil {
		return fmt.Errorf("is not yours alone: %w", err)
	}
	return nil
}

// writeAtomic replaces target with b (shown as path in messages), checking
// b with the SDK's reader first.
func writeAtomic(target, path string, b []byte) error {
	pf, err := renameio.NewPendingFile(target, renameio.WithStaticPermissions(Mode), renameio.WithTempDir(filepath.Dir(target)))
	if err != nil {
		return fmt.Errorf("writing the config file %s: %w", path, err)
	}
	defer pf.Cleanup() //nolint:errcheck // a no-op once the file is in place
	if _, err := pf.Write(b); err != nil {
		return fmt.Errorf("writing the config file %s: %w", path, err)
	}
	if _, err := credentials.LoadConfig(pf.Name()); err != nil {
		var se *credentials.SourceError
		if errors.As(err, &se) && se.Err != nil {
			err = se.Err // it names the temporary file; name the real one
		}
		return fmt.Errorf("not writing %s: the SDK would not read the result (%w); fix the file by hand first", path, err)
	}
	if err := pf.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("replacing the config file %s: %w", path, err)
	}
	return syncDir(filepath.Dir(target))
}

// removeStale deletes the temporary files of writers killed before their
// rename (".config.yaml" and digits, renameio's names). Only the holder of
// the lock writes one, and the caller holds it, so every such file is a
// dead writer's.
func removeStale(target string) {
	prefix := "." + filepath.Base(target)
	entries, err := os.ReadDir(filepath.Dir(target))
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if ok && rest != "" && strings.Trim(rest, "0123456789") == "" && e.Type().IsRegular() {
			os.Remove(filepath.Join(filepath.Dir(target), e.Name()))
		}
	}
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing the config directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing the config directory: %w", err)
	}
	return nil
}
