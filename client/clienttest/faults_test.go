package clienttest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptrace"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
)

// retryCounter counts RetryEvents; safe for the client's goroutines.
type retryCounter struct {
	mu     sync.Mutex
	events []client.RetryEvent
}

func (r *retryCounter) hook(ev client.RetryEvent) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *retryCounter) list() []client.RetryEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]client.RetryEvent(nil), r.events...)
}

// faultClient is an SDK client whose backoff is a millisecond.
func faultClient(t *testing.T, srv *clienttest.Server) (*client.Client, *retryCounter) {
	t.Helper()
	k, _ := issue(t, srv, clienttest.KeyParams{Name: "faulty"})
	rc := &retryCounter{}
	c, err := srv.NewClient(k, client.WithRetryWait(time.Millisecond, time.Millisecond), client.WithRetryHook(rc.hook))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c, rc
}

// TestFailNext: two injected 503s, then the GET succeeds on the third
// attempt; the faults answer before any check and are in the log.
func TestFailNext(t *testing.T) {
	for _, svc := range keyServices {
		t.Run(svc.Name, func(t *testing.T) {
			srv, _ := newServer(t, svc)
			c, rc := faultClient(t, srv)
			srv.FailNext(2, http.StatusServiceUnavailable, 0) // 0: no Retry-After, so no real 1 s wait
			if err := c.Do(context.Background(), "GET", freeRead(svc), nil, nil); err != nil {
				t.Fatalf("GET %s after FailNext(2): %v", freeRead(svc), err)
			}
			evs := rc.list()
			if len(evs) != 2 {
				t.Fatalf("%d retries, want 2: %+v", len(evs), evs)
			}
			for i, ev := range evs {
				if ev.Attempt != i+1 || ev.StatusCode != 503 || ev.Code != apierrors.CodeUnavailable || ev.ServerAsked {
					t.Errorf("retry %d: %+v", i, ev)
				}
			}
			recs := srv.Requests()
			if len(recs) != 3 || recs[0].Fault != "fail" || recs[1].Fault != "fail" || recs[2].Fault != "" || recs[0].Status != 503 || recs[2].Status != 200 {
				t.Errorf("log %+v", recs)
			}
			if recs[2].Key == "" || recs[0].KeyID != "" || recs[0].AuthVia != "bearer" {
				t.Errorf("a fault answers before the checks, yet the log has %+v", recs[0])
			}
		})
	}
}

// TestFailNextRetryAfter: the fault's Retry-After is sent in whole seconds,
// it answers even a request without a key, and the next request is normal.
// Plain net/http: nothing waits.
func TestFailNextRetryAfter(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	srv.FailNext(1, http.StatusTooManyRequests, 1500*time.Millisecond)
	a := fetch(t, srv, "GET", "/v1/whoami", "", nil, "")
	if a.Resp.StatusCode != 429 || a.Resp.Header.Get("Retry-After") != "2" {
		t.Errorf("fault: %d, Retry-After %q", a.Resp.StatusCode, a.Resp.Header.Get("Retry-After"))
	}
	if d, ok := apierrors.RetryAfter(apierrors.FromResponse(a.Resp)); !ok || d != 2*time.Second {
		t.Errorf("decoded wait %v %v", d, ok)
	}
	if a := fetch(t, srv, "GET", "/v1/whoami", "", nil, ""); a.Resp.StatusCode != 401 {
		t.Errorf("after the fault: %d, want the normal 401", a.Resp.StatusCode)
	}
	srv.FailNext(0, 500, 0) // nothing queued
	srv.FailNext(-1, 500, 0)
	if a := fetch(t, srv, "GET", "/v1/whoami", "", nil, ""); a.Resp.StatusCode != 401 {
		t.Errorf("FailNext(0) and FailNext(-1) injected a fault: %d", a.Resp.StatusCode)
	}
}

// TestFailNextSDKGivesUp: with a long Retry-After and a short cap, the SDK
// returns at once with the server's wait; it never sleeps it.
func TestFailNextSDKGivesUp(t *testing.T) {
	srv, _ := newServer(t, client.HopX)
	k, _ := issue(t, srv, clienttest.KeyParams{})
	c, _ := srv.NewClient(k, client.WithMaxRetryAfter(time.Second))
	defer c.CloseIdleConnections()
	srv.FailNext(1, 503, time.Hour)
	began := time.Now()
	err := c.Do(context.Background(), "GET", "/v1/whoami", nil, nil)
	if d, ok := apierrors.RetryAfter(err); !ok || d != time.Hour {
		t.Errorf("err %v, RetryAfter %v %v, want 1h", err, d, ok)
	}
	if el := time.Since(began); el > 10*time.Second {
		t.Errorf("took %v", el)
	}
}

// TestDropNext: a dropped connection on a fresh client is retried by the SDK
// (net/http retries only on reused connections) and the GET succeeds.
func TestDropNext(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	c, rc := faultClient(t, srv)
	srv.DropNext(1)
	if _, err := c.Verify(context.Background()); err != nil {
		t.Fatalf("Verify after DropNext(1): %v", err)
	}
	evs := rc.list()
	if len(evs) != 1 || evs[0].StatusCode != 0 {
		t.Errorf("retries %+v, want one for the connection failure", evs)
	}
	// The drop's record may land after the retry's (see
	// TestDropRecordedBeforeHangUp): match them by fault, not by position.
	recs := srv.Requests()
	var drops, oks int
	for _, r := range recs {
		switch {
		case r.Fault == "drop" && r.Status == 0:
			drops++
		case r.Fault == "" && r.Status == 200:
			oks++
		}
	}
	if len(recs) != 2 || drops != 1 || oks != 1 {
		t.Errorf("log %+v", recs)
	}
	// Without retries the drop is a *client.TransportError. Every
	// NewClient shares the server's transport: close its idle connections
	// so that net/http does not retry the GET on a reused one by itself.
	k, _ := issue(t, srv, clienttest.KeyParams{})
	c0, _ := srv.NewClient(k, client.WithMaxRetries(0))
	defer c0.CloseIdleConnections()
	c0.CloseIdleConnections()
	srv.DropNext(1)
	var te *client.TransportError
	if _, err := c0.Verify(context.Background()); !errors.As(err, &te) {
		t.Errorf("a drop without retries: %T %v, want *client.TransportError", err, err)
	}
}

// wroteRequest returns a context that closes the channel once the request
// has been written to the server.
func wroteRequest(ctx context.Context) (context.Context, <-chan struct{}) {
	wrote := make(chan struct{})
	var once sync.Once
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(func() { close(wrote) }) },
	}), wrote
}

// TestDelayNextCancelled: a request held for an hour ends as soon as its
// context is cancelled, and nothing is left running once the server closes.
func TestDelayNextCancelled(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clock := clienttest.NewFakeClock(start)
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	k, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "slow"})
	c, _ := srv.NewClient(k)

	srv.DelayNext(1, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	ctx, wrote := wroteRequest(ctx)
	go func() {
		<-wrote // the server has the request: now give up
		cancel()
	}()
	began := time.Now()
	err := c.Do(ctx, "GET", "/v1/whoami", nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if el := time.Since(began); el > 10*time.Second {
		t.Errorf("the cancelled call took %v", el)
	}
	c.CloseIdleConnections()
	srv.Close() // waits for the held handler
	// The client may have hung up before the server read the request (then
	// nothing is logged); if it was read, it was held and never answered.
	if recs := srv.Requests(); len(recs) > 1 || len(recs) == 1 && (recs[0].Fault != "delay" || recs[0].Status != 0) {
		t.Errorf("log %+v", recs)
	}
}

// TestDelayNextEndsOnClose: Close ends a held request; the caller gets a
// transport error, not a one-hour wait.
func TestDelayNextEndsOnClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := clienttest.NewServer(client.HopX)
	k, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "held"})
	c, _ := srv.NewClient(k, client.WithMaxRetries(0))

	srv.DelayNext(1, time.Hour)
	ctx, wrote := wroteRequest(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Do(ctx, "GET", "/v1/whoami", nil, nil) }()
	<-wrote
	srv.Close()
	err := <-done
	var te *client.TransportError
	if !errors.As(err, &te) {
		t.Errorf("err %T %v, want *client.TransportError", err, err)
	}
	c.CloseIdleConnections()
}

// TestDelayNextShort: a short delay only delays; the request is then
// handled normally.
func TestDelayNextShort(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	k, _ := issue(t, srv, clienttest.KeyParams{})
	srv.DelayNext(1, time.Millisecond)
	if a := scrape(t, srv, k.Reveal()); a.Resp.StatusCode != 200 {
		t.Errorf("delayed request: %d", a.Resp.StatusCode)
	}
	if recs := srv.Requests(); recs[0].Fault != "delay" || recs[0].Status != 200 {
		t.Errorf("log %+v", recs)
	}
}

// TestFaultQueueOrder: queued faults are used in order, one request each.
func TestFaultQueueOrder(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	k, _ := issue(t, srv, clienttest.KeyParams{})
	srv.FailNext(1, 502, 0)
	srv.FailNext(2, 504, 0)
	var got []int
	for range 4 {
		got = append(got, scrape(t, srv, k.Reveal()).Resp.StatusCode)
	}
	if want := []int{502, 504, 504, 200}; len(got) != 4 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Errorf("statuses %v, want %v", got, want)
	}
}

// TestFaultRecordCode: RequestRecord.Code is "" only on success; an injected
// failure answers the code "unavailable" in its body.
func TestFaultRecordCode(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	srv.FailNext(1, 503, 0)
	a := fetch(t, srv, "GET", "/v1/whoami", "", nil, "")
	if code := object(t, jsonObject(t, a.Body), "error")["code"]; code != "unavailable" {
		t.Fatalf("body code %v", code)
	}
	if rec := srv.Requests()[0]; rec.Code != "unavailable" {
		t.Errorf("the log records the injected %d with Code %q, want unavailable: %+v", rec.Status, rec.Code, rec)
	}
}

// TestDropRecordedBeforeHangUp: a test that sees its request fail should
// find it in Requests(): the server must log a dropped request before it
// closes the connection, or a caller could read the log before its request
// is in it. The race this guards against was rare; 300 tries showed it
// under -race.
func TestDropRecordedBeforeHangUp(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	late := 0
	for i := range 300 {
		srv.HTTPClient().CloseIdleConnections() // a fresh connection: net/http does not retry it
		srv.DropNext(1)
		req, _ := http.NewRequest("GET", srv.URL+"/v1/whoami", nil)
		if resp, err := srv.HTTPClient().Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("try %d: a dropped request got %d", i, resp.StatusCode)
		}
		if len(srv.Requests()) < i+1 {
			late++
		}
	}
	if late > 0 {
		t.Errorf("%d of 300 dropped requests were not yet in Requests() when the client saw the connection close", late)
	}
}
