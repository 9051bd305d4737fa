package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMessagesReadAsOneSentence: a wrong number of arguments names the
// command once ("apikit: login: ...", not "apikit: apikit login: ..."),
// doctor counts one problem in the singular, no key found suggests apikit
// login beside what the SDK says to set, and config set refuses a section
// nothing would read (a misspelt service) but takes a service of your own.
func TestMessagesReadAsOneSentence(t *testing.T) {
	u := newUser(t)
	r := u.must(exitUsage, "", "login", "hypedata", hdKey)
	if !strings.HasPrefix(r.stderr, "apikit: login: 2 arguments given") {
		t.Errorf("login with a key as an argument:\n%s", r)
	}
	r = u.must(exitUsage, "", "token")
	if !strings.HasPrefix(r.stderr, "apikit: token: missing <service>") {
		t.Errorf("token without a service:\n%s", r)
	}
	for _, args := range [][]string{{"token", "hopx"}, {"keys", "list", "hopx"}} {
		r = u.must(exitNoKey, "", args...)
		if !strings.HasSuffix(strings.TrimSpace(r.stderr), "or run apikit login hopx") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("apikit %s with no key:\n%s", strings.Join(args, " "), r)
		}
	}
	r = u.must(exitUsage, "", "config", "set", "hypedat.base_url", "https://staging.hypedata.io")
	if !strings.Contains(r.stderr, "did you mean hypedata.base_url?") {
		t.Errorf("config set on a misspelt service:\n%s", r)
	}
	u.must(exitOK, "", "config", "set", "acme.base_url", "https://api.acme.example") // a service of your own
	u.must(exitOK, hdKey, "login", "hypedata", "--insecure-storage")
	u.writeFile(filepath.Join(u.cwd, ".env"), "HYPEDATA_API_KEY="+hdKey+"\n", 0o644) // readable by others: one problem
	r = u.must(exitProblems, "", "doctor")
	if !strings.Contains(r.stdout, "\n1 problem found:\n") {
		t.Errorf("doctor with one problem:\n%s", r)
	}
	u.noLeak(hdKey)
}
