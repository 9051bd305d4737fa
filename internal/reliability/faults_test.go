package reliability

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
)

// callTimeout bounds every call in these tests: none may hang past it.
const callTimeout = 10 * time.Second

// healOnRetry returns an option that runs heal once, at the first retry: a
// transient fault that lasts exactly one attempt.
func healOnRetry(heal func()) client.Option {
	var once sync.Once
	return client.WithRetryHook(func(client.RetryEvent) { once.Do(heal) })
}

type fault struct {
	name   string
	toxic  string // JSON for Toxiproxy; "" for faults made by stopping the proxy
	opts   []client.Option
	before func(r *rig)
	heal   func(r *rig)
	// postReplayable: a POST without an idempotency key may be retried,
	// because the failure proves the server never saw it.
	postReplayable bool
}

func faults() []fault {
	return []fault{
		{name: "reset before the response", toxic: `{"name":"f","type":"reset_peer","stream":"upstream","attributes":{"timeout":0}}`},
		{name: "reset mid-body", toxic: `{"name":"f","type":"limit_data","stream":"downstream","attributes":{"bytes":180}}`},
		{name: "latency beyond the attempt timeout", toxic: `{"name":"f","type":"latency","stream":"downstream","attributes":{"latency":5000}}`,
			opts: []client.Option{client.WithAttemptTimeout(300 * time.Millisecond)}},
		{name: "stalled connection (timeout toxic)", toxic: `{"name":"f","type":"timeout","stream":"upstream","attributes":{"timeout":0}}`,
			opts: []client.Option{client.WithAttemptTimeout(300 * time.Millisecond)}},
		{name: "upstream down", before: func(r *rig) { r.proxy.Stop() }, heal: func(r *rig) { _ = r.proxy.Start() }, postReplayable: true},
	}
}

func (f fault) apply(t *testing.T, r *rig) {
	if f.toxic != "" {
		r.toxic(t, f.toxic)
	}
	if f.before != nil {
		f.before(r)
	}
}

func (f fault) healer(r *rig) func() {
	if f.heal != nil {
		return func() { f.heal(r) }
	}
	return r.clear
}

// TestTransientFaultsRecover: a GET, and a POST with an idempotency key,
// get through a fault that lasts one attempt; the POST is processed once and
// carries the same key on every attempt.
func TestTransientFaultsRecover(t *testing.T) {
	for _, f := range faults() {
		t.Run(f.name, func(t *testing.T) {
			r := newRig(t)
			f.apply(t, r)
			c := r.client(t, append(f.opts, healOnRetry(f.healer(r)))...)
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			if err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil); err != nil {
				t.Fatalf("GET through a transient fault: %v", err)
			}

			f.apply(t, r)
			c = r.client(t, append(f.opts, healOnRetry(f.healer(r)))...)
			var job struct{ ID string }
			if err := c.DoWith(ctx, "POST", "/v1/jobs", map[string]string{"url": "x"}, &job, client.WithIdempotencyKey("idem-"+f.name)); err != nil {
				t.Fatalf("POST with an idempotency key: %v", err)
			}
			if n := r.srv.JobsProcessed(); n != 1 {
				t.Errorf("the job was processed %d times, want 1", n)
			}
			for _, rec := range r.srv.Requests() {
				if rec.Path == "/v1/jobs" && rec.IdempotencyKey != "idem-"+f.name {
					t.Errorf("an attempt carried idempotency key %q", rec.IdempotencyKey)
				}
			}
		})
	}
}

// TestPersistentFaultsFailTyped: when the fault does not go away, the call
// ends, typed and explained, within its deadline; a POST without an
// idempotency key is never processed twice.
func TestPersistentFaultsFailTyped(t *testing.T) {
	for _, f := range faults() {
		t.Run(f.name, func(t *testing.T) {
			r := newRig(t)
			f.apply(t, r)
			c := r.client(t, f.opts...)
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil)
			var te *client.TransportError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v (%T), want a *client.TransportError", err, err)
			}
			if te.Attempts != client.DefaultMaxRetries+1 || !strings.Contains(err.Error(), "no answer after") || ctx.Err() != nil {
				t.Errorf("err = %v (attempts %d, ctx %v)", err, te.Attempts, ctx.Err())
			}

			before := r.srv.JobsProcessed()
			err = c.Do(ctx, "POST", "/v1/jobs", map[string]string{"url": "x"}, nil)
			if err == nil {
				t.Fatal("POST through a persistent fault succeeded")
			}
			if n := r.srv.JobsProcessed() - before; n > 1 {
				t.Errorf("a POST without an idempotency key was processed %d times", n)
			}
			if !f.postReplayable && !errors.As(err, &te) {
				t.Errorf("POST err = %v", err)
			}
		})
	}
}

// TestPostWithoutIdempotencyKeyNotReplayed: a POST cut after it reached the
// server is not sent again, even when the fault heals.
func TestPostWithoutIdempotencyKeyNotReplayed(t *testing.T) {
	r := newRig(t)
	r.toxic(t, `{"name":"f","type":"limit_data","stream":"downstream","attributes":{"bytes":180}}`)
	c := r.client(t, healOnRetry(r.clear))
	err := c.Do(context.Background(), "POST", "/v1/jobs", map[string]string{"url": "x"}, nil)
	if err == nil {
		t.Fatal("the cut POST succeeded")
	}
	if n := r.srv.JobsProcessed(); n != 1 {
		t.Errorf("processed %d times, want exactly 1", n)
	}
	if jobs := countPath(r, "/v1/jobs"); jobs != 1 {
		t.Errorf("the server received the POST %d times, want 1", jobs)
	}
}

// TestUpstreamDownPostIsRetried: connection refused proves the server never
// saw the request, so even a POST without an idempotency key is retried.
func TestUpstreamDownPostIsRetried(t *testing.T) {
	r := newRig(t)
	r.proxy.Stop()
	c := r.client(t, healOnRetry(func() { _ = r.proxy.Start() }))
	if err := c.Do(context.Background(), "POST", "/v1/jobs", map[string]string{"url": "x"}, nil); err != nil {
		t.Fatal(err)
	}
	if n := r.srv.JobsProcessed(); n != 1 {
		t.Errorf("processed %d times", n)
	}
}

// TestSlowBody: a bandwidth-limited body still arrives whole.
func TestSlowBody(t *testing.T) {
	r := newRig(t)
	r.toxic(t, `{"name":"slow","type":"bandwidth","stream":"downstream","attributes":{"rate":4}}`)
	c := r.client(t)
	var out struct {
		Data []client.KeyInfo `json:"data"`
	}
	if err := c.Do(context.Background(), "GET", "/v1/keys", nil, &out); err != nil || len(out.Data) != 1 {
		t.Fatalf("err = %v, keys %d", err, len(out.Data))
	}
}

// TestStallEndsAtTheDeadline: with no per-attempt bound, a stalled
// connection ends with the caller's deadline, not later.
func TestStallEndsAtTheDeadline(t *testing.T) {
	r := newRig(t)
	r.toxic(t, `{"name":"f","type":"timeout","stream":"upstream","attributes":{"timeout":0}}`)
	c := r.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want it to match context.DeadlineExceeded", err)
		}
	case <-time.After(callTimeout):
		t.Fatal("the call hung past its deadline")
	}
}

// TestKeepAliveClosedBetweenRequests: the server closes idle keep-alive
// connections between requests; the next GET and POST still work and the
// POST is processed once.
func TestKeepAliveClosedBetweenRequests(t *testing.T) {
	r := newRig(t)
	c := r.client(t)
	ctx := context.Background()
	if err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil); err != nil {
		t.Fatal(err)
	}
	r.proxy.Stop() // closes every connection through the proxy
	if err := r.proxy.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil); err != nil {
		t.Errorf("GET after the server closed keep-alive connections: %v", err)
	}
	if err := c.Do(ctx, "POST", "/v1/jobs", map[string]string{"url": "x"}, nil); err != nil {
		t.Errorf("POST after the server closed keep-alive connections: %v", err)
	}
	if n := r.srv.JobsProcessed(); n != 1 {
		t.Errorf("processed %d times", n)
	}
}

func countPath(r *rig, path string) int {
	n := 0
	for _, rec := range r.srv.Requests() {
		if rec.Path == path {
			n++
		}
	}
	return n
}
