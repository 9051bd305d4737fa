package clienttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

func Example() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci", Env: keys.EnvTest})

	// Any HTTP client can talk to it; the SDK's is one call away (srv.NewClient).
	req, _ := http.NewRequest("GET", srv.URL+"/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+key.Reveal())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var who client.Identity
	_ = json.NewDecoder(resp.Body).Decode(&who)
	fmt.Println(resp.StatusCode, who.Name, who.Environment, resp.Header.Get("X-Hd-Mode"))
	// Output: 200 ci test test
}

func ExampleServer_IssueKey() {
	srv := clienttest.NewServer(client.HopX)
	defer srv.Close()
	key, info, err := srv.IssueKey(clienttest.KeyParams{Name: "worker", Scopes: []string{"scrape"}})
	fmt.Println(err, info.Name, info.Environment, key.Env(), key.ID() != "", info.Scopes)
	// Output: <nil> worker live live true [scrape]
}

func ExampleServer_RevokeKey() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "laptop"})
	_ = srv.RevokeKey(info.ID, "laptop lost")

	req, _ := http.NewRequest("GET", srv.URL+"/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+key.Reveal())
	resp, _ := http.DefaultClient.Do(req)
	err := apierrors.FromResponse(resp)
	var apiErr *apierrors.Error
	errors.As(err, &apiErr)
	fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Reason, errors.Is(err, apierrors.ErrRevoked))
	// Output: 401 revoked laptop lost true
}

func ExampleFakeClock() {
	clock := clienttest.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "temp", ExpiresAt: clock.Now().Add(24 * time.Hour)})
	c, _ := srv.NewClient(key)

	fmt.Println(c.Do(context.Background(), "GET", "/v1/whoami", nil, nil))
	clock.Advance(25 * time.Hour) // no sleeping
	err := c.Do(context.Background(), "GET", "/v1/whoami", nil, nil)
	fmt.Println(errors.Is(err, apierrors.ErrExpired))
	// Output:
	// <nil>
	// true
}

func ExampleServer_FailNext() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "flaky"})
	attempts := 1
	c, _ := srv.NewClient(key, client.WithRetryWait(time.Millisecond, time.Millisecond),
		client.WithRetryHook(func(client.RetryEvent) { attempts++ }))

	srv.FailNext(2, http.StatusServiceUnavailable, 0) // two 503s without a hint: backoff
	err := c.Do(context.Background(), "GET", "/v1/whoami", nil, nil)
	fmt.Println(err, attempts)
	// Output: <nil> 3
}

func ExampleServer_Requests() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "audited", Scopes: []string{"scrape"}})
	c, _ := srv.NewClient(key)
	_ = c.Do(context.Background(), "GET", "/v1/scrape?url=https://example.com", nil, nil)
	_ = c.Do(context.Background(), "GET", "/v1/serp?q=go", nil, nil)
	for _, r := range srv.Requests() {
		fmt.Printf("%s %s %d %q\n", r.Method, r.Path, r.Status, r.Code)
	}
	// Output:
	// GET /v1/scrape 200 ""
	// GET /v1/serp 403 "insufficient_scope"
}
