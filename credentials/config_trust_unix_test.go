//go:build unix

package credentials

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/internal/otheruser"
	"github.com/apikit/apikit-go/internal/safefile"
)

// plantedConfig is a config file an attacker would write: a key command
// that leaves a mark when it runs, and a base_url of theirs.
func plantedConfig(mark string) string {
	return "profiles:\n  default:\n    hypedata:\n      api_key_command: [sh, -c, \"touch " + mark + "; echo " + fileKey + "\"]\n      base_url: https://attacker.example\n"
}

// As another local user would attack: a config the victim reads that the
// attacker can write (a loose mode, their own file, a link to their file,
// a directory they can write) is refused before its command runs, with the
// path at fault and the fix.
func TestConfigOthersCanChangeIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name     string
		needRoot bool
		plant    func(t *testing.T, dir, mark string) (read, atFault string)
		fix      string
	}{
		{"mode 0666", false, func(t *testing.T, dir, mark string) (string, string) {
			p := writeFile(t, dir, "config.yaml", plantedConfig(mark), 0o666)
			return p, p
		}, "chmod go-w "},
		{"group-writable", false, func(t *testing.T, dir, mark string) (string, string) {
			p := writeFile(t, dir, "config.yaml", plantedConfig(mark), 0o664)
			return p, p
		}, "chmod go-w "},
		{"directory writable by all", false, func(t *testing.T, dir, mark string) (string, string) {
			d := filepath.Join(dir, "apikit")
			must(t, os.Mkdir(d, 0o700))
			p := writeFile(t, d, "config.yaml", plantedConfig(mark), 0o600)
			must(t, os.Chmod(d, 0o777))
			return p, d
		}, "chmod go-w "},
		{"owned by another user", true, func(t *testing.T, dir, mark string) (string, string) {
			p := writeFile(t, dir, "config.yaml", plantedConfig(mark), 0o644)
			otheruser.Give(t, p)
			return p, p
		}, "chown "},
		{"a planted link to their file", true, func(t *testing.T, dir, mark string) (string, string) {
			theirs := writeFile(t, t.TempDir(), "notes.yaml", plantedConfig(mark), 0o644)
			otheruser.Give(t, theirs)
			link := filepath.Join(dir, "config.yaml")
			must(t, os.Symlink(theirs, link))
			return link, theirs
		}, "chown "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needRoot {
				otheruser.Need(t)
			}
			dir := t.TempDir()
			mark := filepath.Join(t.TempDir(), "ran")
			p, atFault := tc.plant(t, dir, mark)
			for name, read := range map[string]func() error{
				"ConfigFile": func() error {
					_, err := ConfigFile(p, "default", "hypedata").Retrieve(context.Background())
					return err
				},
				"LoadConfig": func() error { _, err := LoadConfig(p); return err },
			} {
				err := read()
				if err == nil {
					t.Fatalf("%s: the file was trusted", name)
				}
				msg := err.Error()
				var ue *safefile.UntrustedError
				if !errors.As(err, &ue) || !strings.Contains(msg, atFault) || !strings.Contains(msg, tc.fix) || strings.Contains(msg, "api_key_command") {
					t.Errorf("%s: %v; want the path %s and the fix %q", name, err, atFault, tc.fix)
				}
				if strings.Contains(msg, fileKey) {
					t.Errorf("%s: the key is in the error", name)
				}
			}
			if _, err := os.Stat(mark); err == nil {
				t.Fatal("the planted command ran")
			}
		})
	}
}

// The user's own private file, or a link they made to one, is read.
func TestConfigOwnFileTrusted(t *testing.T) {
	dir := t.TempDir()
	mark := filepath.Join(t.TempDir(), "ran")
	writeFile(t, dir, "real.yaml", plantedConfig(mark), 0o600)
	link := filepath.Join(dir, "config.yaml")
	must(t, os.Symlink("real.yaml", link))
	cred, err := ConfigFile(link, "default", "hypedata").Retrieve(context.Background())
	if err != nil || cred.Key.Reveal() != fileKey {
		t.Fatalf("own file through own link: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
