//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/apikit/apikit-go/internal/otheruser"
)

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// attackerConfig is a config another user would plant: a key command that
// leaves a mark when it runs.
func attackerConfig(mark string) string {
	return "profiles:\n  default:\n    hypedata:\n      api_key_command: [sh, -c, \"touch " + mark + "; echo " + hdKey + "\"]\n      base_url: https://attacker.example\n"
}

// As another local user would attack, against the built binary in a temp
// HOME: a config file they can write, or their own file behind a link they
// planted, is refused by every command that reads it (its command never
// runs), with the path and the fix; doctor names each problem, and still
// names the planted link after the victim ran the chmod doctor suggests.
func TestCLIRefusesAConfigOthersCanChange(t *testing.T) {
	u := newUser(t)
	mark := filepath.Join(u.home, "command-ran")
	cfg := u.writeFile(".config/apikit/config.yaml", attackerConfig(mark), 0o666)
	for _, args := range [][]string{{"token", "hypedata"}, {"status", "hypedata"}, {"config", "list"}, {"config", "get", "hypedata.base_url"}} {
		r := u.run("", args...)
		if r.code == exitOK || !strings.Contains(r.stdout+r.stderr, "chmod go-w "+cfg) {
			t.Errorf("apikit %s trusted a mode-0666 config:\n%s", strings.Join(args, " "), r)
		}
	}
	r := u.must(exitProblems, "", "doctor", "--json")
	var res doctorResult
	decode(t, r, &res)
	if !hasProblem(res, "config-mode", cfg, "chmod go-w "+cfg) {
		t.Errorf("doctor: %s", r.stdout)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("the planted api_key_command ran")
	}
	u.noLeak(hdKey)
}

func TestCLIRefusesAPlantedLink(t *testing.T) {
	otheruser.Need(t)
	u := newUser(t)
	mark := filepath.Join(u.home, "command-ran")
	theirDir := t.TempDir()
	theirs := filepath.Join(theirDir, "evil.yaml")
	check(t, os.WriteFile(theirs, []byte(attackerConfig(mark)), 0o644))
	otheruser.Give(t, theirs)
	cfg := u.configPath()
	check(t, os.MkdirAll(filepath.Dir(cfg), 0o700))
	check(t, os.Symlink(theirs, cfg))
	otheruser.Give(t, cfg)

	r := u.run("", "token", "hypedata")
	if r.code == exitOK || !strings.Contains(r.stderr, "rm "+cfg) || !strings.Contains(r.stderr, "owned by") {
		t.Errorf("token through a planted link:\n%s", r)
	}
	r = u.must(exitProblems, "", "doctor", "--json")
	var res doctorResult
	decode(t, r, &res)
	if !hasProblem(res, "config-symlink", cfg, "rm "+cfg) || !hasProblem(res, "config-owner", theirs, "chown") {
		t.Errorf("doctor does not name the link and the file:\n%s", r.stdout)
	}
	// The victim runs a chmod on the path (it follows the link): the link
	// and the other user's file are still named.
	check(t, os.Chmod(cfg, 0o600))
	r = u.must(exitProblems, "", "doctor", "--json")
	res = doctorResult{}
	decode(t, r, &res)
	if !hasProblem(res, "config-symlink", cfg, "rm "+cfg) {
		t.Errorf("after the chmod, doctor no longer names the planted link:\n%s", r.stdout)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("the planted api_key_command ran")
	}
}

// config set and login never write through a link another user planted:
// the victim's notes.conf keeps its contents and mode.
func TestCLIWritesRefuseAPlantedLink(t *testing.T) {
	otheruser.Need(t)
	u := newUser(t)
	notes := u.writeFile("notes.conf", "my notes\n", 0o644)
	cfg := u.configPath()
	check(t, os.MkdirAll(filepath.Dir(cfg), 0o700))
	check(t, os.Symlink(notes, cfg))
	otheruser.Give(t, cfg)
	for _, run := range []func() result{
		func() result { return u.run("", "config", "set", "hypedata.base_url", "https://api.hypedata.io") },
		func() result { return u.run(hdKey, "login", "hypedata", "--insecure-storage") },
	} {
		r := run()
		if r.code == exitOK || !strings.Contains(r.stderr, "rm "+cfg) {
			t.Errorf("wrote through a planted link:\n%s", r)
		}
		b, err := os.ReadFile(notes)
		info, _ := os.Stat(notes)
		if err != nil || string(b) != "my notes\n" || info.Mode().Perm() != 0o644 {
			t.Fatalf("notes.conf changed: %q %v %v", b, info.Mode(), err)
		}
	}
	// A lock file planted as a link is not followed either.
	check(t, os.Remove(cfg))
	check(t, os.Symlink(notes, cfg+".lock"))
	r := u.run("", "config", "set", "hypedata.base_url", "https://api.hypedata.io")
	if r.code == exitOK || !strings.Contains(r.stderr, "symbolic link") {
		t.Errorf("locked through a planted link:\n%s", r)
	}
	if b, _ := os.ReadFile(notes); string(b) != "my notes\n" {
		t.Fatalf("notes.conf changed: %q", b)
	}
	u.noLeak(hdKey)
}

// A named pipe as the config file is refused at once by every command
// that reads it (not a hang, whatever --timeout says); /dev/zero is a
// bounded error.
func TestCLIConfigReaderIsBoundedAndNonBlocking(t *testing.T) {
	u := newUser(t)
	cfg := u.configPath()
	check(t, os.MkdirAll(filepath.Dir(cfg), 0o700))
	check(t, syscall.Mkfifo(cfg, 0o600))
	for _, args := range [][]string{{"config", "list"}, {"config", "get", "hypedata.base_url"}, {"config", "set", "hypedata.base_url", "https://api.hypedata.io"}, {"doctor"}, {"token", "hypedata"}} {
		r := u.run("", args...) // a hang here is the bug: the test binary's timeout ends it
		if r.code == exitOK || !strings.Contains(r.stdout+r.stderr, "named pipe") {
			t.Errorf("apikit %s on a named pipe:\n%s", strings.Join(args, " "), r)
		}
	}
	u.env["APIKIT_CONFIG_FILE"] = "/dev/zero"
	for _, args := range [][]string{{"config", "list"}, {"doctor"}} {
		r := u.run("", args...)
		if r.code == exitOK || !strings.Contains(r.stdout+r.stderr, "device") {
			t.Errorf("apikit %s on /dev/zero:\n%s", strings.Join(args, " "), r)
		}
	}
}

// hasProblem reports whether doctor named check for subject with fix.
func hasProblem(res doctorResult, check, subject, fix string) bool {
	for _, p := range res.Problems {
		if p.Check == check && p.Subject == subject && strings.Contains(p.Fix, fix) {
			return true
		}
	}
	return false
}
