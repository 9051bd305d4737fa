package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/gofrs/flock"

	"github.com/apikit/apikit-go/client"
)

// A newcomer's frictions with the CLI (issue 21), each through the built
// binary in a temporary HOME; each test failed before its fix.

// TestTimeoutsAreNotTheNetwork: a key command that does not finish, and a
// config lock another process holds, exit 9 "timeout" naming --timeout;
// they exited 6 "unreachable — check the network".
func TestTimeoutsAreNotTheNetwork(t *testing.T) {
	u := newUser(t)
	cfg := u.writeFile(".config/apikit/config.yaml",
		"profiles:\n  default:\n    hypedata:\n      api_key_command: [sleep, \"60\"]\n", 0o600)
	check := func(r result, what string) {
		t.Helper()
		if r.code != exitTimeout || !strings.Contains(r.stderr, "--timeout (300ms) passed") || strings.Contains(r.stderr, "network") {
			t.Errorf("%s: want exit %d naming --timeout, not the network; got %s", what, exitTimeout, r)
		}
	}
	check(u.run("", "token", "hypedata", "--timeout", "300ms"), "token with a hanging key command")
	if r := u.run("", "status", "hypedata", "--timeout", "300ms"); r.code != exitTimeout {
		t.Errorf("status with a hanging key command: want exit %d, got %s", exitTimeout, r)
	}
	r := u.run("", "token", "hypedata", "--timeout", "300ms", "--json")
	var out struct {
		Error struct {
			Code int    `json:"exit_code"`
			Kind string `json:"kind"`
		} `json:"error"`
	}
	decode(t, r, &out)
	if out.Error.Code != exitTimeout || out.Error.Kind != "timeout" {
		t.Errorf("--json: %+v, want exit %d of kind timeout", out.Error, exitTimeout)
	}

	lock := flock.New(cfg + ".lock")
	if ok, err := lock.TryLock(); !ok || err != nil {
		t.Fatalf("taking the lock: %v %v", ok, err)
	}
	defer lock.Unlock() //nolint:errcheck
	if err := os.Chmod(cfg+".lock", 0o600); err != nil {
		t.Fatal(err)
	}
	check(u.run("", "config", "set", "hypedata.base_url", "https://x.example", "--timeout", "300ms"), "config set under a held lock")
}

// TestBrokenYAMLExitsOneEverywhere: the same broken config file exits 1
// (README: the config file unreadable) from status, token and config; status
// exited 4, as for a malformed key.
func TestBrokenYAMLExitsOneEverywhere(t *testing.T) {
	u := newUser(t)
	u.writeFile(".config/apikit/config.yaml", "profiles:\n  default:\n    hypedata: [broken\n", 0o600)
	for _, args := range [][]string{{"status"}, {"status", "hypedata"}, {"token", "hypedata"}, {"config", "list"}, {"config", "get", "hypedata.base_url"}} {
		if r := u.run("", args...); r.code != exitError {
			t.Errorf("apikit %s: want exit %d, got %s", strings.Join(args, " "), exitError, r)
		}
	}
}

// TestConfigSetDashKeepsApikitsFlagsApart: after --, words are the
// command's; an apikit flag there (--profile prod) was silently stored in
// the command of the default profile. Now it is refused unless --profile
// came before -- (then the command may take a --profile of its own), and a
// flag-looking word after -- for another field is refused.
func TestConfigSetDashKeepsApikitsFlagsApart(t *testing.T) {
	u := newUser(t)
	r := u.must(exitUsage, "", "config", "set", "hypersave.api_key_command", "--", "echo", "hi", "--profile", "prod")
	if !strings.Contains(r.stderr, "before --") {
		t.Errorf("the refusal does not say where the flag goes: %s", r)
	}
	if _, err := os.Stat(u.configPath()); !os.IsNotExist(err) {
		t.Errorf("a refused set wrote the config file: %v", err)
	}
	u.must(exitUsage, "", "config", "set", "hypersave.api_key_command", "--", "echo", "--json")
	u.must(exitUsage, "", "config", "set", "hypedata.base_url", "--", "--profile")

	u.must(exitOK, "", "config", "set", "--profile", "prod", "hypersave.api_key_command", "--", "aws", "get", "--profile", "prod")
	var got configSetting
	decode(t, u.must(exitOK, "", "config", "get", "hypersave.api_key_command", "--profile", "prod", "--json"), &got)
	if strings.Join(got.List, " ") != "aws get --profile prod" {
		t.Errorf("profile prod's command: %q", got.List)
	}
	if r := u.run("", "config", "get", "hypersave.api_key_command"); r.code == exitOK {
		t.Errorf("the default profile got a command: %s", r)
	}
}

// TestConfigSetRefusesPlainHTTP: a base_url the SDK would refuse (http to
// another host) is refused when set; it was stored, and every program using
// the profile then failed. Loopback stays allowed.
func TestConfigSetRefusesPlainHTTP(t *testing.T) {
	u := newUser(t)
	r := u.must(exitUsage, "", "config", "set", "hypedata.base_url", "http://staging.hypedata.io")
	if !strings.Contains(r.stderr, "https://staging.hypedata.io") {
		t.Errorf("the refusal does not give the https URL: %s", r)
	}
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:9999/v1", "http://[::1]:80", "https://staging.hypedata.io"} {
		u.must(exitOK, "", "config", "set", "hypedata.base_url", ok)
	}
}

// TestVersion: apikit --version and apikit version print the release; both
// were unknown.
func TestVersion(t *testing.T) {
	u := newUser(t)
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r := u.must(exitOK, "", args...)
		if !strings.HasPrefix(r.stdout, "apikit "+client.Version+" ") {
			t.Errorf("apikit %s: %q", args[0], r.stdout)
		}
	}
	var v versionInfo
	decode(t, u.must(exitOK, "", "version", "--json"), &v)
	if v.Version != client.Version || v.Go == "" {
		t.Errorf("version --json: %+v", v)
	}
}

// TestConfigSetKeepsACommentsOnlyFile: a file holding only the user's
// comments keeps them after config set; they were dropped.
func TestConfigSetKeepsACommentsOnlyFile(t *testing.T) {
	u := newUser(t)
	cfg := u.writeFile(".config/apikit/config.yaml", "# my apikit settings\n# staging first\n", 0o600)
	u.must(exitOK, "", "config", "set", "hypedata.base_url", "https://staging.hypedata.io")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "# my apikit settings\n# staging first\n") || !strings.Contains(string(b), "base_url: https://staging.hypedata.io") {
		t.Errorf("config file after set:\n%s", b)
	}
}

// TestScanJSONPrintsErrorsOnce: with --json, a path that cannot be scanned
// is said once, in the {"error": …} on stdout; it was said on stderr too.
func TestScanJSONPrintsErrorsOnce(t *testing.T) {
	u := newUser(t)
	r := u.run("", "scan", "--json", "no-such-dir", "nor-this-one")
	if r.code != scanError || r.stderr != "" {
		t.Fatalf("want exit %d and nothing on stderr; got %s", scanError, r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var out struct {
		Error struct{ Message string } `json:"error"`
	}
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &out) != nil {
		t.Fatalf("want one JSON line; got %s", r)
	}
	if !strings.Contains(out.Error.Message, "no-such-dir") || !strings.Contains(out.Error.Message, "nor-this-one") {
		t.Errorf("the error does not name both paths: %q", out.Error.Message)
	}
}
