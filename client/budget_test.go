package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	apierrors "github.com/apikit/apikit-go/errors"
)

// hammer makes calls concurrent GET calls through c and returns their errors.
func hammer(t *testing.T, c *Client, calls int) []error {
	t.Helper()
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Do(context.Background(), "GET", "/v1/x", nil, nil)
		}()
	}
	wg.Wait()
	return errs
}

// TestRetryBudgetDeadServer: 64 goroutines against a server that answers
// every request 503 send their 64 calls and the budget's 20 retries, not
// 64 × 4 requests; the calls refused a retry say why.
func TestRetryBudgetDeadServer(t *testing.T) {
	srv := newScripted(t, reply(503, `{"error":{"code":"unavailable","message":"down"}}`))
	c, _ := newTestClient(t, srv)
	errs := hammer(t, c, 64)
	sent := len(srv.got())
	if want := 64 + DefaultRetryBudget; sent != want {
		t.Errorf("the server saw %d requests for 64 calls; want %d (each call once, plus the budget's %d retries)", sent, want, DefaultRetryBudget)
	}
	refused := 0
	for _, err := range errs {
		var ae *apierrors.Error
		if !errors.As(err, &ae) || ae.StatusCode != 503 {
			t.Fatalf("err = %v, want the typed 503", err)
		}
		if strings.Contains(ae.NotRetried, "retry budget is spent") {
			refused++
			if !strings.Contains(err.Error(), "WithRetryBudget") {
				t.Errorf("the error does not name the option: %v", err)
			}
		}
	}
	if refused < 64-DefaultRetryBudget {
		t.Errorf("%d calls say the budget refused them; want at least %d", refused, 64-DefaultRetryBudget)
	}
}

// TestRetryBudgetConnectionFailures: a retry after a connection failure
// counts double, so a port nobody listens on gets 64 + 10 attempts.
func TestRetryBudgetConnectionFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	fs := &fakeSleep{}
	c, err := New(WithService(testService("http://"+addr)), WithAPIKey(testKey), withSleeper(fs.sleep))
	if err != nil {
		t.Fatal(err)
	}
	errs := hammer(t, c, 64)
	attempts := 0
	for _, err := range errs {
		var te *TransportError
		if !errors.As(err, &te) {
			t.Fatalf("err = %v, want a *TransportError", err)
		}
		attempts += te.Attempts
	}
	if want := 64 + DefaultRetryBudget/2; attempts != want {
		t.Errorf("%d attempts for 64 calls to a closed port; want %d", attempts, want)
	}
}

// TestRetryBudgetOff: WithRetryBudget(0) lets every call use all its
// retries.
func TestRetryBudgetOff(t *testing.T) {
	srv := newScripted(t, reply(503, ``))
	c, _ := newTestClient(t, srv, WithRetryBudget(0))
	hammer(t, c, 16)
	if got, want := len(srv.got()), 16*(DefaultMaxRetries+1); got != want {
		t.Errorf("the server saw %d requests; want %d", got, want)
	}
}

// TestRetryBudgetIgnores429: retries of 429s spend nothing, and a server
// that answers keeps the bucket full.
func TestRetryBudgetIgnores429(t *testing.T) {
	var n atomic.Int64
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 1 {
			reply(429, ``, "Retry-After", "0")(w, r)
			return
		}
		reply(200, `{}`)(w, r)
	})
	c, _ := newTestClient(t, srv)
	for i := 0; i < 3*DefaultRetryBudget; i++ {
		if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := c.budget.tokens.Load(); got != c.budget.capacity {
		t.Errorf("the budget holds %d tokens after 429s; want it full (%d)", got, c.budget.capacity)
	}
}

// TestRetryBudgetRefills: successes earn retries back, a fifth each; a
// retried call that succeeds returns what it spent.
func TestRetryBudgetRefills(t *testing.T) {
	b := newRetryBudget(2)
	for i := range 2 {
		if !b.take(retryCost) {
			t.Fatalf("a budget of 2 retries refused retry %d", i+1)
		}
	}
	if b.take(retryCost) {
		t.Fatal("a budget of 2 retries allowed a third")
	}
	for i := 0; i < retryCost-1; i++ {
		b.give(successTopUp)
	}
	if b.take(retryCost) {
		t.Fatal("4 successes earned a whole retry")
	}
	b.give(successTopUp)
	if !b.take(retryCost) {
		t.Fatal("5 successes did not earn a retry")
	}
	b.give(100 * retryCost)
	if got := b.tokens.Load(); got != b.capacity {
		t.Errorf("tokens = %d, want capped at %d", got, b.capacity)
	}
	if off := newRetryBudget(0); !off.take(1 << 40) {
		t.Error("a budget of 0 (off) refused")
	}
}

func TestWithRetryBudgetValidates(t *testing.T) {
	for _, n := range []int{-1, 1_000_001} {
		if _, err := New(WithService(testService("http://127.0.0.1:1")), WithAPIKey(testKey), WithRetryBudget(n)); err == nil || !strings.Contains(err.Error(), "WithRetryBudget") {
			t.Errorf("WithRetryBudget(%d): err = %v", n, err)
		}
	}
}
