package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRealKeyringEndToEnd logs in with a real Secret Service (gnome-keyring
// in a private D-Bus session, as on a Linux desktop) and checks that the
// SDK's own search then finds the key through the api_key_command login
// wrote, that no key is in the config file, and that logout removes both.
func TestRealKeyringEndToEnd(t *testing.T) {
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed; .ci/run installs it", tool)
			}
			t.Skipf("%s is not installed (apt-get install dbus-daemon gnome-keyring); CI runs this test", tool)
		}
	}
	u := newUser(t)
	out := filepath.Join(u.home, "out")
	var env []string
	for k, v := range u.env {
		if k != "DBUS_SESSION_BUS_ADDRESS" { // dbus-run-session sets it
			env = append(env, fmt.Sprintf("export %s=%q", k, v))
		}
	}
	env = append(env, fmt.Sprintf("export XDG_DATA_HOME=%q XDG_RUNTIME_DIR=%q", filepath.Join(u.home, ".local", "share"), filepath.Join(u.home, "run")))
	step := func(name, stdin string, args ...string) string {
		return fmt.Sprintf("printf '%%s' %q | %s %s >%s/%s.out 2>&1; echo $? >%s/%s.code\n", stdin, apikitBinary(t), strings.Join(args, " "), out, name, out, name)
	}
	script := "#!/bin/sh\nset -u\n" + strings.Join(env, "\n") + "\n" +
		"mkdir -p \"$XDG_RUNTIME_DIR\" " + out + " && chmod 700 \"$XDG_RUNTIME_DIR\"\ncd " + u.cwd + "\n" +
		// A keyring unlocked with a password, as a desktop login does; the
		// daemon is this script's child, stopped at the end.
		"printf pw | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &\nGKD=$!\n" +
		// Wait (bounded) until it has made and unlocked the login keyring.
		"i=0; while [ ! -s \"$XDG_DATA_HOME/keyrings/login.keyring\" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\n" +
		"gnome-keyring-daemon --start --components=secrets >/dev/null\n" +
		step("login", hdKey, "login", "hypedata", "--profile", "prod") +
		"cp " + u.configPath() + " " + out + "/config-after-login.yaml\n" +
		step("token", "", "token", "hypedata", "--profile", "prod") +
		step("status", "", "status", "hypedata", "--profile", "prod", "--json") +
		step("doctor", "", "doctor", "--profile", "prod") +
		step("logout", "", "logout", "hypedata", "--profile", "prod") +
		step("after", "", "token", "hypedata", "--profile", "prod", "--from-keyring") +
		"kill $GKD; wait $GKD\n"
	path := u.writeFile("keyring.sh", script, 0o700)
	cmd := exec.Command("timeout", "60", "dbus-run-session", "--", path)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the D-Bus session failed: %v\n%s", err, b)
	}
	read := func(name string) (string, int) {
		b, _ := os.ReadFile(filepath.Join(out, name+".out"))
		c, _ := os.ReadFile(filepath.Join(out, name+".code"))
		code, err := strconv.Atoi(strings.TrimSpace(string(c)))
		if err != nil {
			t.Fatalf("%s did not run: %q", name, c)
		}
		u.mu.Lock()
		fmt.Fprintf(&u.printed, "$ apikit %s\n%s", name, b)
		u.mu.Unlock()
		return string(b), code
	}
	if s, code := read("login"); code != 0 || !strings.Contains(s, "in the OS keyring") {
		t.Fatalf("login: exit %d: %s", code, s)
	}
	cfg, err := os.ReadFile(filepath.Join(out, "config-after-login.yaml"))
	if err != nil || !strings.Contains(string(cfg), "--from-keyring") || strings.Contains(string(cfg), secretBody(hdKey)[:8]) {
		t.Fatalf("config file after login (%v):\n%s", err, cfg)
	}
	s, code := read("token")
	if code != 0 || s != hdKey+"\n" {
		t.Fatalf("token through the SDK's search: exit %d: %q", code, s)
	}
	u.allow(s)
	if s, code := read("status"); code != 0 || !strings.Contains(s, "api_key_command") {
		t.Errorf("status: exit %d: %s", code, s)
	}
	if s, code := read("doctor"); code != 0 || !strings.Contains(s, "No problems found") {
		t.Errorf("doctor with a working keyring: exit %d: %s", code, s)
	}
	if s, code := read("logout"); code != 0 || !strings.Contains(s, "keyring entry") {
		t.Errorf("logout: exit %d: %s", code, s)
	}
	if s, code := read("after"); code != exitNoKey {
		t.Errorf("the keyring entry survived logout: exit %d: %s", code, s)
	}
	u.noLeak(hdKey)
}
