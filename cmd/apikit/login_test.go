package main

import (
	"os"
	"strings"
	"testing"
)

// Keys of the right shape, made up for these tests.
const (
	hdKey  = "hd_test_Q7fz2LmP9xKc4VbN8wRt1YhJ6sDg3EaU"
	hdKey2 = "hd_live_Zr5TyXw2Nq8Lp4Mk7Jh1Gf6Dc3Sa9VbQ"
)

func TestLoginWithoutKeyringRefusesThenInsecureStorageWritesMode0600(t *testing.T) {
	u := newUser(t)
	r := u.must(exitNoKeyring, hdKey+"\n", "login", "hypedata")
	for _, want := range []string{"no OS keyring answered", "--insecure-storage", "nothing stored"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	if _, err := os.Stat(u.configPath()); !os.IsNotExist(err) {
		t.Fatalf("a refused login wrote the config file: %v", err)
	}

	r = u.must(exitOK, hdKey+"\n", "login", "hypedata", "--insecure-storage")
	if !strings.Contains(r.stdout, "hd_test_…3EaU") || !strings.Contains(r.stdout, "fp_") {
		t.Errorf("login does not show the redacted key and fingerprint:\n%s", r)
	}
	info, err := os.Stat(u.configPath())
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("config file mode %04o, want 0600", info.Mode().Perm())
	}

	// The SDK's search finds it: token prints it alone.
	r = u.must(exitOK, "", "token", "hypedata")
	if r.stdout != hdKey+"\n" {
		t.Errorf("token printed %q", r.stdout)
	}
	u.allow(r.stdout)

	r = u.must(exitOK, "", "status", "hypedata")
	if !strings.Contains(r.stdout, "config file") || !strings.Contains(r.stdout, "hd_test_…3EaU") {
		t.Errorf("status does not show the key's source:\n%s", r)
	}

	// logout removes it; the SDK then finds nothing.
	u.must(exitOK, "", "logout", "hypedata")
	u.must(exitNoKey, "", "token", "hypedata")
	u.noLeak(hdKey)
}

func TestLoginRefusesAMalformedKeyWithTheSDKsReasonAndStoresNothing(t *testing.T) {
	u := newUser(t)
	cases := []struct{ key, reason string }{
		{hdKey[:len(hdKey)-1], "31 characters, want 32"},
		{"hd_prod_" + hdKey[8:], "does not start with"},
		{hdKey[:20] + "!" + hdKey[21:], "position 21"},
		{" " + hdKey, "whitespace"},
	}
	for _, c := range cases {
		r := u.must(exitBadKey, c.key+"\n", "login", "hypedata", "--insecure-storage")
		if !strings.Contains(r.stderr, c.reason) || !strings.Contains(r.stderr, "nothing stored") {
			t.Errorf("login of a bad key: want %q in the message:\n%s", c.reason, r)
		}
	}
	if _, err := os.Stat(u.configPath()); !os.IsNotExist(err) {
		t.Fatalf("a malformed key was stored: %v", err)
	}
	u.noLeak(hdKey)
}

func TestAKeyIsNeverAnArgumentAndIsNotRepeated(t *testing.T) {
	u := newUser(t)
	for _, args := range [][]string{
		{"login", "hypedata", hdKey},
		{"login", hdKey},
		{hdKey},
		{"login", "hypedata", "--key=" + hdKey},
		{"login", "hypedata", "-" + hdKey},
		{"config", "set", "hypedata.api_key", hdKey},
		{"config", "set", "hypedata.base_url", hdKey},
		{"keys", "revoke", "hypedata", hdKey},
		{"token", hdKey},
	} {
		r := u.run("", args...)
		if r.code != exitUsage {
			t.Errorf("apikit %s: want exit %d (usage), got %s", strings.Join(args, " ")[:20], exitUsage, r)
		}
	}
	u.noLeak(hdKey)
}

func TestLoginJSONAndExitCodesOnStdinProblems(t *testing.T) {
	u := newUser(t)
	r := u.must(exitNoKey, "", "login", "hypedata", "--json")
	var e struct {
		Error struct {
			ExitCode int    `json:"exit_code"`
			Kind     string `json:"kind"`
			Message  string `json:"message"`
		} `json:"error"`
	}
	decode(t, r, &e)
	if e.Error.Kind != "no_key" || e.Error.ExitCode != exitNoKey || !strings.Contains(e.Error.Message, "stdin") {
		t.Errorf("JSON error: %+v", e)
	}
	r = u.must(exitOK, hdKey, "login", "hypedata", "--insecure-storage", "--json", "--profile", "ci")
	var res loginResult
	decode(t, r, &res)
	if res.Profile != "ci" || res.Storage != "config file" || res.Fingerprint == "" || res.Key != "hd_test_…3EaU" {
		t.Errorf("login JSON: %+v", res)
	}
	u.noLeak(hdKey)
}

func TestLoginNotesAVariableThatShadowsTheStoredKey(t *testing.T) {
	u := newUser(t)
	u.env["HYPEDATA_API_KEY"] = hdKey2
	r := u.must(exitOK, hdKey, "login", "hypedata", "--insecure-storage")
	if !strings.Contains(r.stdout, "env HYPEDATA_API_KEY") || !strings.Contains(r.stdout, "wins") {
		t.Errorf("login does not say the variable wins:\n%s", r)
	}
	u.noLeak(hdKey, hdKey2)
}
