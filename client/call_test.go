package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that only the client's waits move on.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
	return ctx.Err()
}

// withFakeClock makes every wait of the client instant, moving one clock
// on that both the client and its pacer read.
func withFakeClock(f *fakeClock) Option {
	return func(o *settings) error {
		o.sleep, o.now, o.paceNow = f.sleep, f.Now, f.Now
		return nil
	}
}

func TestPerCallMaxRetriesOverridesTheClients(t *testing.T) {
	srv := newScripted(t, reply(503, `{"error":{"code":"unavailable"}}`))
	c, _ := newTestClient(t, srv, WithMaxRetries(3))
	for _, tc := range []struct {
		opts []Option
		sent int
	}{{[]Option{WithMaxRetries(0)}, 1}, {[]Option{WithMaxRetries(1)}, 2}, {nil, 4}} {
		before := len(srv.got())
		var meta Response
		err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, append(tc.opts, WithResponseInto(&meta))...)
		if err == nil {
			t.Fatal("a 503 was a success")
		}
		if got := len(srv.got()) - before; got != tc.sent || meta.Attempts != tc.sent {
			t.Errorf("%d options: %d requests, Attempts %d; want %d", len(tc.opts), got, meta.Attempts, tc.sent)
		}
	}
}

func TestOptionsInTheWrongPlace(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	c, _ := newTestClient(t, srv)
	err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithMaxRetries(1), WithAPIKey("sk_other_key_0123456789"))
	if err == nil || !strings.Contains(err.Error(), "option 2 of 2 configures the client, not one call") || !strings.Contains(err.Error(), "nothing was sent") {
		t.Errorf("a client option given to a call: %v", err)
	}
	if strings.Contains(fmt.Sprint(err), "sk_other_key") {
		t.Errorf("the error quotes the key: %v", err)
	}
	if n := len(srv.got()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
	for _, opt := range []Option{WithIdempotencyKey("k"), WithoutRetry(), WithResponseInto(&Response{}), WithStreamIdleTimeout(time.Second), WithMaxEventBytes(1)} {
		if _, err := New(WithService(testService(srv.URL)), WithAPIKey(testKey), opt); err == nil || !strings.Contains(err.Error(), "give it to DoWith, Send or Stream") {
			t.Errorf("a per-call option given to New: %v", err)
		}
	}
	if err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithResponseInto(nil)); err == nil {
		t.Error("WithResponseInto(nil) was accepted")
	}
	if err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithMiddleware(nil)); err == nil {
		t.Error("WithMiddleware(nil) was accepted")
	}
}

func TestWithHeaderForTheClientAndForOneCall(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	c, _ := newTestClient(t, srv, WithHeader("X-Tenant", "a"), WithHeader("X-Trace", "1"), WithHeader("Authorization", "Bearer nope"))
	if err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithHeader("X-Trace", "2")); err != nil {
		t.Fatal(err)
	}
	h := srv.got()[0].Header
	if h.Get("X-Tenant") != "a" || h.Get("X-Trace") != "2" || h.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("headers sent: %v", h)
	}
	if _, err := New(WithService(testService(srv.URL)), WithAPIKey(testKey), WithHeader("X-Bad", "a\nb")); err == nil {
		t.Error("New took a header value with a line break")
	}
}

func TestPerCallBaseURLKeepsTheHost(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	c, _ := newTestClient(t, srv)
	if err := c.DoWith(context.Background(), "GET", "/x", nil, nil, WithBaseURL(srv.URL+"/v2/")); err != nil {
		t.Fatal(err)
	}
	got := srv.got()[0]
	if got.Path != "/v2/x" || got.Header.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("sent %s with Authorization %q", got.Path, got.Header.Get("Authorization"))
	}
	for _, other := range []string{"http://127.0.0.2:1/v2", strings.Replace(srv.URL, "http:", "https:", 1)} {
		err := c.DoWith(context.Background(), "GET", "/x", nil, nil, WithBaseURL(other))
		if err == nil || !strings.Contains(err.Error(), "the key is only sent there") {
			t.Errorf("WithBaseURL(%s) for a call: %v", other, err)
		}
	}
	if n := len(srv.got()); n != 1 {
		t.Errorf("%d requests; want 1", n)
	}
}

func TestWithTimeoutBoundsTheCall(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	var deadlines []bool
	mw := func(ctx context.Context, _ *Call, next func(context.Context) error) error {
		_, ok := ctx.Deadline()
		deadlines = append(deadlines, ok)
		return next(ctx)
	}
	c, _ := newTestClient(t, srv, WithTimeout(time.Hour), WithMiddleware(mw))
	_ = c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	_ = c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithTimeout(0))
	if fmt.Sprint(deadlines) != "[true false]" {
		t.Errorf("deadlines seen: %v; want the client's, then none (the call's WithTimeout(0))", deadlines)
	}
}

func TestPerCallAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	c, _ := newTestClient(t, srv)
	err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithAttemptTimeout(5*time.Millisecond), WithMaxRetries(0))
	if !errors.Is(err, ErrAttemptTimeout) || !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "within the attempt timeout of 5ms (WithAttemptTimeout)") {
		t.Errorf("err = %v", err)
	}
}

// The default attempt timeout is the SDK's own transport's
// ResponseHeaderTimeout, and its error says so. (The test lowers it: the
// default is a minute.)
func TestDefaultAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		select { // a server that accepts and never answers
		case <-r.Context().Done():
		case <-release:
		}
	})
	c, err := New(WithService(testService(srv.URL)), WithAPIKey(testKey), WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	at := c.hc.Transport.(*authTransport)
	tr := at.base.(*http.Transport)
	if c.attemptTimeout != DefaultAttemptTimeout || tr.ResponseHeaderTimeout != DefaultAttemptTimeout || at.headerTimeout != DefaultAttemptTimeout {
		t.Fatalf("attempt timeout %s, transport header timeout %s; want %s", c.attemptTimeout, tr.ResponseHeaderTimeout, DefaultAttemptTimeout)
	}
	const short = 20 * time.Millisecond
	tr.ResponseHeaderTimeout, at.headerTimeout, c.attemptTimeout, c.headerTimeout = short, short, short, short
	err = c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	if !errors.Is(err, ErrAttemptTimeout) || !strings.Contains(err.Error(), "no response headers within the default attempt timeout of 20ms") {
		t.Errorf("err = %v", err)
	}

	// A call that asks for a longer bound (or none) goes through the
	// transport without the header timeout.
	var long int
	c.hcLong.Transport.(*authTransport).base = countingTransport{base: c.hcLong.Transport.(*authTransport).base, n: &long}
	srv2 := newScripted(t, reply(200, `{}`))
	c2, _ := New(WithService(testService(srv2.URL)), WithAPIKey(testKey))
	defer c2.CloseIdleConnections()
	c2.hcLong.Transport.(*authTransport).base = countingTransport{base: c2.hcLong.Transport.(*authTransport).base, n: &long}
	for _, d := range []time.Duration{0, 2 * time.Minute, time.Second} {
		if err := c2.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithAttemptTimeout(d)); err != nil {
			t.Fatal(err)
		}
	}
	if long != 2 {
		t.Errorf("%d calls went without the header timeout; want 2 (0 and 2m, not 1s)", long)
	}
}

type countingTransport struct {
	base http.RoundTripper
	n    *int
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	*c.n++
	return c.base.RoundTrip(r)
}

func TestDefaultAttemptTimeoutWithTheCallersClient(t *testing.T) {
	for _, tc := range []struct {
		hc   *http.Client
		want time.Duration
	}{
		{&http.Client{Transport: &http.Transport{}}, DefaultAttemptTimeout},
		{&http.Client{Transport: &http.Transport{ResponseHeaderTimeout: time.Second}}, 0},
		{&http.Client{Timeout: time.Second}, 0},
	} {
		c, err := New(WithService(testService("http://127.0.0.1:1")), WithAPIKey(testKey), WithHTTPClient(tc.hc))
		if err != nil {
			t.Fatal(err)
		}
		if c.attemptTimeout != tc.want || c.headerTimeout != 0 {
			t.Errorf("%+v: attempt timeout %s, header timeout %s; want %s, 0", tc.hc, c.attemptTimeout, c.headerTimeout, tc.want)
		}
	}
}

// Send's attempt timeout ends at the response headers: the body is the
// caller's to read.
func TestSendAttemptTimeoutStopsAtTheHeaders(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	c, _ := newTestClient(t, srv, WithAttemptTimeout(time.Hour))
	req, _ := http.NewRequest("GET", "/v1/x", nil)
	resp, err := c.Send(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a, ok := resp.Body.(*attempt)
	if !ok {
		t.Fatalf("body %T", resp.Body)
	}
	if a.dog.Load() != nil {
		t.Error("the attempt's timer still runs while the caller reads the body")
	}
}

func TestResponseInto(t *testing.T) {
	srv := newScripted(t,
		reply(503, `{"error":{"code":"unavailable","request_id":"req_1"}}`),
		reply(200, `{"ok":true}`, "X-Request-Id", "req_2", "X-RateLimit-Limit", "100", "X-RateLimit-Remaining", "7",
			"X-Echo", "you sent "+testKey, "Authorization", "Bearer "+testKey),
		reply(404, `{"error":{"code":"not_found","message":"no such item","request_id":"req_3"}}`))
	c, _ := newTestClient(t, srv)
	var meta Response
	if err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithResponseInto(&meta)); err != nil {
		t.Fatal(err)
	}
	if meta.StatusCode != 200 || meta.RequestID != "req_2" || meta.Attempts != 2 || !meta.HasRateLimit ||
		meta.RateLimit.Limit != 100 || meta.RateLimit.Remaining != 7 || meta.Header.Get("Authorization") != "" {
		t.Errorf("success: %+v", meta)
	}
	if strings.Contains(fmt.Sprintf("%#v", meta), testKey) || !strings.HasPrefix(meta.Header.Get("X-Echo"), "you sent ") {
		t.Errorf("the key is in the response metadata, or its echo was dropped: %#v", meta.Header)
	}
	err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithResponseInto(&meta))
	if err == nil || meta.StatusCode != 404 || meta.RequestID != "req_3" || meta.Attempts != 1 || meta.HasRateLimit {
		t.Errorf("error %v: %+v", err, meta)
	}
}

// A call that fails before anything is sent (an invalid option, a per-call
// base URL on another host, a bad path) leaves a reused *Response empty: it
// must not still show the previous call's status and request id.
func TestResponseIntoEmptiedWhenNothingIsSent(t *testing.T) {
	srv := newScripted(t, reply(200, `{"ok":true}`, "X-Request-Id", "req_1"))
	c, _ := newTestClient(t, srv)
	for _, tc := range []struct {
		name string
		path string
		opts func(*Response) []Option
	}{
		{"invalid option before it", "/v1/x", func(m *Response) []Option { return []Option{WithMaxRetries(-1), WithResponseInto(m)} }},
		{"invalid option after it", "/v1/x", func(m *Response) []Option { return []Option{WithResponseInto(m), WithAttemptTimeout(-1)} }},
		{"another host", "/v1/x", func(m *Response) []Option {
			return []Option{WithResponseInto(m), WithBaseURL("https://elsewhere.example.com")}
		}},
		{"a path without /", "v1/x", func(m *Response) []Option { return []Option{WithResponseInto(m)} }},
	} {
		var meta Response
		if err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithResponseInto(&meta)); err != nil {
			t.Fatal(err)
		}
		if meta.StatusCode != 200 {
			t.Fatalf("%s: the first call's Response: %+v", tc.name, meta)
		}
		if err := c.DoWith(context.Background(), "GET", tc.path, nil, nil, tc.opts(&meta)...); err == nil {
			t.Fatalf("%s: no error", tc.name)
		}
		if meta.StatusCode != 0 || meta.RequestID != "" || meta.Attempts != 0 || meta.Header != nil {
			t.Errorf("%s: nothing was sent, but the Response still says %+v", tc.name, meta)
		}
	}
}

func TestResponseIntoPacerWait(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	c, _ := newTestClient(t, srv, withFakeClock(clock), WithRateLimit(1, 1))
	var meta Response
	for range 3 {
		if err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithResponseInto(&meta)); err != nil {
			t.Fatal(err)
		}
	}
	if meta.PacerWait < 900*time.Millisecond || meta.PacerWait > 1100*time.Millisecond {
		t.Errorf("the third call of three at 1/s waited %s at the pacer; want about 1s", meta.PacerWait)
	}
}

func TestMiddlewareRunsOncePerCall(t *testing.T) {
	srv := newScripted(t, reply(503, `{}`), reply(200, `{}`, "X-Request-Id", "req_9"))
	var trail []string
	var seen *Call
	type ctxKey struct{}
	outer := func(ctx context.Context, call *Call, next func(context.Context) error) error {
		trail = append(trail, "outer "+call.Method+" "+call.Path)
		call.AttemptHook = func(ctx context.Context, n int) (context.Context, func(Attempt)) {
			trail = append(trail, fmt.Sprintf("attempt %d", n))
			return context.WithValue(ctx, ctxKey{}, n), func(a Attempt) {
				trail = append(trail, fmt.Sprintf("attempt %d: %d", a.Number, a.StatusCode))
			}
		}
		err := next(ctx)
		seen = call
		trail = append(trail, "outer done")
		return err
	}
	inner := func(ctx context.Context, call *Call, next func(context.Context) error) error {
		trail = append(trail, "inner")
		return next(ctx)
	}
	var attemptCtx []any
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		attemptCtx = append(attemptCtx, r.Context().Value(ctxKey{}))
		return http.DefaultTransport.RoundTrip(r)
	})
	c, _ := newTestClient(t, srv, WithMiddleware(outer), WithHTTPClient(&http.Client{Transport: rt}))
	if err := c.DoWith(context.Background(), "GET", "/v1/x?secret=1", nil, nil, WithMiddleware(inner)); err != nil {
		t.Fatal(err)
	}
	want := "[outer GET /v1/x inner attempt 1 attempt 1: 503 attempt 2 attempt 2: 200 outer done]"
	if fmt.Sprint(trail) != want {
		t.Errorf("trail %v\nwant  %s", trail, want)
	}
	if fmt.Sprint(attemptCtx) != "[1 2]" {
		t.Errorf("the attempts' contexts carried %v; want the hook's [1 2]", attemptCtx)
	}
	if seen.Service != "testsvc" || seen.Attempts != 2 || seen.StatusCode != 200 || seen.RequestID != "req_9" ||
		seen.KeyFingerprint == "" || seen.BaseURL != srv.URL {
		t.Errorf("call: %+v", *seen)
	}
	if strings.Contains(fmt.Sprintf("%#v", *seen), testKey) {
		t.Error("the Call holds the key")
	}
}

func TestMiddlewareThatStopsTheCall(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	refuse := errors.New("refused by policy")
	c, _ := newTestClient(t, srv)
	err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithMiddleware(func(context.Context, *Call, func(context.Context) error) error { return refuse }))
	if !errors.Is(err, refuse) {
		t.Errorf("err = %v", err)
	}
	req, _ := http.NewRequest("GET", "/v1/x", nil)
	_, err = c.Send(context.Background(), req, WithMiddleware(func(context.Context, *Call, func(context.Context) error) error { return nil }))
	if err == nil || !strings.Contains(err.Error(), "without calling next") {
		t.Errorf("err = %v", err)
	}
	if n := len(srv.got()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// A stream's middleware runs around each connection, and an attempt hook's
// context for a reconnection derives from that connection's own context,
// not from a previous connection's, which is over.
func TestStreamMiddlewarePerConnection(t *testing.T) {
	srv := newScripted(t, events(ev(1)+ev(2)), eventsThenHold(ev(3)))
	var calls, attempts int
	mw := func(ctx context.Context, call *Call, next func(context.Context) error) error {
		calls++
		call.AttemptHook = func(ctx context.Context, n int) (context.Context, func(Attempt)) {
			attempts++
			return context.WithValue(ctx, attemptKey{}, ctx.Value(attemptKey{})), nil
		}
		return next(ctx)
	}
	c, _ := newTestClient(t, srv, WithMiddleware(mw))
	var meta Response
	s, err := c.Stream(context.Background(), "/v1/stream", WithResponseInto(&meta))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := strings.Join(readIDs(t, s, 3), ","); got != "1,2,3" {
		t.Errorf("ids %s", got)
	}
	if calls != 2 || attempts != 2 || meta.StatusCode != 200 {
		t.Errorf("middleware ran %d times, the hook %d; response %+v; want one each per connection", calls, attempts, meta)
	}
}

// The client-wide WithTimeout bounds calls, not streams; a Stream's own
// WithTimeout bounds the stream.
func TestStreamTimeouts(t *testing.T) {
	srv := newScripted(t, eventsThenHold(ev(1)))
	var deadlines []bool
	mw := func(ctx context.Context, _ *Call, next func(context.Context) error) error {
		_, ok := ctx.Deadline()
		deadlines = append(deadlines, ok)
		return next(ctx)
	}
	c, _ := newTestClient(t, srv, WithTimeout(time.Hour), WithMiddleware(mw))
	for _, opts := range [][]Option{nil, {WithTimeout(time.Hour)}} {
		s, err := c.Stream(context.Background(), "/v1/stream", opts...)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	if fmt.Sprint(deadlines) != "[false true]" {
		t.Errorf("deadlines seen by the streams' connections: %v; want none for the client's WithTimeout, then the stream's own", deadlines)
	}
}
