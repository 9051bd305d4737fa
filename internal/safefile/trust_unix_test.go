//go:build unix

package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/internal/otheruser"
)

func write(t *testing.T, p string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(p, []byte("profiles: {}\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// inWritableDir writes a config file of the given mode in a directory
// anyone can write to (mode 0777), and returns both.
func inWritableDir(t *testing.T, mode os.FileMode) (dir, p string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "apikit")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p = write(t, filepath.Join(dir, "config.yaml"), mode)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir, p
}

func TestAuditPrivateFileIsTrusted(t *testing.T) {
	dir := t.TempDir()
	for _, mode := range []os.FileMode{0o600, 0o644, 0o400} {
		p := write(t, filepath.Join(dir, "config.yaml"), mode)
		if ps := Audit(p); len(ps) != 0 {
			t.Errorf("mode %04o: %v", mode, ps)
		}
	}
	if ps := Audit(filepath.Join(dir, "missing.yaml")); len(ps) != 0 {
		t.Errorf("missing file: %v", ps)
	}
}

func TestAuditWritableFile(t *testing.T) {
	dir := t.TempDir()
	for mode, who := range map[os.FileMode]string{0o666: "its group and by others", 0o620: "its group", 0o602: "others"} {
		p := write(t, filepath.Join(dir, "config.yaml"), mode)
		err := Check(p)
		var ue *UntrustedError
		if !errors.As(err, &ue) || len(ue.Problems) != 1 {
			t.Fatalf("mode %04o: %v", mode, err)
		}
		msg := err.Error()
		for _, want := range []string{p, "writable by " + who, "chmod go-w " + p} {
			if !strings.Contains(msg, want) {
				t.Errorf("mode %04o: %q does not say %q", mode, msg, want)
			}
		}
	}
}

func TestAuditWritableDirectory(t *testing.T) {
	dir, p := inWritableDir(t, 0o600)
	ps := Audit(p)
	if len(ps) != 1 || ps[0].Path != dir || ps[0].Fix != "chmod go-w "+dir {
		t.Fatalf("problems: %+v", ps)
	}
	// Sticky, as /tmp: no one may rename or remove another's file there.
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if ps := Audit(p); len(ps) != 0 {
		t.Errorf("sticky directory: %+v", ps)
	}
}

// Another local user's file, reached directly or through a link planted in
// the victim's directory, is refused; so is a link that user owns.
func TestAuditOtherUsersFile(t *testing.T) {
	otheruser.Need(t)
	dir := t.TempDir()
	theirs := filepath.Join(t.TempDir(), "evil.yaml")
	write(t, theirs, 0o644)
	otheruser.Give(t, theirs)
	ps := Audit(theirs)
	if len(ps) != 1 || ps[0].Path != theirs || !strings.Contains(ps[0].What, "owned by") || !strings.Contains(ps[0].Fix, "chown") {
		t.Fatalf("their file: %+v", ps)
	}

	link := filepath.Join(dir, "config.yaml")
	if err := os.Symlink(theirs, link); err != nil {
		t.Fatal(err)
	}
	err := Check(link)
	if err == nil || !strings.Contains(err.Error(), theirs) {
		t.Fatalf("a link to their file: %v", err)
	}

	// A link they own, to a file of the victim's.
	mine := write(t, filepath.Join(dir, "mine.yaml"), 0o600)
	link2 := filepath.Join(dir, "other.yaml")
	if err := os.Symlink(mine, link2); err != nil {
		t.Fatal(err)
	}
	otheruser.Give(t, link2)
	ps = Audit(link2)
	if len(ps) != 1 || ps[0].Path != link2 || ps[0].Kind != "symbolic link" || !strings.Contains(ps[0].Fix, "rm "+link2) {
		t.Fatalf("their link: %+v", ps)
	}
}

func TestAuditOtherUsersDirectory(t *testing.T) {
	otheruser.Need(t)
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := write(t, filepath.Join(dir, "config.yaml"), 0o600)
	otheruser.Give(t, dir)
	ps := Audit(p)
	if len(ps) != 1 || ps[0].Path != dir || ps[0].Kind != "directory" {
		t.Fatalf("their directory: %+v", ps)
	}
}

// The open file is judged again: a path swapped after Audit looked.
func TestTrustedInfo(t *testing.T) {
	p := write(t, filepath.Join(t.TempDir(), "c.yaml"), 0o666)
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := TrustedInfo(p, info); err == nil || !strings.Contains(err.Error(), "chmod go-w") {
		t.Fatalf("err = %v", err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/home/me/.config/apikit/config.yaml": "/home/me/.config/apikit/config.yaml",
		"/home/me/my dir/c.yaml":              `'/home/me/my dir/c.yaml'`,
		"/a'b":                                `'/a'\''b'`,
		"/x;rm -rf ~":                         `'/x;rm -rf ~'`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// The refusal is one readable sentence: one "so" (what the danger is), and
// the count of further problems in the right number.
func TestUntrustedErrorReads(t *testing.T) {
	dir, p := inWritableDir(t, 0o666)
	err := Check(p)
	var ue *UntrustedError
	if !errors.As(err, &ue) || len(ue.Problems) != 2 {
		t.Fatalf("want the file and its directory: %v", err)
	}
	dirMsg := Problem{Path: dir, Kind: "directory"}
	for _, q := range ue.Problems {
		if q.Kind == "directory" {
			dirMsg = q
		}
	}
	if n := strings.Count(dirMsg.Error(), ", so "); n != 1 {
		t.Errorf("%q says \", so\" %d times", dirMsg.Error(), n)
	}
	if msg := err.Error(); !strings.Contains(msg, "(and 1 more such problem;") {
		t.Errorf("%q does not say \"(and 1 more such problem;\"", msg)
	}
	if msg := (&UntrustedError{Problems: []Problem{ue.Problems[0], ue.Problems[1], ue.Problems[1]}}).Error(); !strings.Contains(msg, "(and 2 more such problems;") {
		t.Errorf("%q does not say \"(and 2 more such problems;\"", msg)
	}
}
