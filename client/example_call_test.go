package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/pacing"
)

// The options with a per-call meaning are given to New for every call, and
// to one call for that call: here the client retries three times, and one
// call not at all.
func ExampleWithMaxRetries() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "per-call"})
	c, _ := srv.NewClient(key, client.WithMaxRetries(3), client.WithRetryWait(time.Millisecond, time.Millisecond))
	defer c.CloseIdleConnections()

	srv.FailNext(1, http.StatusServiceUnavailable, 0)
	err := c.DoWith(context.Background(), "GET", "/v1/whoami", nil, nil, client.WithMaxRetries(0))
	fmt.Println(err != nil, len(srv.Requests()))
	srv.FailNext(1, http.StatusServiceUnavailable, 0)
	err = c.Do(context.Background(), "GET", "/v1/whoami", nil, nil)
	fmt.Println(err, len(srv.Requests()))
	// Output:
	// true 1
	// <nil> 3
}

// WithResponseInto gives what the answer said beside its body: status,
// headers (never the key), request id, attempts, the pacer's wait and the
// rate-limit state it announced — on success and on a server error.
func ExampleWithResponseInto() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "meta"})
	c, _ := srv.NewClient(key, client.WithRetryWait(time.Millisecond, time.Millisecond))
	defer c.CloseIdleConnections()

	srv.FailNext(1, http.StatusServiceUnavailable, 0)
	var meta client.Response
	err := c.DoWith(context.Background(), "GET", "/v1/whoami", nil, nil, client.WithResponseInto(&meta))
	fmt.Println(err, meta.StatusCode, "attempts:", meta.Attempts, "request id:", meta.RequestID != "")

	err = c.DoWith(context.Background(), "GET", "/v1/keys/key_missing", nil, nil, client.WithResponseInto(&meta))
	fmt.Println(err != nil, meta.StatusCode, "attempts:", meta.Attempts)
	// Output:
	// <nil> 200 attempts: 2 request id: true
	// true 404 attempts: 1
}

// A middleware runs once per call, around its attempts and waits: the
// place for a span, a metric or a policy. It sees the key's fingerprint,
// never the key.
func ExampleWithMiddleware() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "observed"})
	logCall := func(ctx context.Context, call *client.Call, next func(context.Context) error) error {
		err := next(ctx)
		fmt.Println(call.Method, call.Path, call.Service, "attempts:", call.Attempts, "status:", call.StatusCode,
			"key:", call.KeyFingerprint == key.Fingerprint(), "error:", err != nil)
		return err
	}
	c, _ := srv.NewClient(key, client.WithMiddleware(logCall), client.WithRetryWait(time.Millisecond, time.Millisecond))
	defer c.CloseIdleConnections()

	srv.FailNext(1, http.StatusBadGateway, 0)
	_ = c.Do(context.Background(), "GET", "/v1/whoami?verbose=1", nil, nil)
	// Output:
	// GET /v1/whoami hypedata attempts: 2 status: 200 key: true error: false
}

// Call.AttemptHook, set by a middleware, sees each attempt leave and come
// back, and gives it a context of its own (a child span, say).
func ExampleCall_attemptHook() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "attempts"})
	perAttempt := func(ctx context.Context, call *client.Call, next func(context.Context) error) error {
		call.AttemptHook = func(ctx context.Context, n int) (context.Context, func(client.Attempt)) {
			return ctx, func(a client.Attempt) { fmt.Println("attempt", a.Number, "status", a.StatusCode) }
		}
		return next(ctx)
	}
	c, _ := srv.NewClient(key, client.WithMiddleware(perAttempt), client.WithRetryWait(time.Millisecond, time.Millisecond))
	defer c.CloseIdleConnections()

	srv.FailNext(1, http.StatusServiceUnavailable, 0)
	_ = c.Do(context.Background(), "GET", "/v1/whoami", nil, nil)
	// Output:
	// attempt 1 status 503
	// attempt 2 status 200
}

// WithTimeout bounds a whole call — attempts, retry waits, pacer waits —
// as a context deadline would; a call's own value replaces the client's.
func ExampleWithTimeout() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "bounded"})
	c, _ := srv.NewClient(key, client.WithTimeout(30*time.Second))
	defer c.CloseIdleConnections()

	err := c.DoWith(context.Background(), "GET", "/v1/whoami", nil, nil, client.WithTimeout(5*time.Second))
	fmt.Println(err)
	// Output: <nil>
}

// WithAttemptTimeout bounds each attempt (DefaultAttemptTimeout when not
// given); the error of an attempt it ended says so and matches
// ErrAttemptTimeout.
func ExampleWithAttemptTimeout() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "slow"})
	release := make(chan struct{})
	srv.Handle("GET /v1/slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()
	defer close(release)

	err := c.DoWith(context.Background(), "GET", "/v1/slow", nil, nil,
		client.WithAttemptTimeout(10*time.Millisecond), client.WithMaxRetries(0))
	fmt.Println(errors.Is(err, client.ErrAttemptTimeout))
	fmt.Println(client.DefaultAttemptTimeout)
	// Output:
	// true
	// 1m0s
}

// WithPacerObserver sees the client's own pacer change how it paces the
// key: here a 429 closes the key's gate.
func ExampleWithPacerObserver() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "observed-pacer"})
	c, _ := srv.NewClient(key, client.WithPacerObserver(func(ev pacing.Event) {
		if ev.Kind == pacing.GateClosed {
			fmt.Println("gate closed by", ev.Reason, "for the key:", ev.Key == key.Fingerprint())
		}
	}))
	defer c.CloseIdleConnections()

	srv.FailNext(1, http.StatusTooManyRequests, time.Second)
	err := c.DoWith(context.Background(), "GET", "/v1/whoami", nil, nil, client.WithMaxRetries(0))
	fmt.Println(errors.Is(err, apierrors.ErrRateLimited))
	// Output:
	// gate closed by 429 for the key: true
	// true
}
