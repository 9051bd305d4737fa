package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/cmd/apikit/internal/configfile"
	"github.com/apikit/apikit-go/cmd/apikit/internal/secretstore"
)

const handWritten = `# my apikit setup
profiles:
  # work first
  work:
    hopx:
      base_url: https://api.hopx.dev   # EU region soon
  default:
    hypedata:
      api_key: ` + hdKey + `
`

func TestConfigSetKeepsTheUsersCommentsAndOrder(t *testing.T) {
	u := newUser(t)
	cfg := u.writeFile(".config/apikit/config.yaml", handWritten, 0o600)
	u.must(exitOK, "", "config", "set", "hopx.base_url", "https://eu.api.hopx.dev", "--profile", "work")
	u.must(exitOK, "", "config", "set", "hypersave.api_key_command", "--profile", "work", "--", "op", "read", "op://work/hypersave")
	u.must(exitOK, "", "config", "set", "hypedata.base_url", "http://127.0.0.1:8080")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, want := range []string{"# my apikit setup", "# work first", "# EU region soon", "base_url: https://eu.api.hopx.dev",
		"api_key_command: [op, read, 'op://work/hypersave']", "api_key: " + hdKey} {
		if !strings.Contains(out, want) {
			t.Errorf("after config set, the file lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "work:") > strings.Index(out, "default:") {
		t.Errorf("the profiles changed order:\n%s", out)
	}

	r := u.must(exitOK, "", "config", "get", "hypedata.api_key")
	if strings.TrimSpace(r.stdout) == "" || !strings.Contains(r.stdout, "hd_test_…3EaU (fp_") {
		t.Errorf("config get api_key: %s", r)
	}
	r = u.must(exitOK, "", "config", "list", "--json")
	var list configList
	decode(t, r, &list)
	if len(list.Settings) != 4 || !list.Exists {
		t.Errorf("config list: %+v", list)
	}
	// api_key_command beside an api_key: the SDK refuses both, so does set.
	r = u.must(exitUsage, "", "config", "set", "hypedata.api_key_command", "--", "op", "read", "x")
	if !strings.Contains(r.stderr, "logout") {
		t.Errorf("%s", r)
	}
	u.must(exitUsage, "", "config", "set", "hypedata.apikey", "x")
	u.must(exitUsage, "", "config", "set", "hypedata.base_url", "ftp://x")
	u.must(exitOK, "", "config", "unset", "hypersave.api_key_command", "--profile", "work")
	u.must(exitError, "", "config", "get", "hypersave.api_key_command", "--profile", "work")
	u.noLeak(hdKey)
}

// TestLoginWithAKeyringPointsTheConfigFileAtIt runs the commands in
// process with an in-memory keyring (the OS's is not there in CI).
func TestLoginWithAKeyringPointsTheConfigFileAtIt(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("APIKIT_CONFIG_FILE", "")
	t.Setenv("APIKIT_PROFILE", "")
	t.Setenv("HYPEDATA_API_KEY", "")
	t.Chdir(home)
	ring := secretstore.NewMemory(nil)
	runIn := func(stdin string, args ...string) (string, int) {
		var out, errb bytes.Buffer
		a := &app{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, keyring: ring, exe: "/usr/local/bin/apikit"}
		code := run(context.Background(), args, a)
		return out.String() + errb.String(), code
	}
	out, code := runIn(hdKey+"\n", "login", "hypedata", "--profile", "prod")
	if code != 0 || !strings.Contains(out, "OS keyring") {
		t.Fatalf("login: %d %s", code, out)
	}
	d, _, err := configfile.Load(filepath.Join(home, ".config", "apikit", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := d.Get("prod", "hypedata", "api_key_command")
	if !ok || strings.Join(v.List, " ") != "/usr/local/bin/apikit token --from-keyring hypedata --profile prod" {
		t.Errorf("api_key_command: %+v", v)
	}
	if _, ok := d.Get("prod", "hypedata", "api_key"); ok {
		t.Error("the key itself was written to the config file")
	}
	if strings.Contains(out, secretBody(hdKey)[:8]) {
		t.Errorf("login printed the key: %s", out)
	}
	out, code = runIn("", "token", "hypedata", "--from-keyring", "--profile", "prod")
	if code != 0 || out != hdKey+"\n" {
		t.Errorf("token --from-keyring: %d %q", code, out)
	}
	out, code = runIn("", "logout", "hypedata", "--profile", "prod")
	if code != 0 || !strings.Contains(out, "keyring entry") || !strings.Contains(out, "api_key_command") {
		t.Errorf("logout: %d %s", code, out)
	}
	if _, err := ring.Get(context.Background(), "apikit:hypedata", "prod"); err == nil {
		t.Error("the keyring entry survived logout")
	}
	if _, code = runIn("", "token", "hypedata", "--from-keyring", "--profile", "prod"); code != exitNoKey {
		t.Errorf("token after logout: exit %d", code)
	}
}

// TestConfigShowsNoKeyInACommand: a hand-edited api_key_command that holds a
// key as an argument (echo <key>) is shown redacted by config get and
// config list, plain and --json, as the SDK's own messages show it.
func TestConfigShowsNoKeyInACommand(t *testing.T) {
	u := newUser(t)
	u.writeFile(".config/apikit/config.yaml", "profiles:\n  default:\n    hypedata:\n      api_key_command: [echo, "+hdKey+"]\n", 0o600)
	u.must(exitOK, "", "config", "get", "hypedata.api_key_command")
	u.must(exitOK, "", "config", "get", "hypedata.api_key_command", "--json")
	u.must(exitOK, "", "config", "list")
	u.must(exitOK, "", "config", "list", "--json")
	u.noLeak(hdKey)
}
