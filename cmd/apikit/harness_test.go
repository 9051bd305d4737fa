package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// The apikit program, built once (on first use, so that fuzz workers, which
// run no such test, do not build it) as a user builds it: go build.
var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// apikitBinary returns the path of the built apikit.
func apikitBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "apikit-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "apikit")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building apikit: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// user is a person at a shell: a fresh HOME and config directory, a
// working directory, their own environment (nothing of the test process's
// beyond PATH), and no keyring (D-Bus points nowhere, so go-keyring fails
// at once, as on a server with no Secret Service).
type user struct {
	t    *testing.T
	home string
	cwd  string
	env  map[string]string

	mu      sync.Mutex
	printed bytes.Buffer // everything apikit printed, for the leak search
	allowed []string     // outputs allowed to hold a secret (token, a new key's secret)
}

func newUser(t *testing.T) *user {
	t.Helper()
	apikitBinary(t)
	home := t.TempDir()
	u := &user{t: t, home: home, cwd: filepath.Join(home, "project"), env: map[string]string{
		"HOME":                     home,
		"XDG_CONFIG_HOME":          filepath.Join(home, ".config"),
		"PATH":                     os.Getenv("PATH"),
		"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + filepath.Join(home, "no-dbus"),
		"LANG":                     "C.UTF-8",
	}}
	if err := os.MkdirAll(u.cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	return u
}

// configPath is where the SDK (and apikit) look for the config file.
func (u *user) configPath() string { return filepath.Join(u.home, ".config", "apikit", "config.yaml") }

// result is one run of apikit.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs apikit with args and stdin, recording what it printed.
func (u *user) run(stdin string, args ...string) result {
	u.t.Helper()
	cmd := exec.Command(apikitBinary(u.t), args...)
	cmd.Dir = u.cwd
	for k, v := range u.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatalf("running apikit %v: %v", args, err)
	}
	r := result{stdout: out.String(), stderr: errb.String(), code: code}
	u.mu.Lock()
	fmt.Fprintf(&u.printed, "$ apikit (%d arguments, not shown: some are keys on purpose)\n%s%s", len(args), r.stdout, r.stderr)
	u.mu.Unlock()
	return r
}

// allow marks output that may hold a secret (token's, a new key's), so the
// leak search skips it.
func (u *user) allow(s string) {
	u.mu.Lock()
	u.allowed = append(u.allowed, s)
	u.mu.Unlock()
}

// must runs apikit and fails the test unless it exits with want.
func (u *user) must(want int, stdin string, args ...string) result {
	u.t.Helper()
	r := u.run(stdin, args...)
	if r.code != want {
		u.t.Fatalf("apikit %s: want exit %d, got %s", strings.Join(args, " "), want, r)
	}
	return r
}

// writeFile writes a file under the user's HOME (relative paths from it).
func (u *user) writeFile(rel, content string, mode os.FileMode) string {
	u.t.Helper()
	p := rel
	if !filepath.IsAbs(p) {
		p = filepath.Join(u.home, rel)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		u.t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		u.t.Fatal(err)
	}
	return p
}

// noLeak fails the test if anything apikit printed (outside the allowed
// outputs) holds any 8-character run of a secret's random part.
func (u *user) noLeak(secrets ...string) {
	u.t.Helper()
	u.mu.Lock()
	text := u.printed.String()
	for _, a := range u.allowed {
		text = strings.ReplaceAll(text, a, "<allowed>")
	}
	u.mu.Unlock()
	for _, s := range secrets {
		body := secretBody(s)
		for i := 0; i+8 <= len(body); i++ {
			if strings.Contains(text, body[i:i+8]) {
				u.t.Fatalf("apikit printed part of a secret (%q…); output:\n%s", body[i:i+8], text)
			}
		}
	}
}

// secretBody is the random part of a key: what follows its public prefix.
func secretBody(s string) string {
	for _, p := range []string{"hd_live_", "hd_test_", "hs_live_", "hs_test_", "hopx_live_", "hopx_test_"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return rest
		}
	}
	return s
}

// decode parses JSON output into v.
func decode(t *testing.T, r result, v any) {
	t.Helper()
	if err := json.NewDecoder(strings.NewReader(r.stdout)).Decode(v); err != nil && err != io.EOF {
		t.Fatalf("not JSON (%v): %s", err, r)
	}
}
