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

// deadlineSlack is how far past its deadline a call may end. It is a
// hang detector, not a speed test: generous enough that a busy machine
// (-race, other builds beside it) never trips it, and still far shorter
// than the faults it is checked against (5 s of latency, a connection
// stalled for good), so a call that outlives its deadline because an
// attempt was detached from the caller's context, or a wait ignored it,
// still fails the test. (A body read past its attempt deadline shows
// differently: the call succeeds instead of failing with
// context.DeadlineExceeded.)
const deadlineSlack = 2 * time.Second

type fault struct {
	name   string
	toxic  string // JSON for Toxiproxy; "" for faults made by stopping the proxy
	opts   []client.Option
	before func(r *rig)
	heal   func(r *rig)
	// postReplayable: a POST without an idempotency key may be retried,
	// because the failure proves the server never saw it.
	postReplayable bool
	// reachesServer: the fault strikes on the way back, after the server
	// has processed the request, so a POST without an idempotency key is
	// processed exactly once and must not be sent again.
	reachesServer bool
	// attemptTimeout: the fault only ends at the per-attempt deadline
	// (WithAttemptTimeout), so the call must end within Attempts ×
	// attemptTimeout plus the retry waits and deadlineSlack.
	attemptTimeout time.Duration
}

// faultAttemptTimeout is the per-attempt deadline of the faults that only
// a deadline ends.
const faultAttemptTimeout = 300 * time.Millisecond

func faults() []fault {
	return []fault{
		{name: "reset before the request reaches the server", toxic: `{"name":"f","type":"reset_peer","stream":"upstream","attributes":{"timeout":0}}`},
		{name: "reset after the server answered", toxic: `{"name":"f","type":"reset_peer","stream":"downstream","attributes":{"timeout":0}}`,
			reachesServer: true},
		{name: "cut mid-body (after 180 bytes of the answer)", toxic: `{"name":"f","type":"limit_data","stream":"downstream","attributes":{"bytes":180}}`,
			reachesServer: true},
		{name: "latency beyond the attempt timeout", toxic: `{"name":"f","type":"latency","stream":"downstream","attributes":{"latency":5000}}`,
			opts: []client.Option{client.WithAttemptTimeout(faultAttemptTimeout)}, attemptTimeout: faultAttemptTimeout},
		{name: "stalled connection (timeout toxic)", toxic: `{"name":"f","type":"timeout","stream":"upstream","attributes":{"timeout":0}}`,
			opts: []client.Option{client.WithAttemptTimeout(faultAttemptTimeout)}, attemptTimeout: faultAttemptTimeout},
		{name: "upstream down", before: func(r *rig) { r.proxy.Stop() }, heal: func(r *rig) { _ = r.proxy.Start() }, postReplayable: true},
	}
}

// faultSample is the matrix a test tries: in the default run, a reset on
// the way in, one on the way back (after the server acted) and the upstream
// down; in the long suite, every fault.
func faultSample() []fault { return sample(faults(), 0, 1, 5) }

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
// carries the same key on every attempt (when the fault struck after the
// server processed it, the server saw it twice and replayed the answer).
func TestTransientFaultsRecover(t *testing.T) {
	for _, f := range faultSample() {
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
			if n := countPath(r, "/v1/jobs"); f.reachesServer && n != 2 {
				t.Errorf("the server received the POST %d times, want 2 (the first answer lost, then a replay)", n)
			}
		})
	}
}

// TestPersistentFaultsFailTyped: when the fault does not go away, the call
// ends, typed and explained, within its deadline; a POST without an
// idempotency key is never processed twice (exactly once when the fault
// strikes after the server processed it), and says why it was not retried.
func TestPersistentFaultsFailTyped(t *testing.T) {
	for _, f := range faultSample() {
		t.Run(f.name, func(t *testing.T) {
			r := newRig(t)
			f.apply(t, r)
			c := r.client(t, f.opts...)
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			start := time.Now()
			err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil)
			elapsed := time.Since(start)
			var te *client.TransportError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v (%T), want a *client.TransportError", err, err)
			}
			if te.Attempts != client.DefaultMaxRetries+1 || !strings.Contains(err.Error(), "no answer after") || ctx.Err() != nil {
				t.Errorf("err = %v (attempts %d, ctx %v)", err, te.Attempts, ctx.Err())
			}
			if f.attemptTimeout > 0 {
				bound := time.Duration(te.Attempts)*f.attemptTimeout + time.Duration(te.Attempts-1)*fastWaitMax + deadlineSlack
				if elapsed > bound {
					t.Errorf("the GET took %v for %d attempts of at most %v: past its deadline (bound %v)", elapsed, te.Attempts, f.attemptTimeout, bound)
				}
				if !te.Timeout() || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("err = %v: want a timeout matching context.DeadlineExceeded", err)
				}
			}

			before := r.srv.JobsProcessed()
			start = time.Now()
			err = c.Do(ctx, "POST", "/v1/jobs", map[string]string{"url": "x"}, nil)
			elapsed = time.Since(start)
			if err == nil {
				t.Fatal("POST through a persistent fault succeeded")
			}
			n := r.srv.JobsProcessed() - before
			switch {
			case f.reachesServer && n != 1:
				t.Errorf("a POST without an idempotency key that reached the server was processed %d times, want exactly 1", n)
			case n > 1:
				t.Errorf("a POST without an idempotency key was processed %d times", n)
			}
			if !errors.As(err, &te) {
				t.Fatalf("POST err = %v (%T), want a *client.TransportError", err, err)
			}
			if !f.postReplayable && (te.Attempts != 1 || !strings.Contains(te.NotRetried, "without an Idempotency-Key is never sent twice")) {
				t.Errorf("POST err = %v (attempts %d, NotRetried %q): want one attempt and the reason it was not retried", err, te.Attempts, te.NotRetried)
			}
			if f.attemptTimeout > 0 && elapsed > f.attemptTimeout+deadlineSlack {
				t.Errorf("the POST took %v, past its %v attempt deadline", elapsed, f.attemptTimeout)
			}
		})
	}
}

// TestPostWithoutIdempotencyKeyNotReplayed: a POST whose answer is lost
// after the server processed it is not sent again, even when the fault
// heals at once (so that a resend would succeed): the server receives it
// and processes it exactly once, and the caller gets a typed error saying
// why it was not retried.
func TestPostWithoutIdempotencyKeyNotReplayed(t *testing.T) {
	for _, f := range faults() {
		if !f.reachesServer {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			r := newRig(t)
			f.apply(t, r)
			c := r.client(t, healOnRetry(r.clear))
			err := c.Do(context.Background(), "POST", "/v1/jobs", map[string]string{"url": "x"}, nil)
			var te *client.TransportError
			if !errors.As(err, &te) || te.Attempts != 1 || !strings.Contains(err.Error(), "not retried: a POST without an Idempotency-Key is never sent twice") {
				t.Errorf("err = %v; want a *client.TransportError after 1 attempt saying why it was not retried", err)
			}
			if n := r.srv.JobsProcessed(); n != 1 {
				t.Errorf("processed %d times, want exactly 1", n)
			}
			if jobs := countPath(r, "/v1/jobs"); jobs != 1 {
				t.Errorf("the server received the POST %d times, want 1", jobs)
			}
		})
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

// stallDeadline is the caller's deadline in TestStallEndsAtTheDeadline.
const stallDeadline = 500 * time.Millisecond

// TestStallEndsAtTheDeadline: with no per-attempt bound, a stalled
// connection ends with the caller's deadline, not later: a typed error
// matching context.DeadlineExceeded within deadlineSlack of the deadline.
func TestStallEndsAtTheDeadline(t *testing.T) {
	r := newRig(t)
	r.toxic(t, `{"name":"f","type":"timeout","stream":"upstream","attributes":{"timeout":0}}`)
	c := r.client(t)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), stallDeadline)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil) }()
	select {
	case err := <-done:
		elapsed := time.Since(start)
		var te *client.TransportError
		if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &te) {
			t.Errorf("err = %v, want a *client.TransportError matching context.DeadlineExceeded", err)
		}
		if elapsed > stallDeadline+deadlineSlack {
			t.Errorf("the call ended %v after it started, past its %v deadline", elapsed, stallDeadline)
		}
	case <-time.After(callTimeout):
		t.Fatal("the call hung past its deadline")
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
