package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
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

// TestStatusSaysWhenAKeyNeverExpires: with --verify, an admin key whose
// record has no expiry reads "never (says the service)", not the advice to
// run --verify that was just run; a key that may not read its record says
// neither told.
func TestStatusSaysWhenAKeyNeverExpires(t *testing.T) {
	srv := clienttest.NewServer(client.Hypedata)
	t.Cleanup(srv.Close)
	admin, _, err := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := srv.IssueKey(clienttest.KeyParams{Name: "plain", Scopes: []string{"scrape"}})
	if err != nil {
		t.Fatal(err)
	}
	u := newUser(t)
	u.env["HYPEDATA_BASE_URL"] = srv.URL
	u.env["HYPEDATA_API_KEY"] = admin.Reveal()
	r := u.must(exitOK, "", "status", "hypedata", "--verify")
	if !strings.Contains(r.stdout, "expires  never (says the service)") {
		t.Errorf("status --verify of an admin key without expiry:\n%s", r)
	}
	u.env["HYPEDATA_API_KEY"] = plain.Reveal()
	r = u.must(exitOK, "", "status", "hypedata", "--verify")
	if !strings.Contains(r.stdout, "expires  not said by the key, nor by the service") {
		t.Errorf("status --verify of a key that may not read its record:\n%s", r)
	}
	u.noLeak(admin.Reveal(), plain.Reveal())
}

// TestUnreachableSaysWhatToDo: an exit 6 ends with what to do about it —
// wait, for a rate limit; check the network and the base URL, when nothing
// answered.
func TestUnreachableSaysWhatToDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600") // past the SDK's cap: the call returns at once
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":"rate_limited","message":"slow down"}}`))
	}))
	t.Cleanup(srv.Close)
	u := newUser(t)
	u.env["HYPEDATA_API_KEY"] = hdKey
	r := u.must(exitUnreachable, "", "keys", "list", "hypedata", "--base-url", srv.URL)
	if !strings.HasSuffix(strings.TrimSpace(r.stderr), "wait, then try again") {
		t.Errorf("keys list against a 429:\n%s", r)
	}
	u.noLeak(hdKey)

	noAnswer := fmt.Errorf("listing keys: %w", &url.Error{Op: "Get", URL: "https://api.example", Err: errors.New("connection refused")})
	if exitCodeOf(noAnswer) != exitUnreachable || !strings.Contains(unreachableFix(noAnswer), "base URL") {
		t.Errorf("no answer: exit %d, fix %q", exitCodeOf(noAnswer), unreachableFix(noAnswer))
	}
}

// TestScanHelpHasOnlyItsOwnExitCodes: scan's help states its own exit codes
// (0 none found, 1 found, 2 failed) and not the table of the other commands,
// which gives 1 and 2 other meanings.
func TestScanHelpHasOnlyItsOwnExitCodes(t *testing.T) {
	u := newUser(t)
	r := u.must(exitOK, "", "scan", "--help")
	if !strings.Contains(r.stdout, "0 no key found, 1 keys found, 2 the scan failed") || strings.Contains(r.stdout, "8  problems") {
		t.Errorf("scan --help:\n%s", r)
	}
	if r = u.must(exitOK, "", "status", "--help"); !strings.Contains(r.stdout, "8  problems") {
		t.Errorf("status --help lost the exit codes:\n%s", r)
	}
}
