package clienttest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// Test a call of your own — here a HopX endpoint this SDK does not model —
// with the real service's key checks in front of it.
func ExampleServer_Handle() {
	srv := clienttest.NewServer(client.HopX)
	defer srv.Close()
	srv.Handle("POST /v1/sandboxes/{id}/commands", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"sandbox":%q,"exit_code":0}`, r.PathValue("id"))
	}))
	good, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci"})
	revoked, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "old"})
	_ = srv.RevokeKey(info.ID, "leaked")

	run := func(c *client.Client) error {
		var out struct {
			ExitCode int `json:"exit_code"`
		}
		return c.Do(context.Background(), "POST", "/v1/sandboxes/sbx_1/commands", map[string]string{"cmd": "ls"}, &out)
	}
	c, _ := srv.NewClient(good)
	defer c.CloseIdleConnections()
	fmt.Println(run(c))
	rc, _ := srv.NewClient(revoked)
	defer rc.CloseIdleConnections()
	fmt.Println(errors.Is(run(rc), apierrors.ErrRevoked))
	// Output:
	// <nil>
	// true
}

// An Endpoint needs a scope and costs credits: the server's scope, credit
// ceiling and balance checks then apply to it too, and CallerKey says who
// called.
func ExampleEndpoint() {
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithBalance(1000)) // unlimited without it
	defer srv.Close()
	srv.Handle("POST /v1/screenshots", clienttest.Endpoint{Scope: "screenshots", Cost: 5,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			who, _ := clienttest.CallerKey(r)
			fmt.Fprintf(w, `{"taken_for":%q}`, who.Name)
		})})
	shooter, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "shooter", Scopes: []string{"screenshots"}})
	scraper, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "scraper", Scopes: []string{"scrape"}})

	for _, k := range []struct {
		Name string
		Key  keys.Key
	}{{"shooter", shooter}, {"scraper", scraper}} {
		c, _ := srv.NewClient(k.Key)
		var out struct {
			TakenFor string `json:"taken_for"`
		}
		err := c.Do(context.Background(), "POST", "/v1/screenshots", map[string]string{"url": "https://example.com"}, &out)
		var ae *apierrors.Error
		if errors.As(err, &ae) {
			fmt.Println(k.Name, ae.Code, ae.RequiredScope)
		} else {
			fmt.Println(k.Name, out.TakenFor, err)
		}
		c.CloseIdleConnections()
	}
	fmt.Println("balance", srv.Balance())
	// Output:
	// shooter shooter <nil>
	// scraper insufficient_scope screenshots
	// balance 995
}

// HyperSync serves indexers deployed on Envio Cloud without a token.
func ExampleServer_AllowKeyless() {
	srv := clienttest.NewServer(client.HyperSync)
	defer srv.Close()
	fmt.Println(srv.AllowKeyless(100)) // 100 keyless requests a second, shared

	c, err := srv.NewKeylessClient() // client.WithoutKey: no key is sent
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseIdleConnections()
	var h struct {
		Height int64 `json:"height"`
	}
	fmt.Println(c.Do(context.Background(), "GET", "/height", nil, &h), h.Height > 0)

	hd := clienttest.NewServer(client.Hypedata)
	defer hd.Close()
	fmt.Println(hd.AllowKeyless(0))
	// Output:
	// <nil>
	// <nil> true
	// clienttest: AllowKeyless: hypedata needs a key on every request (its profile's KeyOptional is false)
}

// Deleting a Hypersave key (as its dashboard, or DELETE /keys/:id, does)
// leaves a secret the service no longer knows: it reads as unknown, not as
// revoked.
func ExampleServer_DeleteKey() {
	srv := clienttest.NewServer(client.Hypersave)
	defer srv.Close()
	key, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "old-app"})
	_ = srv.DeleteKey(info.ID)

	c, _ := srv.NewClient(key, client.WithMaxRetries(0))
	defer c.CloseIdleConnections()
	err := c.Do(context.Background(), "GET", "/v1/memories", nil, nil)
	fmt.Println(errors.Is(err, apierrors.ErrUnknownKey), errors.Is(err, apierrors.ErrRevoked))
	// Output: true false
}

// Every key check stands in front of an endpoint added with Handle; each
// failure is the typed error the real service's answer decodes to.
func ExampleServer_Handle_checks() {
	clock := clienttest.NewFakeClock(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock), clienttest.WithBalance(100))
	defer srv.Close()
	srv.Handle("GET /v1/mine", clienttest.Endpoint{Scope: "mine", Cost: 10,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{}`) })})

	issue := func(p clienttest.KeyParams) string {
		p.Name = "k"
		k, _, _ := srv.IssueKey(p)
		return k.Reveal()
	}
	revoked, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "r"})
	_ = srv.RevokeKey(info.ID, "leaked")
	unknown, _ := keys.Hypedata.Generate(keys.EnvLive, nil)
	limited := issue(clienttest.KeyParams{RateLimitPerSecond: 1})
	cases := []struct{ name, key string }{
		{"missing", ""},
		{"malformed", "hd_live_short"},
		{"unknown", unknown.Reveal()},
		{"revoked", revoked.Reveal()},
		{"expired", issue(clienttest.KeyParams{ExpiresAt: clock.Now().Add(time.Hour)})},
		{"ip", issue(clienttest.KeyParams{AllowedIPs: []string{"203.0.113.0/24"}})},
		{"scope", issue(clienttest.KeyParams{Scopes: []string{"scrape"}})},
		{"ceiling", issue(clienttest.KeyParams{CreditCeiling: 5})},
		{"ok", limited},
		{"rate", limited},
	}
	clock.Advance(2 * time.Hour)
	for _, c := range cases {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/mine", nil)
		if c.key != "" {
			req.Header.Set("Authorization", "Bearer "+c.key)
		}
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		err = apierrors.FromResponse(resp) // reads and closes an error's body
		resp.Body.Close()
		var ae *apierrors.Error
		if errors.As(err, &ae) {
			fmt.Println(c.name, ae.StatusCode, ae.Code)
		} else {
			fmt.Println(c.name, resp.StatusCode)
		}
	}
	// Output:
	// missing 401 missing_credentials
	// malformed 401 malformed_token
	// unknown 401 unknown_key
	// revoked 401 revoked
	// expired 401 expired
	// ip 403 unauthorized_ip
	// scope 403 insufficient_scope
	// ceiling 402 key_ceiling_exceeded
	// ok 200
	// rate 429 rate_limited
}
