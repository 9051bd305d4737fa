package configfile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/credentials"
)

const userFile = `# apikit config — edited by hand, keep these notes
profiles:
  # production first
  prod:
    hypedata:
      base_url: https://api.hypedata.io # the real one
      api_key_command: [op, read, "op://prod/hypedata/key"]
  default:
    hopx:
      base_url: https://api.hopx.dev
# trailing note
`

func TestSetKeepsCommentsAndOrder(t *testing.T) {
	d, err := Parse([]byte(userFile))
	if err != nil {
		t.Fatal(err)
	}
	d.Set("prod", "hypedata", "base_url", "https://eu.hypedata.io")
	d.Set("default", "hypedata", "base_url", "https://staging.hypedata.io")
	d.Set("ci", "hypersave", "base_url", "https://api.hypersave.io")
	b, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, want := range []string{"# apikit config — edited by hand, keep these notes", "# production first", "# the real one", "# trailing note",
		"base_url: https://eu.hypedata.io", "api_key_command: [op, read, \"op://prod/hypedata/key\"]"} {
		if !strings.Contains(out, want) {
			t.Errorf("lost %q:\n%s", want, out)
		}
	}
	// Order: prod before default before the new ci; within default, hopx first.
	if !(strings.Index(out, "prod:") < strings.Index(out, "default:") && strings.Index(out, "default:") < strings.Index(out, "ci:")) {
		t.Errorf("profile order changed:\n%s", out)
	}
	if strings.Index(out, "hopx:") > strings.Index(out, "staging.hypedata.io") {
		t.Errorf("service order changed:\n%s", out)
	}
	sdkReads(t, b)
}

// sdkReads fails the test unless the SDK's strict reader accepts b.
func sdkReads(t *testing.T, b []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := credentials.LoadConfig(p); err != nil {
		t.Errorf("the SDK does not read the result: %v\n%s", err, b)
	}
}

func TestDeleteRemovesEmptiedSectionsOnly(t *testing.T) {
	d, err := Parse([]byte(userFile))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Delete("default", "hopx", "base_url") {
		t.Fatal("base_url was not found")
	}
	if d.Delete("default", "hopx", "base_url") {
		t.Fatal("deleted twice")
	}
	if got := d.Profiles(); len(got) != 1 || got[0] != "prod" {
		t.Errorf("profiles after emptying default: %v", got)
	}
	d.Delete("prod", "hypedata", "base_url")
	if got := d.Fields("prod", "hypedata"); len(got) != 1 || got[0] != "api_key_command" {
		t.Errorf("fields: %v", got)
	}
	v, ok := d.Get("prod", "hypedata", "api_key_command")
	if !ok || !v.IsList || strings.Join(v.List, " ") != "op read op://prod/hypedata/key" {
		t.Errorf("api_key_command: %+v", v)
	}
}

func TestParseRefusesShapesItCannotEdit(t *testing.T) {
	for name, in := range map[string]string{
		"list at top":       "- a\n- b\n",
		"profiles a list":   "profiles: [a, b]\n",
		"profile a string":  "profiles:\n  default: hd_live_x\n",
		"service a string":  "profiles:\n  default:\n    hypedata: hd_live_Q7fz2LmP9xKc4VbN8wRt1YhJ6sDg3EaU\n",
		"two documents":     "profiles: {}\n---\nprofiles: {}\n",
		"bad yaml":          "profiles:\n  default: [\n",
		"tab indentation":   "profiles:\n\tdefault: {}\n",
		"unclosed quote":    "profiles:\n  \"default: {}\n",
		"duplicate mapping": "profiles: {}\nprofiles: {}\n",
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: parsed", name)
		} else if strings.Contains(err.Error(), "Q7fz2LmP") {
			t.Errorf("%s: the error quotes the value: %v", name, err)
		}
	}
	for _, in := range []string{"", "# only a comment\n", "---\n", "profiles:\n"} {
		d, err := Parse([]byte(in))
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		d.Set("default", "hypedata", "base_url", "https://x.example")
		if _, err := d.Bytes(); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestUpdateWritesAtomicallyAt0600AndFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "apikit.yaml")
	if err := os.MkdirAll(filepath.Dir(real), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte(userFile), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config", "apikit", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	// A dead writer's temporary file is cleaned up.
	stale := filepath.Join(filepath.Dir(real), ".apikit.yaml123456789")
	if err := os.WriteFile(stale, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := Update(context.Background(), link, func(d *Doc) error {
		d.Set("default", "hopx", "base_url", "https://eu.hopx.dev")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
	fi, err := os.Stat(real)
	if err != nil || fi.Mode().Perm() != Mode {
		t.Errorf("mode after write: %v %v", fi, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale temporary file is still there: %v", err)
	}
	b, _ := os.ReadFile(real)
	if !strings.Contains(string(b), "eu.hopx.dev") || !strings.Contains(string(b), "# the real one") {
		t.Errorf("written:\n%s", b)
	}
}

func TestUpdateRefusesWhatTheSDKWouldNotRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(userFile), 0o600); err != nil {
		t.Fatal(err)
	}
	err := Update(context.Background(), p, func(d *Doc) error {
		d.Set("prod", "hypedata", "api_key", "hd_live_Q7fz2LmP9xKc4VbN8wRt1YhJ6sDg3EaU") // beside api_key_command
		d.Set("prod", "hypedata", "bogus", "x")
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "not writing") || strings.Contains(err.Error(), "Q7fz2LmP") {
		t.Fatalf("want a refusal that quotes nothing, got %v", err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != userFile {
		t.Errorf("the file changed:\n%s", b)
	}
	if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 2 { // the file and its lock
		t.Errorf("left behind: %v", entries)
	}
}

func TestUpdateStopsWaitingForTheLockWithTheContext(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.yaml")
	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Update(context.Background(), p, func(*Doc) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Update(ctx, p, func(*Doc) error { t.Error("edited without the lock"); return nil })
	if err == nil || !strings.Contains(err.Error(), "locking the config file") {
		t.Errorf("want a lock error, got %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestCommentsOnlyFileKeepsItsComments: a file of comments alone (a user's
// notes before the first setting) keeps them when a setting is added; they
// were dropped.
func TestCommentsOnlyFileKeepsItsComments(t *testing.T) {
	for _, in := range []string{
		"# my apikit settings\n# staging first\n",
		"# one\n\n# two, after a blank line\n",
		"  # indented\n",
		"# a note\n---\n",
	} {
		d, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		d.Set("default", "hypedata", "base_url", "https://x.example")
		b, err := d.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(in, "\n") {
			if c := strings.TrimSpace(line); strings.HasPrefix(c, "#") && !strings.Contains(string(b), c) {
				t.Errorf("%q: the comment %q was dropped:\n%s", in, c, b)
			}
		}
		if !strings.Contains(string(b), "base_url: https://x.example") {
			t.Errorf("%q: the setting is missing:\n%s", in, b)
		}
		if _, err := Parse(b); err != nil {
			t.Errorf("%q: the result does not parse: %v\n%s", in, err, b)
		}
	}
}
