package main

import (
	"strings"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/keys"
)

// adminUser is a user whose HYPEDATA_API_KEY is an admin key of srv, and
// whose base URL variable points at srv.
func adminUser(t *testing.T) (*user, *clienttest.Server, keys.Key) {
	t.Helper()
	srv := clienttest.NewServer(client.Hypedata)
	t.Cleanup(srv.Close)
	admin, _, err := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin", "scrape"}, ExpiresAt: time.Now().Add(90 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	u := newUser(t)
	u.env["HYPEDATA_API_KEY"] = admin.Reveal()
	u.env["HYPEDATA_BASE_URL"] = srv.URL
	return u, srv, admin
}

func TestKeysLifecycleAgainstAServer(t *testing.T) {
	u, srv, admin := adminUser(t)

	r := u.must(exitOK, "", "keys", "list", "hypedata")
	if !strings.Contains(r.stdout, "admin") || !strings.Contains(r.stdout, "active") {
		t.Errorf("keys list:\n%s", r)
	}

	// stdout is not a terminal: create refuses before asking the service.
	before := len(srv.Requests())
	r = u.must(exitUsage, "", "keys", "create", "hypedata", "--name", "ci")
	if !strings.Contains(r.stderr, "--show-secret") || len(srv.Requests()) != before {
		t.Errorf("create without a terminal or --show-secret: %s (requests %d -> %d)", r, before, len(srv.Requests()))
	}

	r = u.must(exitOK, "", "keys", "create", "hypedata", "--name", "ci", "--env", "test", "--scope", "scrape", "--expires", "720h", "--show-secret", "--json")
	u.allow(r.stdout)
	var created keyView
	decode(t, r, &created)
	k, err := keys.Parse(created.Secret, keys.Hypedata)
	if err != nil || created.ID == "" || created.Environment != "test" || created.ExpiresAt == nil {
		t.Fatalf("created: %+v (%v)", created.KeyInfo, err)
	}

	r = u.must(exitOK, "", "keys", "regenerate", "hypedata", created.ID, "--show-secret")
	u.allow(r.stdout)
	if !strings.Contains(r.stdout, "Secret (shown once") || strings.Contains(r.stdout, k.Reveal()) {
		t.Errorf("regenerate:\n%s", r)
	}

	r = u.must(exitOK, "", "keys", "revoke", "hypedata", created.ID, "--reason", "leaked", "--json")
	var revoked client.KeyInfo
	decode(t, r, &revoked)
	if !revoked.Revoked() || revoked.RevokedReason != "leaked" {
		t.Errorf("revoke: %+v", revoked)
	}
	u.must(exitError, "", "keys", "revoke", "hypedata", "key_nosuch")
	u.noLeak(admin.Reveal())
}

func TestKeysRotateStoresTheNewKeyAndRevokesTheOld(t *testing.T) {
	u, srv, admin := adminUser(t)
	_, old, err := srv.IssueKey(clienttest.KeyParams{Name: "worker", Scopes: []string{"scrape"}})
	if err != nil {
		t.Fatal(err)
	}
	u.must(exitUsage, "", "keys", "rotate", "hypedata", old.ID) // the new secret would go nowhere
	r := u.must(exitOK, "", "keys", "rotate", "hypedata", old.ID, "--store", "--insecure-storage", "--profile", "worker",
		"--poll-interval", "10ms", "--json")
	var res rotateResult
	decode(t, r, &res)
	if res.Stored != "config file" || res.New.Secret != "" || !res.Old.Revoked() || res.New.Name != "worker" {
		t.Fatalf("rotate: %+v", res)
	}
	info, ok := srv.Key(old.ID)
	if !ok || !info.Revoked() {
		t.Errorf("the old key is not revoked on the server: %+v", info)
	}
	// The stored key is the new one, and the service accepts it.
	delete(u.env, "HYPEDATA_API_KEY")
	r = u.must(exitOK, "", "status", "hypedata", "--profile", "worker", "--verify", "--json")
	var st statusResult
	decode(t, r, &st)
	if v := st.Services[0].Verify; v == nil || !v.Accepted || v.KeyID != res.New.ID {
		t.Errorf("status of the rotated key: %+v", st.Services[0])
	}
	u.noLeak(admin.Reveal())
}

func TestStatusVerifyExitCodes(t *testing.T) {
	u, srv, admin := adminUser(t)
	r := u.must(exitOK, "", "status", "hypedata", "--verify")
	for _, want := range []string{"env HYPEDATA_API_KEY", admin.Fingerprint(), "accepts it", "admin", "says the service"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status --verify does not say %q:\n%s", want, r)
		}
	}

	gone, info, err := srv.IssueKey(clienttest.KeyParams{Name: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RevokeKey(info.ID, "rotated"); err != nil {
		t.Fatal(err)
	}
	u.env["HYPEDATA_API_KEY"] = gone.Reveal()
	r = u.must(exitRefused, "", "status", "hypedata", "--verify")
	if !strings.Contains(r.stdout, "revoked") {
		t.Errorf("status of a revoked key:\n%s", r)
	}

	u.env["HYPEDATA_BASE_URL"] = "http://127.0.0.1:1"
	u.must(exitUnreachable, "", "status", "hypedata", "--verify", "--timeout", "5s")

	u.env["HYPEDATA_API_KEY"] = "hd_live_tooshort"
	u.must(exitBadKey, "", "status", "hypedata")
	delete(u.env, "HYPEDATA_API_KEY")
	u.must(exitNoKey, "", "status", "hypedata")
	u.must(exitNoKey, "", "status")
	u.noLeak(admin.Reveal(), gone.Reveal())
}

// A key's name comes from the server: one holding a terminal escape
// sequence is printed escaped by keys list (and by every command's text
// output), never sent to the terminal raw.
func TestKeysListEscapesServerText(t *testing.T) {
	u, srv, _ := adminUser(t)
	if _, _, err := srv.IssueKey(clienttest.KeyParams{Name: "ci\x1b]0;pwned\x07\x1b[2J"}); err != nil {
		t.Fatal(err)
	}
	r := u.must(exitOK, "", "keys", "list", "hypedata")
	if strings.ContainsAny(r.stdout, "\x1b\x07") || !strings.Contains(r.stdout, `ci\x1b]0;pwned\a\x1b[2J`) {
		t.Errorf("keys list printed the name raw:\n%q", r.stdout)
	}
}

// A key's name (server text) that holds a line break or a tab cannot forge
// a row of keys list: each field is escaped, so every key is one line.
func TestKeysListNameCannotForgeARow(t *testing.T) {
	u, srv, _ := adminUser(t)
	forged := "evil\nkey_FORGED\tprod-admin\tlive\thd_live_…ZZZZ\t2026-01-01\tnever\tnever\tactive"
	if _, _, err := srv.IssueKey(clienttest.KeyParams{Name: forged}); err != nil {
		t.Fatal(err)
	}
	r := u.must(exitOK, "", "keys", "list", "hypedata")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || strings.Contains(r.stdout, "\nkey_FORGED") || !strings.Contains(r.stdout, `evil\nkey_FORGED\tprod-admin`) {
		t.Errorf("keys list: want a header and 2 keys, the name escaped on its own row; got %d lines:\n%s", len(lines), r.stdout)
	}
}
