package configfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"

	"github.com/apikit/apikit-go/credentials"
)

// Mode is the mode every write leaves the file with: it may hold a key.
const Mode fs.FileMode = 0o600

// dirMode is the mode of a config directory Update creates.
const dirMode fs.FileMode = 0o700

// lockRetry is how often Update tries again for a lock another process
// holds.
const lockRetry = 2 * time.Millisecond

// Load reads and parses the file at path. A missing file is an empty
// document (and exists is false).
func Load(path string) (d *Doc, exists bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newEmpty(nil), false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading the config file %s: %w", path, err)
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
// is followed: the link stays, its target is replaced. ctx bounds the wait
// for the lock.
func Update(ctx context.Context, path string, edit func(*Doc) error) error {
	target := path
	if t, err := filepath.EvalSymlinks(path); err == nil {
		target = t
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("creating the config directory: %w", err)
	}
	lock := flock.New(target + ".lock")
	ok, err := lock.TryLockContext(ctx, lockRetry)
	if err != nil || !ok {
		if err == nil {
			err = ctx.Err()
		}
		return fmt.Errorf("locking the config file %s (another apikit may be writing it; its lock is %s.lock): %w", path, target, err)
	}
	defer lock.Unlock() //nolint:errcheck // closing the descriptor releases the lock

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
