package reliability

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/client"
)

// A pooled keep-alive connection the server has closed is only found dead
// when a request is written to it. net/http then sends a GET (or any
// request with an Idempotency-Key) again on a new connection by itself; it
// does not resend a POST without one, and neither does the SDK, since the
// server may have acted on it. These tests pin what holds in each order.

// restartProxy closes every connection through the proxy, as a server
// closing its idle keep-alive connections does.
func restartProxy(t *testing.T, r *rig) {
	t.Helper()
	r.proxy.Stop()
	if err := r.proxy.Start(); err != nil {
		t.Fatal(err)
	}
}

// TestKeepAliveClosedBetweenRequests: the server closes its idle
// keep-alive connections between two calls.
func TestKeepAliveClosedBetweenRequests(t *testing.T) {
	ctx := context.Background()

	// GET first: net/http resends the GET if its pooled connection is dead,
	// so it succeeds; the POST after it then has a live connection.
	t.Run("GET then POST", func(t *testing.T) {
		r := newRig(t)
		c := r.client(t)
		if err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil); err != nil {
			t.Fatal(err)
		}
		restartProxy(t, r)
		if err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil); err != nil {
			t.Errorf("GET after the server closed keep-alive connections: %v", err)
		}
		if err := c.Do(ctx, "POST", "/v1/jobs", map[string]string{"url": "x"}, nil); err != nil {
			t.Errorf("POST after a GET renewed the connection: %v", err)
		}
		if n := r.srv.JobsProcessed(); n != 1 {
			t.Errorf("processed %d times, want 1", n)
		}
	})

	// POST first, without an idempotency key: whether it lands on the dead
	// connection depends on whether the transport noticed the close first.
	// It may fail — then typed, saying why it was not retried, and not
	// processed at all (the server never read it) — or succeed, processed
	// once. Never twice.
	t.Run("POST first, no idempotency key", func(t *testing.T) {
		r := newRig(t)
		c := r.client(t)
		if err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil); err != nil {
			t.Fatal(err)
		}
		restartProxy(t, r)
		err := c.Do(ctx, "POST", "/v1/jobs", map[string]string{"url": "x"}, nil)
		n := r.srv.JobsProcessed()
		if err != nil {
			checkNotResent(t, err)
			if n != 0 {
				t.Errorf("the failed POST was processed %d times, want 0", n)
			}
		} else if n != 1 {
			t.Errorf("the POST was processed %d times, want 1", n)
		}
		t.Logf("POST on a possibly dead pooled connection: err = %v, processed %d", err, n)
	})

	// The same race, made certain: the server hangs up on the kept-alive
	// connection as the POST arrives, without reading or processing it (a
	// keep-alive timeout firing at that moment). Without an idempotency key
	// the call fails typed, after one attempt, and nothing was processed;
	// with one, the request is sent again on a new connection and is
	// processed exactly once.
	t.Run("POST lands on a connection the server closes", func(t *testing.T) {
		r := newRig(t)
		c := r.client(t)
		if err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil); err != nil {
			t.Fatal(err)
		}
		conns := r.srv.Connections()
		r.srv.DropNext(1)
		err := c.Do(ctx, "POST", "/v1/jobs", map[string]string{"url": "x"}, nil)
		checkNotResent(t, err)
		if n := r.srv.JobsProcessed(); n != 0 {
			t.Errorf("the dropped POST was processed %d times, want 0", n)
		}
		if got := r.srv.Connections(); got != conns {
			t.Errorf("the POST opened %d new connections, want 0 (it must go out on the pooled one)", got-conns)
		}

		if err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil); err != nil { // a pooled connection again
			t.Fatal(err)
		}
		r.srv.ResetRequests()
		r.srv.DropNext(1)
		if err := c.DoWith(ctx, "POST", "/v1/jobs", map[string]string{"url": "x"}, nil, client.WithIdempotencyKey("keepalive-1")); err != nil {
			t.Fatalf("POST with an idempotency key: %v", err)
		}
		if n := r.srv.JobsProcessed(); n != 1 {
			t.Errorf("processed %d times, want exactly 1", n)
		}
		var keys []string
		for _, rec := range r.srv.Requests() {
			if rec.Path == "/v1/jobs" {
				keys = append(keys, rec.IdempotencyKey)
			}
		}
		if len(keys) != 2 || keys[0] != "keepalive-1" || keys[1] != "keepalive-1" {
			t.Errorf("the server saw the POST with idempotency keys %q, want it twice with keepalive-1", keys)
		}
	})
}

// checkNotResent checks that err is the typed failure of a POST that was
// sent once and not again, saying why.
func checkNotResent(t *testing.T, err error) {
	t.Helper()
	var te *client.TransportError
	switch {
	case !errors.As(err, &te):
		t.Errorf("err = %v (%T), want a *client.TransportError", err, err)
	case te.Attempts != 1 || !strings.Contains(te.NotRetried, "a POST without an Idempotency-Key is never sent twice"):
		t.Errorf("err = %v (attempts %d): want one attempt and NotRetried naming the missing Idempotency-Key", err, te.Attempts)
	}
}
