//go:build unix

package configfile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apikit/apikit-go/internal/otheruser"
)

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// victim is a user's config directory and a file of theirs elsewhere that
// an attacker would like apikit to overwrite.
func victim(t *testing.T) (cfgDir, notes string) {
	home := t.TempDir()
	cfgDir = filepath.Join(home, ".config", "apikit")
	mustDo(t, os.MkdirAll(cfgDir, 0o700))
	notes = filepath.Join(home, "notes.conf")
	mustDo(t, os.WriteFile(notes, []byte("my notes\n"), 0o644))
	return cfgDir, notes
}

func setBaseURL(d *Doc) error {
	d.Set("default", "hopx", "base_url", "https://eu.hopx.dev")
	return nil
}

func unchanged(t *testing.T, notes string) {
	t.Helper()
	b, err := os.ReadFile(notes)
	info, _ := os.Stat(notes)
	if err != nil || string(b) != "my notes\n" || info.Mode().Perm() != 0o644 {
		t.Fatalf("the victim's file changed: %q, %v, %v", b, info.Mode(), err)
	}
}

// A link another user planted as the config file, to the victim's own
// notes.conf: Update refuses, and notes.conf keeps its contents and mode.
func TestUpdateRefusesAPlantedLink(t *testing.T) {
	otheruser.Need(t)
	cfgDir, notes := victim(t)
	link := filepath.Join(cfgDir, "config.yaml")
	mustDo(t, os.Symlink(notes, link))
	otheruser.Give(t, link)
	err := Update(context.Background(), link, setBaseURL)
	if err == nil || !strings.Contains(err.Error(), "not writing") || !strings.Contains(err.Error(), "rm "+link) {
		t.Fatalf("err = %v", err)
	}
	unchanged(t, notes)
}

// A config file (or what a link leads to) that another user owns is not
// written either.
func TestUpdateRefusesAnotherUsersFile(t *testing.T) {
	otheruser.Need(t)
	cfgDir, notes := victim(t)
	otheruser.Give(t, notes)
	link := filepath.Join(cfgDir, "config.yaml")
	mustDo(t, os.Symlink(notes, link))
	if err := Update(context.Background(), link, setBaseURL); err == nil || !strings.Contains(err.Error(), "chown") {
		t.Fatalf("err = %v", err)
	}
	unchanged(t, notes)
}

// The lock file is never followed: a link planted as config.yaml.lock is
// refused and what it points to is not created or changed; a lock file
// another user owns is refused too.
func TestUpdateRefusesAPlantedLock(t *testing.T) {
	cfgDir, notes := victim(t)
	p := filepath.Join(cfgDir, "config.yaml")
	mustDo(t, os.Symlink(notes, p+".lock"))
	err := Update(context.Background(), p, setBaseURL)
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("link as lock: err = %v", err)
	}
	unchanged(t, notes)
	if _, err := os.Stat(p); err == nil {
		t.Error("the config file was written without the lock")
	}
	mustDo(t, os.Remove(p+".lock"))

	if os.Geteuid() != 0 {
		return
	}
	mustDo(t, os.WriteFile(p+".lock", nil, 0o600))
	otheruser.Give(t, p+".lock")
	if err := Update(context.Background(), p, setBaseURL); err == nil || !strings.Contains(err.Error(), "lock") || !strings.Contains(err.Error(), "owned by") {
		t.Fatalf("their lock: err = %v", err)
	}
}

// A directory others can write is not written in.
func TestUpdateRefusesAnOpenDirectory(t *testing.T) {
	cfgDir, _ := victim(t)
	mustDo(t, os.Chmod(cfgDir, 0o777))
	p := filepath.Join(cfgDir, "config.yaml")
	if err := Update(context.Background(), p, setBaseURL); err == nil || !strings.Contains(err.Error(), "chmod go-w "+cfgDir) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(p); err == nil {
		t.Error("written anyway")
	}
}

// Load and Update refuse a named pipe or a device at once, instead of
// waiting for a writer or reading without end.
func TestLoadRefusesPipeAndDevice(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "config.yaml")
	mustDo(t, syscall.Mkfifo(fifo, 0o600))
	done := make(chan error, 2)
	go func() {
		_, _, err := Load(fifo)
		done <- err
		done <- Update(context.Background(), fifo, setBaseURL)
	}()
	for range 2 {
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "named pipe") {
				t.Errorf("fifo: %v", err)
			}
		case <-time.After(10 * time.Second): // a bound on the bug, not a wait for success
			if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				w.Close()
			}
			t.Fatal("reading a named pipe hung")
		}
	}
	if _, _, err := Load("/dev/zero"); err == nil || !strings.Contains(err.Error(), "device") {
		t.Errorf("/dev/zero: %v", err)
	}
}
