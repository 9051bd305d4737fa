package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/keys"
)

// newKey returns a fresh random key of f, as a vendor issues one.
func newKey(t *testing.T, f *keys.Format) keys.Key {
	t.Helper()
	env := keys.EnvLive
	if len(f.Prefixes) == 0 {
		env = keys.EnvUnknown
	}
	k, err := f.Generate(env, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// git runs git in the user's project, as the user, and returns its output.
func (u *user) git(args ...string) string {
	u.t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") != "" {
			u.t.Fatal("git is not installed")
		}
		u.t.Skip("git is not installed")
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = u.cwd
	cmd.Env = []string{"HOME=" + u.home, "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=A User", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=A User", "GIT_COMMITTER_EMAIL=a@example.com"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		u.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestScanFiles: a folder with keys raw and base64-encoded, a binary file,
// an ignored file and a placeholder: each key is reported once, where it
// is, never in full; exit 1, and 0 once the keys are gone.
func TestScanFiles(t *testing.T) {
	u := newUser(t)
	hd, hx, w3, sync := newKey(t, keys.Hypedata), newKey(t, keys.HopX), newKey(t, keys.Web3Storage), newKey(t, keys.HyperSync)
	u.writeFile("project/.env", "# local settings\nHYPEDATA_API_KEY="+hd.Reveal()+"\nENVIO_API_TOKEN="+sync.Reveal()+"\n", 0o600)
	u.writeFile("project/deploy/secret.yaml", "kind: Secret\ndata:\n  token: "+base64.StdEncoding.EncodeToString([]byte(hx.Reveal()))+"\n", 0o644)
	u.writeFile("project/src/app.js", "const w3 = new Client({ token: '"+w3.Reveal()+"' })\n", 0o644)
	u.writeFile("project/README.md", "Set HYPEDATA_API_KEY=hd_live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"+
		"As Hypedata's page shows it: Authorization: Bearer hd_live_8K2nB7q4XwY1pVzR9tL6mDfC0sJaE3gH\n", 0o644)
	u.writeFile("project/logo.png", "\x89PNG\r\n\x1a\n\x00\x00"+hd.Reveal(), 0o644)
	u.writeFile("project/.gitignore", "build/\n*.log\n!keep.log\n", 0o644)
	u.writeFile("project/build/out.txt", hd.Reveal(), 0o644)
	u.writeFile("project/debug.log", hd.Reveal(), 0o644)
	u.writeFile("project/keep.log", "key "+hd.Reveal()+"\n", 0o644)

	// Outside a repository (an unpacked tarball, a CI artifact), .gitignore
	// hides nothing: those files were shipped all the same.
	r := u.must(scanFound, "", "scan")
	if !strings.Contains(r.stdout, "build/out.txt:1:1: Hypedata") || !strings.Contains(r.stdout, "debug.log:1:1: Hypedata") {
		t.Errorf("outside a repository, the files .gitignore names were not scanned:\n%s", r)
	}
	// In a work tree, the files Git ignores are not scanned, unless
	// --no-ignore.
	u.git("init", "-q")
	r = u.must(scanFound, "", "scan", "--no-ignore")
	if !strings.Contains(r.stdout, "build/out.txt:1:1: Hypedata") || !strings.Contains(r.stdout, "debug.log:1:1: Hypedata") {
		t.Errorf("--no-ignore: the files .gitignore names were not scanned:\n%s", r)
	}
	r = u.must(scanFound, "", "scan")
	want := []string{
		".env:2:18: Hypedata " + hd.String() + " (" + hd.Fingerprint() + ")",
		".env:3:17: HyperSync " + sync.String() + " (" + sync.Fingerprint() + ")",
		"deploy/secret.yaml:3:10: HopX " + hx.String() + " (" + hx.Fingerprint() + ") base64",
		"keep.log:1:5: Hypedata " + hd.String() + " (" + hd.Fingerprint() + ")",
		// A key in a binary file is a key (a text file with a NUL byte
		// near its start is binary to Git).
		"logo.png:3:3: Hypedata " + hd.String() + " (" + hd.Fingerprint() + ")",
		"src/app.js:1:33: web3.storage " + w3.String() + " (" + w3.Fingerprint() + ")",
	}
	got := strings.Split(strings.TrimSpace(r.stdout), "\n")
	for i := range got {
		got[i] = strings.TrimPrefix(got[i], "./")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("apikit scan printed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(r.stderr, "6 keys found") {
		t.Errorf("stderr: %s", r.stderr)
	}

	// The vendors' examples, when asked for.
	// They are not leaks: the exit code stays 0.
	r = u.must(scanClean, "", "scan", "--examples", "README.md")
	if r.stdout != "README.md:2:52: Hypedata hd_live_…E3gH (fp_ob5kY9w4TMKD) example\n" {
		t.Errorf("--examples: %s", r)
	}

	// A file named on the command line, and --json.
	r = u.must(scanFound, "", "scan", "--json", ".env")
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("--json line %q: %v", l, err)
		}
		lines = append(lines, v)
	}
	if len(lines) != 2 || lines[0]["path"] != ".env" || lines[0]["line"] != 2.0 || lines[0]["column"] != 18.0 ||
		lines[0]["service"] != "Hypedata" || lines[0]["fingerprint"] != hd.Fingerprint() || lines[0]["encoding"] != "raw" {
		t.Errorf("--json: %v", lines)
	}

	// SARIF for code scanning.
	r = u.must(scanFound, "", "scan", "--sarif", ".")
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct{ Rules []struct{ ID string } }
			}
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &sarif); err != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 ||
		len(sarif.Runs[0].Results) != 6 || len(sarif.Runs[0].Tool.Driver.Rules) != 4 {
		t.Fatalf("--sarif: %v\n%s", err, r.stdout)
	}
	if l := sarif.Runs[0].Results[2].Locations[0].PhysicalLocation; sarif.Runs[0].Results[2].RuleID != "apikit/hopx" ||
		l.ArtifactLocation.URI != "deploy/secret.yaml" || l.Region.StartLine != 3 || l.Region.StartColumn != 10 {
		t.Errorf("--sarif result: %+v", sarif.Runs[0].Results[2])
	}

	// Standard input.
	r = u.must(scanFound, "data:\n  k: "+base64.RawURLEncoding.EncodeToString([]byte(hd.Reveal()))+"\n", "scan", "-")
	if want := "-:2:6: Hypedata " + hd.String() + " (" + hd.Fingerprint() + ") base64\n"; r.stdout != want {
		t.Errorf("apikit scan - printed %q, want %q", r.stdout, want)
	}

	// A path that is not there is an error, and the others are still
	// scanned.
	r = u.run("", "scan", "no-such-dir", ".env")
	if r.code != scanError || !strings.Contains(r.stdout, ".env:2:18: Hypedata") || !strings.Contains(r.stderr, "no-such-dir") {
		t.Errorf("a missing path among others: %s", r)
	}

	// Keys gone: exit 0, nothing printed.
	for _, f := range []string{".env", "deploy/secret.yaml", "src/app.js", "keep.log", "logo.png"} {
		if err := os.Remove(filepath.Join(u.cwd, f)); err != nil {
			t.Fatal(err)
		}
	}
	if r := u.must(scanClean, "", "scan"); r.stdout != "" {
		t.Errorf("a clean folder: %s", r)
	}
	u.noLeak(hd.Reveal(), hx.Reveal(), w3.Reveal(), sync.Reveal())
}

// TestScanGit: --git finds a key in a commit even after a later commit
// deleted it, naming the commit; a work tree's scan respects .gitignore;
// --staged and the installed hook refuse a commit that adds a key.
func TestScanGit(t *testing.T) {
	u := newUser(t)
	hd, hs := newKey(t, keys.Hypedata), newKey(t, keys.Hypersave)
	u.git("init", "-q", "-b", "main")
	u.writeFile("project/config.py", "API_KEY = \""+hd.Reveal()+"\"\n", 0o644)
	u.writeFile("project/main.py", "print('hello')\n", 0o644)
	u.git("add", ".")
	u.git("commit", "-q", "-m", "add config")
	leaked := u.git("rev-parse", "HEAD")
	u.writeFile("project/config.py", "import os\nAPI_KEY = os.environ[\"HYPEDATA_API_KEY\"]\n", 0o644)
	u.git("commit", "-q", "-am", "read the key from the environment")

	// The work tree is clean; the history is not.
	u.must(scanClean, "", "scan")
	r := u.must(scanFound, "", "scan", "--git")
	want := "config.py:1:12: Hypedata " + hd.String() + " (" + hd.Fingerprint() + ") in commit " + leaked[:12] + "\n"
	if r.stdout != want {
		t.Errorf("--git printed\n%s\nwant\n%s", r.stdout, want)
	}
	r = u.must(scanFound, "", "scan", "--git", "--json", ".")
	if !strings.Contains(r.stdout, `"commit":"`+leaked+`"`) {
		t.Errorf("--git --json: %s", r.stdout)
	}

	// .gitignore in a work tree, as Git applies it.
	u.writeFile("project/.gitignore", "secrets/\n", 0o644)
	u.writeFile("project/secrets/prod.env", "HYPERSAVE_API_KEY="+hs.Reveal()+"\n", 0o600)
	u.must(scanClean, "", "scan", ".")

	// The pre-commit hook.
	r = u.must(scanClean, "", "scan", "install-hook")
	if !strings.Contains(r.stdout, "pre-commit") {
		t.Errorf("install-hook: %s", r)
	}
	u.writeFile("project/main.py", "print('hello')\nKEY = '"+hs.Reveal()+"'\n", 0o644)
	u.git("add", "main.py")
	r = u.must(scanFound, "", "scan", "--staged")
	if want := "main.py:2:8: Hypersave " + hs.String() + " (" + hs.Fingerprint() + ")\n"; r.stdout != want {
		t.Errorf("--staged printed\n%s\nwant\n%s", r.stdout, want)
	}
	commit := exec.Command("git", "commit", "-q", "-m", "oops")
	commit.Dir = u.cwd
	commit.Env = []string{"HOME=" + u.home, "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.com"}
	out, err := commit.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "main.py:2:8: Hypersave") {
		t.Errorf("the hook let a commit with a key through: %v\n%s", err, out)
	}
	if strings.Contains(string(out), secretBody(hs.Reveal())[:8]) {
		t.Errorf("the hook printed the key:\n%s", out)
	}
	u.writeFile("project/main.py", "print('hello')\n", 0o644)
	u.git("add", "main.py")
	u.git("commit", "-q", "--allow-empty", "-m", "clean")

	// A hook apikit did not write is kept.
	hooks := filepath.Join(u.cwd, ".git", "hooks", "pre-commit")
	if err := os.WriteFile(hooks, []byte("#!/bin/sh\nmake lint\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r = u.must(scanError, "", "scan", "install-hook")
	if !strings.Contains(r.stderr, "--force") {
		t.Errorf("install-hook over a foreign hook: %s", r)
	}
	u.must(scanClean, "", "scan", "install-hook", "--force")
	u.noLeak(hd.Reveal(), hs.Reveal())
}

// TestScanErrors: what cannot be scanned is exit 2, with a message that
// says what to do.
func TestScanErrors(t *testing.T) {
	u := newUser(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "no/such/file"}, "no such file"},
		{[]string{"scan", "--git", "."}, "not a Git repository"},
		{[]string{"scan", "--staged"}, "not in a Git work tree"},
		{[]string{"scan", "--git", "--staged"}, "choose one"},
		{[]string{"scan", "--json", "--sarif"}, "choose one"},
		{[]string{"scan", "install-hook"}, "Git repository"},
	} {
		r := u.must(scanError, "", tc.args...)
		if !strings.Contains(r.stderr+r.stdout, tc.want) {
			t.Errorf("apikit %v: stderr lacks %q:\n%s", tc.args, tc.want, r)
		}
	}
}

// TestScanJSONErrorKind: with --json, a scan that could not be done says
// {"error": {"kind": "error"}} — exit 2 is shared with usage errors, but the
// command line was right — and a wrong command line still says "usage".
func TestScanJSONErrorKind(t *testing.T) {
	u := newUser(t)
	for _, tc := range []struct {
		args []string
		kind string
		want string
	}{
		{[]string{"scan", "--json", "no/such/file"}, "error", "no such file"},
		{[]string{"scan", "--json", "no/such/file", "no/such/other"}, "error", "2 paths could not be scanned"},
		{[]string{"scan", "--json", "install-hook"}, "error", "Git repository"},
		{[]string{"scan", "--json", "--git", "--staged"}, "usage", "choose one"},
	} {
		r := u.must(scanError, "", tc.args...)
		var v struct {
			Error struct {
				ExitCode int    `json:"exit_code"`
				Kind     string `json:"kind"`
				Message  string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Errorf("apikit %v: stdout is not one JSON error: %v\n%s", tc.args, err, r)
			continue
		}
		if v.Error.ExitCode != scanError || v.Error.Kind != tc.kind || !strings.Contains(v.Error.Message, tc.want) {
			t.Errorf("apikit %v: %+v, want exit 2, kind %q, a message with %q", tc.args, v.Error, tc.kind, tc.want)
		}
	}
}

// TestScanFoundAdvice: the advice after the findings names the whole rotate
// command (it needs the key's id, and keys list shows it), and reads right
// for one key and for several.
func TestScanFoundAdvice(t *testing.T) {
	u := newUser(t)
	hd, hx := newKey(t, keys.Hypedata), newKey(t, keys.HopX)
	u.writeFile("project/one.env", "HYPEDATA_API_KEY="+hd.Reveal()+"\n", 0o600)
	u.writeFile("project/two.env", "HYPEDATA_API_KEY="+hd.Reveal()+"\nHOPX_API_KEY="+hx.Reveal()+"\n", 0o600)
	for _, tc := range []struct {
		file, want string
	}{
		{"one.env", "apikit: 1 key found: rotate or revoke it (apikit keys rotate <service> <key-id>; " +
			"apikit keys list <service> shows its id beside the redacted key), then remove it from the files and the history\n"},
		{"two.env", "apikit: 2 keys found: rotate or revoke each (apikit keys rotate <service> <key-id>; " +
			"apikit keys list <service> shows their ids beside the redacted keys), then remove them from the files and the history\n"},
	} {
		r := u.must(scanFound, "", "scan", tc.file)
		if r.stderr != tc.want {
			t.Errorf("apikit scan %s: stderr\n%s\nwant\n%s", tc.file, r.stderr, tc.want)
		}
	}
}
