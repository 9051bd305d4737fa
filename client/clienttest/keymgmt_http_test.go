package clienttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// keyServices are the profiles with a key-management API.
var keyServices = []client.Service{client.Hypedata, client.Hypersave, client.HopX, client.Web3Storage}

// adminClient starts a server for svc and returns an SDK client holding a
// key with the admin scope.
func adminClient(t *testing.T, svc client.Service) (*clienttest.Server, *clienttest.FakeClock, *client.Client, keys.Key) {
	t.Helper()
	srv, clock := newServer(t, svc)
	admin, _ := issue(t, srv, clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	c, err := srv.NewClient(admin, client.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return srv, clock, c, admin
}

// scrapeWith calls /v1/scrape through an SDK client holding key.
func scrapeWith(t *testing.T, srv *clienttest.Server, key keys.Key) error {
	t.Helper()
	c, err := srv.NewClient(key, client.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	var out struct {
		URL     string `json:"url"`
		Content string `json:"content"`
	}
	err = c.Do(context.Background(), http.MethodGet, "/v1/scrape?url=https://example.com", nil, &out)
	if err == nil && (out.URL != "https://example.com" || !strings.Contains(out.Content, "<html>")) {
		t.Errorf("scrape answered %+v", out)
	}
	return err
}

// TestKeyManagementOverHTTP drives create, get, list, usage, regenerate and
// revoke through the SDK's KeysService for every service with a keys API.
func TestKeyManagementOverHTTP(t *testing.T) {
	for _, svc := range keyServices {
		t.Run(svc.Name, func(t *testing.T) {
			srv, _, c, admin := adminClient(t, svc)
			ctx := context.Background()
			secrets := []string{admin.Reveal()}

			nk, err := c.Keys().Create(ctx, client.CreateKeyParams{Name: "ci", Scopes: []string{"scrape"}, CreditCeiling: 100})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			secrets = append(secrets, nk.Secret.Reveal())
			if nk.ID == "" || nk.Name != "ci" || nk.Environment != "live" || nk.CreditCeiling != 100 || fmt.Sprint(nk.Scopes) != "[scrape]" || !nk.CreatedAt.Equal(start) {
				t.Errorf("created %+v", nk.KeyInfo)
			}
			if nk.Redacted != nk.Secret.String() || strings.Contains(nk.Redacted, nk.Secret.Reveal()) {
				t.Errorf("Redacted %q, the secret prints %q", nk.Redacted, nk.Secret.String())
			}
			if _, err := svc.KeyFormat.Parse(nk.Secret.Reveal()); err != nil {
				t.Errorf("the created secret is not a %s key: %v", svc.Name, err)
			}
			for i := range 3 {
				if err := scrapeWith(t, srv, nk.Secret); err != nil {
					t.Fatalf("scrape %d with the created key: %v", i, err)
				}
			}

			got, err := c.Keys().Get(ctx, nk.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got.ID != nk.ID || got.CreditsUsed != 3 || got.LastUsedAt == nil || got.Revoked() {
				t.Errorf("Get %+v, want 3 credits used and a last use", got)
			}
			u, err := c.Keys().Usage(ctx, nk.ID)
			if err != nil {
				t.Fatalf("Usage: %v", err)
			}
			if u.KeyID != nk.ID || u.Requests != 3 || u.Credits != 3 || !u.PeriodStart.Equal(start) {
				t.Errorf("Usage %+v, want 3 requests, 3 credits", u)
			}

			// Regenerate: same key, new secret; the old one is unknown.
			rk, err := c.Keys().Regenerate(ctx, nk.ID)
			if err != nil {
				t.Fatalf("Regenerate: %v", err)
			}
			secrets = append(secrets, rk.Secret.Reveal())
			if rk.ID != nk.ID || rk.Secret.Reveal() == nk.Secret.Reveal() || rk.Redacted != rk.Secret.String() || rk.CreditsUsed != 3 {
				t.Errorf("regenerated %+v", rk.KeyInfo)
			}
			err = scrapeWith(t, srv, nk.Secret)
			if !errors.Is(err, apierrors.ErrUnknownKey) {
				t.Errorf("the old secret after Regenerate: %v, want unknown_key", err)
			}
			var ae *apierrors.Error
			if !errors.As(err, &ae) || ae.StatusCode != 401 {
				t.Errorf("the old secret after Regenerate: %#v, want a 401", ae)
			}
			if err := scrapeWith(t, srv, rk.Secret); err != nil {
				t.Fatalf("the new secret: %v", err)
			}

			// Revoke.
			rv, err := c.Keys().Revoke(ctx, nk.ID, "rotated after the incident")
			if err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			if !rv.Revoked() || !rv.RevokedAt.Equal(start) || rv.RevokedReason != "rotated after the incident" {
				t.Errorf("revoked %+v", rv)
			}
			err = scrapeWith(t, srv, rk.Secret)
			if deletes := svc.Dialect == client.DialectHypersave || svc.Dialect == client.DialectWeb3; deletes {
				// Hypersave's DELETE "permanently deletes" the key and
				// web3.storage deletes tokens: the secret is unknown, the
				// id gone.
				if !errors.Is(err, apierrors.ErrUnknownKey) || errors.Is(err, apierrors.ErrRevoked) {
					t.Errorf("a deleted %s key: %v, want only unknown_key", svc.Name, err)
				}
				if _, err := c.Keys().Get(ctx, nk.ID); !errors.As(err, &ae) || ae.StatusCode != 404 {
					t.Errorf("Get of a deleted key: %v, want 404", err)
				}
				if list, err := c.Keys().List(ctx); err != nil || len(list) != 1 {
					t.Errorf("List after delete: %+v %v, want the admin key alone", list, err)
				}
				return
			}
			if svc.Dialect == client.DialectWeb3 {
				// 403 ERROR_TOKEN_BLOCKED: a permission error, not more.
				if !errors.Is(err, apierrors.ErrPermission) || errors.Is(err, apierrors.ErrRevoked) {
					t.Errorf("a revoked web3 token: %v, want only ErrPermission", err)
				}
			} else if !errors.Is(err, apierrors.ErrRevoked) || !errors.As(err, &ae) || ae.StatusCode != 401 {
				t.Errorf("the revoked key: %v, want 401 revoked", err)
			}
			if svc.Dialect == client.DialectHypedata && (!ae.RevokedAt.Equal(start) || ae.Reason != "rotated after the incident") {
				t.Errorf("revoked error RevokedAt %v, Reason %q", ae.RevokedAt, ae.Reason)
			}
			if _, err := c.Keys().Regenerate(ctx, nk.ID); !errors.As(err, &ae) || ae.StatusCode != 409 {
				t.Errorf("Regenerate of a revoked key: %v, want 409", err)
			}
			// A second revocation keeps the first time and reason.
			if rv2, err := c.Keys().Revoke(ctx, nk.ID, "again"); err != nil || rv2.RevokedReason != "rotated after the incident" {
				t.Errorf("second Revoke: %+v %v", rv2, err)
			}

			// List: every key, redacted, never a secret.
			list, err := c.Keys().List(ctx)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if len(list) != 2 || list[0].Name != "admin" || list[1].ID != nk.ID || !list[1].Revoked() || list[1].Redacted != rk.Redacted {
				t.Errorf("List %+v", list)
			}
			b, _ := json.Marshal(list)
			printed := string(b) + fmt.Sprintf("%v %+v %#v", list, list, list)
			for i, s := range secrets {
				if strings.Contains(printed, s) {
					t.Errorf("List shows secret %d", i)
				}
			}

			// Unknown id: a typed 404.
			_, err = c.Keys().Get(ctx, "key_doesnotexist")
			if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Code != apierrors.CodeNotFound {
				t.Errorf("Get of an unknown id: %v, want a 404 not_found *apierrors.Error", err)
			}
			for name, call := range map[string]func() error{
				"Revoke":     func() error { _, err := c.Keys().Revoke(ctx, "key_doesnotexist", ""); return err },
				"Regenerate": func() error { _, err := c.Keys().Regenerate(ctx, "key_doesnotexist"); return err },
				"Usage":      func() error { _, err := c.Keys().Usage(ctx, "key_doesnotexist"); return err },
			} {
				if err := call(); !errors.As(err, &ae) || ae.Code != apierrors.CodeNotFound {
					t.Errorf("%s of an unknown id: %v", name, err)
				}
			}
		})
	}
}

// TestKeyManagementNeedsAdmin: without the admin scope the keys API is a
// 403 insufficient_scope naming admin; a key without scopes holds them all.
func TestKeyManagementNeedsAdmin(t *testing.T) {
	for _, svc := range keyServices {
		t.Run(svc.Name, func(t *testing.T) {
			srv, _ := newServer(t, svc)
			k, _ := issue(t, srv, clienttest.KeyParams{Scopes: []string{"scrape", "billing"}})
			c, _ := srv.NewClient(k, client.WithMaxRetries(0))
			defer c.CloseIdleConnections()
			_, err := c.Keys().List(context.Background())
			if !errors.Is(err, apierrors.ErrPermission) {
				t.Fatalf("List with a scrape key: %v, want a permission error", err)
			}
			var ae *apierrors.Error
			if errors.As(err, &ae); (svc.Dialect == client.DialectHypedata || svc.Dialect == client.DialectHopX) && ae.RequiredScope != "admin" {
				t.Errorf("RequiredScope %q, want admin", ae.RequiredScope)
			}
			all, _ := issue(t, srv, clienttest.KeyParams{})
			ca, _ := srv.NewClient(all)
			defer ca.CloseIdleConnections()
			if _, err := ca.Keys().List(context.Background()); err != nil {
				t.Errorf("List with a key without scopes: %v", err)
			}
		})
	}
}

// TestKeyManagementCreateSettings: the settings given to Create are the
// key's, enforced on its requests: a test environment, an expiry on the
// server's clock, an IP allow-list.
func TestKeyManagementCreateSettings(t *testing.T) {
	srv, clock, c, _ := adminClient(t, client.Hypedata)
	ctx := context.Background()
	exp := start.Add(24 * time.Hour)
	tk, err := c.Keys().Create(ctx, client.CreateKeyParams{Name: "sandbox", Environment: "test", ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	if tk.Secret.Env() != keys.EnvTest || !strings.HasPrefix(tk.Secret.Reveal(), "hd_test_") || tk.Environment != "test" || tk.ExpiresAt == nil || !tk.ExpiresAt.Equal(exp) {
		t.Errorf("test key %+v (env %v)", tk.KeyInfo, tk.Secret.Env())
	}
	if err := scrapeWith(t, srv, tk.Secret); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	clock.Advance(24 * time.Hour)
	if err := scrapeWith(t, srv, tk.Secret); !errors.Is(err, apierrors.ErrExpired) {
		t.Errorf("after expiry: %v, want ErrExpired", err)
	}
	ik, err := c.Keys().Create(ctx, client.CreateKeyParams{Name: "office", AllowedIPs: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := scrapeWith(t, srv, ik.Secret); !errors.Is(err, apierrors.ErrUnauthorizedIP) {
		t.Errorf("from 127.0.0.1: %v, want ErrUnauthorizedIP", err)
	}
	// Bad settings are a 400, not a key.
	var ae *apierrors.Error
	for _, p := range []client.CreateKeyParams{
		{Name: "x", Scopes: []string{"root"}},
		{Name: "x", AllowedIPs: []string{"not-an-ip"}},
	} {
		if _, err := c.Keys().Create(ctx, p); !errors.As(err, &ae) || ae.StatusCode != 400 {
			t.Errorf("Create(%+v): %v, want a 400", p, err)
		}
	}
	if list, _ := c.Keys().List(ctx); len(list) != 3 {
		t.Errorf("%d keys after two refused creations, want 3", len(list))
	}
}

// TestSelfServiceEndpoints: whoami needs no scope, usage needs billing, and
// /v1/billing reports the balance and what was spent.
func TestSelfServiceEndpoints(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata, clienttest.WithBalance(50))
	k, info := issue(t, srv, clienttest.KeyParams{Name: "me", Scopes: []string{"serp", "billing"}})
	c, _ := srv.NewClient(k)
	defer c.CloseIdleConnections()
	ctx := context.Background()
	id, err := c.Verify(ctx)
	if err != nil || id.KeyID != info.ID || id.Name != "me" || id.Environment != "live" || fmt.Sprint(id.Scopes) != "[serp billing]" {
		t.Errorf("Verify: %+v %v", id, err)
	}
	if err := c.Do(ctx, "GET", "/v1/serp?q=go", nil, nil); err != nil {
		t.Fatal(err)
	}
	u, err := c.Usage(ctx)
	if err != nil || u.KeyID != info.ID || u.Requests != 3 || u.Credits != 2 {
		t.Errorf("Usage: %+v %v, want 3 requests (whoami, serp, usage) and 2 credits", u, err)
	}
	var bill struct {
		Balance     int64 `json:"balance"`
		CreditsUsed int64 `json:"credits_used"`
	}
	if err := c.Do(ctx, "GET", "/v1/billing", nil, &bill); err != nil || bill.Balance != 48 || bill.CreditsUsed != 2 {
		t.Errorf("billing %+v %v", bill, err)
	}
	noBilling, _ := issue(t, srv, clienttest.KeyParams{Scopes: []string{"scrape"}})
	c2, _ := srv.NewClient(noBilling)
	defer c2.CloseIdleConnections()
	if _, err := c2.Usage(ctx); !errors.Is(err, apierrors.ErrInsufficientScope) {
		t.Errorf("Usage without billing: %v", err)
	}
	if _, err := c2.Verify(ctx); err != nil {
		t.Errorf("Verify needs no scope: %v", err)
	}
	var ae *apierrors.Error
	if err := c.Do(ctx, "GET", "/v1/nowhere", nil, nil); !errors.As(err, &ae) || ae.StatusCode != 404 {
		t.Errorf("unknown path: %v", err)
	}
}

// TestKeyObjectWireFields: PROTOCOL.md's key object has every field, with
// null for unset times and "" for no revocation reason.
func TestKeyObjectWireFields(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	admin, info := issue(t, srv, clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	a := fetch(t, srv, "GET", "/v1/keys/"+info.ID, admin.Reveal(), nil, "")
	if a.Resp.StatusCode != 200 {
		t.Fatalf("GET key: %d %s", a.Resp.StatusCode, a.Body)
	}
	obj := jsonObject(t, a.Body)
	var missing []string
	for _, f := range []string{"id", "name", "environment", "redacted", "scopes", "allowed_ips", "credit_ceiling", "credits_used",
		"rate_limit_per_second", "rate_limit_per_hour", "monthly_request_limit", "expires_at", "created_at", "last_used_at", "revoked_at", "revoked_reason"} {
		if _, ok := obj[f]; !ok {
			missing = append(missing, f)
		}
	}
	if _, ok := obj["secret"]; ok {
		t.Error("GET shows the secret")
	}
	if len(missing) > 0 {
		t.Errorf("the key object omits %v; PROTOCOL.md has every field present (null, \"\" or [] when empty)", missing)
	}
}
