package clienttest_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// A held request meets the caller's deadline: the call ends with
// context.DeadlineExceeded, not after the delay.
func ExampleServer_DelayNext() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "impatient"})
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()

	srv.DelayNext(1, 10*time.Second) // the next request is held for 10 s
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := c.Do(ctx, "GET", "/v1/whoami", nil, nil)
	fmt.Println("deadline exceeded:", errors.Is(err, context.DeadlineExceeded))
	var te *client.TransportError
	if errors.As(err, &te) {
		fmt.Println("attempts:", te.Attempts, "timeout:", te.Timeout())
	}

	// The delay was used up: the next request is answered at once.
	fmt.Println(c.Do(context.Background(), "GET", "/v1/whoami", nil, nil))
	// Output:
	// deadline exceeded: true
	// attempts: 1 timeout: true
	// <nil>
}

// An HTTPS server, for code that insists on TLS. Its certificate is
// self-signed: srv.HTTPClient and srv.NewClient trust it; any other client
// fails the handshake (x509.UnknownAuthorityError).
func ExampleWithTLS() {
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithTLS())
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "tls"})
	fmt.Println("https:", strings.HasPrefix(srv.URL, "https://"))

	c, _ := srv.NewClient(key) // uses srv.HTTPClient()
	defer c.CloseIdleConnections()
	who, err := c.Verify(context.Background())
	fmt.Println(who.Name, err)

	// Plain net/http: srv.HTTPClient() trusts the certificate.
	req, _ := http.NewRequest("GET", srv.URL+"/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+key.Reveal())
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, "TLS 1.2 or newer:", resp.TLS != nil && resp.TLS.Version >= tls.VersionTLS12)
	// Output:
	// https: true
	// tls <nil>
	// 200 TLS 1.2 or newer: true
}

// The workspace balance pays for live keys' requests; test keys are free.
// An empty balance answers 402 workspace_balance.
func ExampleWithBalance() {
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithBalance(3))
	defer srv.Close()
	live, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "live"})
	test, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "test", Env: keys.EnvTest})
	c, _ := srv.NewClient(live)
	defer c.CloseIdleConnections()
	tc, _ := srv.NewClient(test)
	defer tc.CloseIdleConnections()
	ctx := context.Background()

	fmt.Println("serp (2 credits):", c.Do(ctx, "GET", "/v1/serp?q=go", nil, nil), "balance", srv.Balance())
	err := c.Do(ctx, "GET", "/v1/serp?q=go", nil, nil)
	fmt.Println("serp again: workspace balance:", errors.Is(err, apierrors.ErrWorkspaceBalance), "balance", srv.Balance())
	fmt.Println("scrape (1 credit):", c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil), "balance", srv.Balance())
	fmt.Println("test key's serp:", tc.Do(ctx, "GET", "/v1/serp?q=go", nil, nil), "balance", srv.Balance())
	// Output:
	// serp (2 credits): <nil> balance 1
	// serp again: workspace balance: true balance 1
	// scrape (1 credit): <nil> balance 0
	// test key's serp: <nil> balance 0
}

// Usage counts a key's requests (those refused for scope, IP, credits or
// rate limit included) and the credits it was charged.
func ExampleServer_Usage() {
	clock := clienttest.NewFakeClock(time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	defer srv.Close()
	key, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "scraper", Scopes: []string{"scrape"}})
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()
	ctx := context.Background()

	_ = c.Do(ctx, "GET", "/v1/scrape?url=a", nil, nil)
	clock.Advance(time.Minute)
	_ = c.Do(ctx, "GET", "/v1/scrape?url=b", nil, nil)
	_ = c.Do(ctx, "GET", "/v1/serp?q=go", nil, nil) // 403: the key lacks the serp scope

	u, ok := srv.Usage(info.ID)
	fmt.Println(ok, u.KeyID == info.ID, "requests:", u.Requests, "credits:", u.Credits)
	fmt.Println("period start:", u.PeriodStart.Format(time.RFC3339), "last used:", u.LastUsedAt.Format(time.RFC3339))
	_, ok = srv.Usage("key_doesnotexist")
	fmt.Println(ok)
	// Output:
	// true true requests: 3 credits: 2
	// period start: 2027-01-01T09:00:00Z last used: 2027-01-01T09:01:00Z
	// false
}

// Key describes a key as the server holds it now: credits used, revocation.
func ExampleServer_Key() {
	clock := clienttest.NewFakeClock(time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	defer srv.Close()
	key, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "worker", CreditCeiling: 10})
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()
	_ = c.Do(context.Background(), "GET", "/v1/serp?q=go", nil, nil) // 2 credits

	k, ok := srv.Key(info.ID)
	fmt.Println(ok, k.Name, k.Environment, "credits:", k.CreditsUsed, "of", k.CreditCeiling, "revoked:", k.Revoked())
	fmt.Println("redacted:", k.Redacted == key.String())

	_ = srv.RevokeKey(info.ID, "rotated")
	k, _ = srv.Key(info.ID)
	fmt.Println("revoked:", k.Revoked(), k.RevokedReason, k.RevokedAt.Format(time.RFC3339))
	_, ok = srv.Key("key_doesnotexist")
	fmt.Println(ok)
	// Output:
	// true worker live credits: 2 of 10 revoked: false
	// redacted: true
	// revoked: true rotated 2027-01-01T09:00:00Z
	// false
}

// ResetRequests empties the request log, so a test can look at the
// requests of one step only.
func ExampleServer_ResetRequests() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "steps", Scopes: []string{"scrape"}})
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()
	ctx := context.Background()

	_, _ = c.Verify(ctx) // setup
	_ = c.Do(ctx, "GET", "/v1/scrape?url=setup", nil, nil)
	fmt.Println("after setup:", len(srv.Requests()))

	srv.ResetRequests()
	_ = c.Do(ctx, "GET", "/v1/serp?q=go", nil, nil) // the step under test
	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Status, r.Code)
	}
	// Output:
	// after setup: 2
	// GET /v1/serp 403 insufficient_scope
}

// Connections counts the TCP connections clients opened: a client that
// reuses its connections opens one for many sequential requests.
func ExampleServer_Connections() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "pooled"})
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()
	ctx := context.Background()

	for range 5 {
		_, _ = c.Verify(ctx)
	}
	fmt.Println("requests:", len(srv.Requests()), "connections:", srv.Connections())

	c.CloseIdleConnections() // the next request needs a new connection
	_, _ = c.Verify(ctx)
	fmt.Println("requests:", len(srv.Requests()), "connections:", srv.Connections())
	// Output:
	// requests: 5 connections: 1
	// requests: 6 connections: 2
}

// AllScopes lists the scopes a key can hold; IssueKey refuses any other.
func ExampleAllScopes() {
	fmt.Println(clienttest.AllScopes())

	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	_, _, err := srv.IssueKey(clienttest.KeyParams{Name: "typo", Scopes: []string{"scrapes"}})
	fmt.Println(err)
	// Output:
	// [scrape serp parse stream jobs billing admin]
	// clienttest: unknown scope "scrapes" (known: scrape, serp, parse, stream, jobs, billing, admin)
}

// Service is the server's profile pointed at the server, for building a
// client with options of your own.
func ExampleServer_Service() {
	srv := clienttest.NewServer(client.HopX)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "custom-client"})

	svc := srv.Service()
	fmt.Println(svc.Name, svc.BaseURL == srv.URL, svc.BaseURLEnvVar == "")
	c, err := client.New(client.WithService(svc), client.WithBaseURL(srv.URL), client.WithAPIKey(key.Reveal()),
		client.WithHTTPClient(srv.HTTPClient()), client.WithHeaderAuth(""))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseIdleConnections()
	who, err := c.Verify(context.Background()) // HopX's key test: GET /v1/templates
	fmt.Println(who.CheckedWith, err, srv.Requests()[0].AuthVia)
	// Output:
	// hopx true true
	// GET /v1/templates <nil> header
}

// Set moves a fake clock to any instant, backwards too.
func ExampleFakeClock_Set() {
	clock := clienttest.NewFakeClock(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "q1", ExpiresAt: time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)})
	c, _ := srv.NewClient(key, client.WithMaxRetries(0))
	defer c.CloseIdleConnections()
	ctx := context.Background()

	for _, day := range []string{"2027-03-31", "2027-04-01", "2027-02-15"} {
		t, _ := time.Parse(time.DateOnly, day)
		clock.Set(t)
		_, err := c.Verify(ctx)
		fmt.Println(clock.Now().Format(time.DateOnly), "expired:", errors.Is(err, apierrors.ErrExpired))
	}
	// Output:
	// 2027-03-31 expired: false
	// 2027-04-01 expired: true
	// 2027-02-15 expired: false
}
