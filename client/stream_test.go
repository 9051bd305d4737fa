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

	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/pacing"
)

// sse writes a 200 text/event-stream answer with the given raw text, flushed.
func sseWrite(w http.ResponseWriter, text string) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
	}
	_, _ = w.Write([]byte(text))
	w.(http.Flusher).Flush()
}

// events writes text and ends the answer cleanly (the client reads EOF).
func events(text string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { sseWrite(w, text) }
}

// eventsThenHold writes text and keeps the connection open until the
// client goes.
func eventsThenHold(text string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sseWrite(w, text)
		<-r.Context().Done()
	}
}

// eventsThenAbort writes text and cuts the connection mid-answer.
func eventsThenAbort(text string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		sseWrite(w, text)
		panic(http.ErrAbortHandler)
	}
}

func ev(id int) string { return fmt.Sprintf("id: %d\ndata: {\"seq\":%d}\n\n", id, id) }

// readIDs reads n events and returns their ids.
func readIDs(t *testing.T, s *Stream, n int) []string {
	t.Helper()
	var ids []string
	for len(ids) < n && s.Next() {
		ids = append(ids, s.Event().ID)
	}
	if len(ids) < n {
		t.Fatalf("got %d events %v, want %d; Err: %v", len(ids), ids, n, s.Err())
	}
	return ids
}

func openStream(t *testing.T, c *Client, opts ...RequestOption) *Stream {
	t.Helper()
	s, err := c.Stream(context.Background(), "/v1/stream", opts...)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStreamReadsEvents(t *testing.T) {
	srv := newScripted(t, eventsThenHold(": hello\n\n"+ev(1)+"event: tick\ndata: a\ndata: b\n\n"+ev(3)))
	c, _ := newTestClient(t, srv)
	s := openStream(t, c)
	want := []Event{{"1", "message", []byte(`{"seq":1}`)}, {"1", "tick", []byte("a\nb")}, {"3", "message", []byte(`{"seq":3}`)}}
	for i, w := range want {
		if !s.Next() {
			t.Fatalf("event %d: Next false, Err %v", i, s.Err())
		}
		if got := s.Event(); got.ID != w.ID || got.Type != w.Type || string(got.Data) != string(w.Data) {
			t.Errorf("event %d = %+v, want %+v", i, got, w)
		}
	}
	if err := s.Close(); err != nil || s.Close() != nil {
		t.Errorf("Close = %v, want nil twice", err)
	}
	if s.Next() || s.Err() != nil {
		t.Errorf("after Close: Next true or Err %v", s.Err())
	}
	r := srv.got()[0]
	if r.Method != http.MethodGet || r.Header.Get("Accept") != "text/event-stream" || r.Header.Get("Authorization") != "Bearer "+testKey ||
		r.Header.Get("Last-Event-ID") != "" {
		t.Errorf("request: %s %v", r.Method, r.Header)
	}
}

// Each kind of cut is followed by a reconnection that resumes after the
// last complete event: no id is lost or repeated.
func TestStreamReconnectsAndResumes(t *testing.T) {
	srv := newScripted(t,
		events(ev(1)+ev(2)),                          // the server ends the answer
		eventsThenAbort(ev(3)+"id: 4\ndata: {\"se"),  // cut mid-event, mid-answer
		events(ev(4)+"retry: 1500\n"+"id: 5\ndata:"), // a retry field, then a clean end mid-event
		eventsThenHold(ev(5)+ev(6)),
	)
	c, fs := newTestClient(t, srv)
	s := openStream(t, c)
	got := strings.Join(readIDs(t, s, 6), ",")
	if got != "1,2,3,4,5,6" {
		t.Errorf("ids %s, want 1,2,3,4,5,6", got)
	}
	var sent []string
	for _, r := range srv.got() {
		sent = append(sent, r.Header.Get("Last-Event-ID"))
	}
	if strings.Join(sent, ",") != ",2,3,4" {
		t.Errorf("Last-Event-ID sent: %q, want [\"\" 2 3 4]", sent)
	}
	waits := fs.got()
	if len(waits) != 3 || waits[2] != 1500*time.Millisecond {
		t.Fatalf("waits %v, want 3 with the last the server's 1.5 s", waits)
	}
	for _, w := range waits[:2] {
		if w < DefaultRetryWaitMin || w > DefaultRetryWaitMax {
			t.Errorf("backoff wait %v outside [%v, %v]", w, DefaultRetryWaitMin, DefaultRetryWaitMax)
		}
	}
}

// The server's hints are waited out, never undercut: the retry field after
// a cut, then Retry-After on the 503 that answers the reconnection.
func TestStreamHonoursRetryAndRetryAfter(t *testing.T) {
	srv := newScripted(t,
		events("retry: 3000\n\n"+ev(1)),
		reply(503, `{"error":{"code":"unavailable","message":"busy"}}`, "Retry-After", "7"),
		reply(429, `{"error":{"code":"rate_limited","message":"slow down"}}`, "Retry-After", "2"),
		eventsThenHold(ev(2)),
	)
	c, fs := newTestClient(t, srv)
	s := openStream(t, c)
	readIDs(t, s, 2)
	want := []time.Duration{3 * time.Second, 7 * time.Second, 2 * time.Second}
	if got := fs.got(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if r := srv.got(); len(r) != 4 || r[3].Header.Get("Last-Event-ID") != "1" {
		t.Errorf("%d requests, last Last-Event-ID %q", len(r), r[len(r)-1].Header.Get("Last-Event-ID"))
	}
}

// Reconnections are bounded by WithMaxRetries, counted from the last event:
// a server that accepts and at once drops every connection ends the stream
// with an error saying so.
func TestStreamReconnectsAreBounded(t *testing.T) {
	srv := newScripted(t, events(ev(1)), events(": nothing\n\n"))
	c, _ := newTestClient(t, srv, WithMaxRetries(2))
	s := openStream(t, c)
	readIDs(t, s, 1)
	if s.Next() {
		t.Fatal("Next true on a stream that only drops")
	}
	err := s.Err()
	if err == nil || !strings.Contains(err.Error(), "the server closed the stream, and not reconnected: all 2 retries used") {
		t.Errorf("Err = %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("Err is not one line: %q", err)
	}
	if n := len(srv.got()); n != 3 {
		t.Errorf("%d requests, want 3 (the open and 2 reconnections)", n)
	}
	if s.Next() {
		t.Error("Next true after the end")
	}
}

func TestStreamWithoutRetryDoesNotReconnect(t *testing.T) {
	srv := newScripted(t, events(ev(1)), eventsThenHold(ev(2)))
	c, _ := newTestClient(t, srv)
	s := openStream(t, c, WithoutRetry())
	readIDs(t, s, 1)
	if s.Next() || s.Err() == nil || !strings.Contains(s.Err().Error(), "WithoutRetry") {
		t.Errorf("Err = %v", s.Err())
	}
	if len(srv.got()) != 1 {
		t.Errorf("%d requests, want 1", len(srv.got()))
	}
}

// A reconnection the server refuses for good ends the stream with the typed
// error of that answer.
func TestStreamReconnectRefused(t *testing.T) {
	srv := newScripted(t, events(ev(1)),
		reply(401, `{"error":{"code":"revoked","message":"API key has been revoked","revoked_at":"2026-11-27T10:00:00Z","reason":"leaked `+testKey+`"}}`))
	c, _ := newTestClient(t, srv)
	s := openStream(t, c)
	readIDs(t, s, 1)
	if s.Next() {
		t.Fatal("Next true")
	}
	var ae *apierrors.Error
	if !errors.As(s.Err(), &ae) || !errors.Is(s.Err(), apierrors.ErrRevoked) || ae.Attempts != 2 {
		t.Fatalf("Err = %v", s.Err())
	}
	if strings.Contains(s.Err().Error(), testKey) || strings.Contains(fmt.Sprintf("%+v %#v", s.Err(), ae), testKey) {
		t.Errorf("the error holds the key: %v", s.Err())
	}
	if !strings.Contains(s.Err().Error(), "the server closed the stream; reconnecting failed: 401") {
		t.Errorf("Err = %v", s.Err())
	}
}

func TestStreamAuthEvents(t *testing.T) {
	for _, tc := range []struct {
		name, event string
		is          []error
		check       func(*apierrors.Error) error
	}{
		{"revoked", "event: auth_revoked\ndata: {\"error\":{\"code\":\"revoked\",\"message\":\"API key has been revoked.\",\"revoked_at\":\"2026-11-27T10:00:00Z\",\"reason\":\"leaked\"}}\n\n",
			[]error{apierrors.ErrRevoked, apierrors.ErrAuthentication}, func(e *apierrors.Error) error {
				if !e.RevokedAt.Equal(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)) || e.Reason != "leaked" || e.StatusCode != 401 {
					return fmt.Errorf("RevokedAt %v, Reason %q, status %d", e.RevokedAt, e.Reason, e.StatusCode)
				}
				return nil
			}},
		{"expired", "event: auth_expired\ndata: {\"error\":{\"code\":\"expired\",\"message\":\"API key has expired\"}}\n\n",
			[]error{apierrors.ErrExpired, apierrors.ErrAuthentication}, nil},
		{"code from the name only", "event: auth_revoked\ndata: {}\n\n", []error{apierrors.ErrRevoked}, nil},
		{"key ceiling", "event: auth_key_ceiling_exceeded\ndata: {\"error\":{\"code\":\"key_ceiling_exceeded\",\"message\":\"ceiling\"}}\n\n",
			[]error{apierrors.ErrKeyCeilingExceeded, apierrors.ErrPayment}, func(e *apierrors.Error) error {
				if e.StatusCode != 402 {
					return fmt.Errorf("status %d", e.StatusCode)
				}
				return nil
			}},
		{"ip", "event: auth_unauthorized_ip\ndata: {\"error\":{\"code\":\"unauthorized_ip\"}}\n\n", []error{apierrors.ErrUnauthorizedIP, apierrors.ErrPermission}, nil},
		{"unknown auth event", "event: auth_mystery\ndata: {\"error\":{\"message\":\"no\"}}\n\n", []error{apierrors.ErrAuthentication}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newScripted(t, events(ev(1)+tc.event+ev(2)), eventsThenHold(ev(3)))
			c, _ := newTestClient(t, srv)
			s := openStream(t, c)
			readIDs(t, s, 1)
			if s.Next() {
				t.Fatalf("Next true after %s: %+v", tc.name, s.Event())
			}
			err := s.Err()
			var ae *apierrors.Error
			if !errors.As(err, &ae) {
				t.Fatalf("Err = %v, want an *apierrors.Error", err)
			}
			for _, target := range tc.is {
				if !errors.Is(err, target) {
					t.Errorf("Err = %v; does not match %v", err, target)
				}
			}
			if tc.check != nil {
				if e := tc.check(ae); e != nil {
					t.Error(e)
				}
			}
			if s.Next() {
				t.Error("Next true after the auth event")
			}
			if n := len(srv.got()); n != 1 {
				t.Errorf("%d requests: an auth event must not reconnect", n)
			}
		})
	}
}

func TestStreamOpenErrors(t *testing.T) {
	t.Run("typed error after retries", func(t *testing.T) {
		srv := newScripted(t, reply(503, `{}`), reply(403, `{"error":{"code":"insufficient_scope","message":"needs stream","required_scope":"stream"}}`))
		c, _ := newTestClient(t, srv)
		_, err := c.Stream(context.Background(), "/v1/stream")
		var ae *apierrors.Error
		if !errors.As(err, &ae) || !errors.Is(err, apierrors.ErrInsufficientScope) || ae.RequiredScope != "stream" || ae.Attempts != 2 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not an event stream", func(t *testing.T) {
		srv := newScripted(t, reply(200, `{"ok":true}`))
		c, _ := newTestClient(t, srv)
		_, err := c.Stream(context.Background(), "/v1/things")
		if err == nil || !strings.Contains(err.Error(), `Content-Type "application/json", not a text/event-stream`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("204 is an empty stream", func(t *testing.T) {
		srv := newScripted(t, reply(204, ""))
		c, _ := newTestClient(t, srv)
		s := openStream(t, c)
		if s.Next() || s.Err() != nil {
			t.Errorf("Next true or Err %v", s.Err())
		}
		if len(srv.got()) != 1 {
			t.Errorf("%d requests, want 1", len(srv.got()))
		}
	})
	t.Run("bad input", func(t *testing.T) {
		c, _ := newTestClient(t, newScripted(t, reply(200, "")))
		for _, tc := range []struct {
			path string
			opts []RequestOption
			want string
		}{
			{"v1/stream", nil, "must start with /"},
			{"/v1/stream", []RequestOption{WithStreamIdleTimeout(-1)}, "WithStreamIdleTimeout(-1ns): the timeout is negative"},
			{"/v1/stream", []RequestOption{WithMaxEventBytes(-5)}, "WithMaxEventBytes(-5): the bound is negative"},
			{"/v1/stream", []RequestOption{WithHeader("Last-Event-ID", "a\nb")}, "line break"},
		} {
			if _, err := c.Stream(context.Background(), tc.path, tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: err = %v, want %q", tc.path, err, tc.want)
			}
		}
		//lint:ignore SA1012 the nil context is the input under test
		if _, err := c.Stream(nil, "/v1/stream"); err == nil { //nolint:staticcheck
			t.Error("nil context accepted")
		}
	})
}

// WithHeader("Last-Event-ID", id) resumes a stream from a kept ID; the
// stream's own ID replaces it on reconnection.
func TestStreamResumeFromKeptID(t *testing.T) {
	srv := newScripted(t, events(ev(41)), eventsThenHold(ev(42)))
	c, _ := newTestClient(t, srv)
	s := openStream(t, c, WithHeader("Last-Event-ID", "40"))
	readIDs(t, s, 2)
	r := srv.got()
	if r[0].Header.Get("Last-Event-ID") != "40" || r[1].Header.Get("Last-Event-ID") != "41" || len(r[1].Header.Values("Last-Event-ID")) != 1 {
		t.Errorf("Last-Event-ID sent: %q then %q", r[0].Header.Values("Last-Event-ID"), r[1].Header.Values("Last-Event-ID"))
	}
}

// Close, from another goroutine, ends a Next that is waiting.
func TestStreamCloseEndsWaitingNext(t *testing.T) {
	srv := newScripted(t, eventsThenHold(ev(1)))
	c, _ := newTestClient(t, srv)
	s := openStream(t, c)
	readIDs(t, s, 1)
	done := make(chan bool)
	go func() { done <- s.Next() }()
	s.Close()
	if <-done || s.Err() != nil {
		t.Errorf("Next after Close: true or Err %v", s.Err())
	}
}

func TestStreamContextEnds(t *testing.T) {
	srv := newScripted(t, eventsThenHold(ev(1)))
	c, _ := newTestClient(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := c.Stream(ctx, "/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	readIDs(t, s, 1)
	cancel()
	if s.Next() || !errors.Is(s.Err(), context.Canceled) {
		t.Errorf("Err = %v, want context.Canceled", s.Err())
	}
}

// A connection that goes silent is cut after WithStreamIdleTimeout and the
// stream resumes on a new one.
func TestStreamIdleTimeout(t *testing.T) {
	srv := newScripted(t, eventsThenHold(ev(1)), eventsThenHold(ev(2)))
	c, fs := newTestClient(t, srv)
	s := openStream(t, c, WithStreamIdleTimeout(20*time.Millisecond))
	readIDs(t, s, 2)
	if r := srv.got(); len(r) != 2 || r[1].Header.Get("Last-Event-ID") != "1" {
		t.Errorf("requests %d", len(r))
	}
	if len(fs.got()) != 1 {
		t.Errorf("waits %v", fs.got())
	}
}

func TestStreamEventTooLarge(t *testing.T) {
	srv := newScripted(t, eventsThenHold(ev(1)+"data: "+strings.Repeat("x", 100)+"\n\n"))
	c, _ := newTestClient(t, srv)
	s := openStream(t, c, WithMaxEventBytes(50))
	readIDs(t, s, 1)
	if s.Next() || s.Err() == nil || !strings.Contains(s.Err().Error(), "more than 50 bytes of data (WithMaxEventBytes") {
		t.Errorf("Err = %v", s.Err())
	}
	if len(srv.got()) != 1 {
		t.Error("an event too large was fetched again")
	}
}

// The attempt timeout bounds the wait for a stream's headers, not the
// stream: a stream that outlives it is not cut.
func TestStreamAttemptTimeoutIsForHeadersOnly(t *testing.T) {
	release := make(chan struct{})
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		sseWrite(w, ev(1))
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		sseWrite(w, ev(2))
		<-r.Context().Done()
	})
	// The attempt timeout is long enough for the headers to come on a
	// busy machine under -race (5 ms was not, once: a cold CI run), and
	// the second event comes six of them later.
	c, _ := newTestClient(t, srv, WithAttemptTimeout(100*time.Millisecond))
	s := openStream(t, c)
	readIDs(t, s, 1)
	timer := time.AfterFunc(600*time.Millisecond, func() { close(release) }) // six attempt timeouts later
	defer timer.Stop()
	readIDs(t, s, 1)
	if n := len(srv.got()); n != 1 {
		t.Errorf("%d requests: the attempt timeout cut the stream", n)
	}
}

// countingPacer is a pacer that counts what the client asks of it.
type countingPacer struct {
	pacing.Pacer
	mu                            sync.Mutex
	reserved, cancelled, reported int
}

func (p *countingPacer) Reserve(ctx context.Context, fp string, lim pacing.Limit, maxWait time.Duration) (pacing.Reservation, error) {
	p.mu.Lock()
	p.reserved++
	p.mu.Unlock()
	return p.Pacer.Reserve(ctx, fp, lim, maxWait)
}

func (p *countingPacer) Cancel(ctx context.Context, r pacing.Reservation) error {
	p.mu.Lock()
	p.cancelled++
	p.mu.Unlock()
	return p.Pacer.Cancel(ctx, r)
}

func (p *countingPacer) Report(ctx context.Context, r pacing.Reservation, a pacing.Answer) error {
	p.mu.Lock()
	p.reported++
	p.mu.Unlock()
	return p.Pacer.Report(ctx, r, a)
}

// Every connection of a stream, the first and each reconnection, and each
// retry of one, takes a slot from the key's pacer and reports its answer,
// as every attempt of Do does; no slot is left booked for nothing.
func TestStreamConnectionsArePaced(t *testing.T) {
	srv := newScripted(t, events(ev(1)), eventsThenAbort(ev(2)), reply(503, "{}"), eventsThenHold(ev(3)))
	p := &countingPacer{Pacer: pacing.New()}
	c, _ := newTestClient(t, srv, WithPacer(p))
	s := openStream(t, c)
	readIDs(t, s, 3)
	p.mu.Lock()
	defer p.mu.Unlock()
	if sent := len(srv.got()); p.reserved-p.cancelled != sent || p.reported != sent {
		t.Errorf("%d attempts; pacer: %d reserved, %d cancelled, %d reported", sent, p.reserved, p.cancelled, p.reported)
	}
}

// A stream whose headers do not come within the attempt timeout is an
// attempt that timed out, retried as any other.
func TestStreamAttemptTimeoutBeforeHeaders(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c, _ := newTestClient(t, srv, WithAttemptTimeout(10*time.Millisecond), WithMaxRetries(1))
	_, err := c.Stream(context.Background(), "/v1/stream")
	var te *TransportError
	if !errors.As(err, &te) || te.Attempts != 2 || !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "no response headers within the attempt timeout of 10ms (WithAttemptTimeout)") {
		t.Fatalf("err = %v", err)
	}
}

// A stream redirected to another origin (allowed: another port of the same
// host) goes there without the key, as every request of the client does.
func TestStreamRedirectElsewhereCarriesNoKey(t *testing.T) {
	other := newScripted(t, eventsThenHold(ev(1)))
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusTemporaryRedirect)
	})
	c, _ := newTestClient(t, srv, WithRedirects(RedirectSameHost))
	s := openStream(t, c)
	readIDs(t, s, 1)
	got := other.got()
	if len(got) != 1 {
		t.Fatalf("the other host got %d requests, want 1", len(got))
	}
	if h := got[0].Header; h.Get("Authorization") != "" || h.Get("Accept") != "text/event-stream" {
		t.Errorf("the other host got Authorization %q, Accept %q", h.Get("Authorization"), h.Get("Accept"))
	}
}

// With the key in the query string, a stream reconnects with it there, and
// neither the errors nor the log show it, whatever the server echoes.
func TestStreamQueryAuthNoLeak(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		k := r.URL.Query().Get("api_key")
		reply(401, `{"error":{"code":"revoked","message":"revoked `+k+`","reason":"`+k+`"}}`, "X-Request-ID", "req_"+k)(w, r)
	}
	srv := newScripted(t, eventsThenAbort(ev(1)+"event: x_"+testKey+"\ndata: "+testKey+"\n\n"), echo)
	var logs logBuffer
	c, _ := newTestClient(t, srv, WithQueryAuth(""), WithLogger(logs.logger()))
	s := openStream(t, c)
	readIDs(t, s, 2)
	if s.Next() {
		t.Fatal("Next true after the refused reconnection")
	}
	got := srv.got()
	if len(got) != 2 || got[1].Query != "api_key="+testKey || got[1].Header.Get("Last-Event-ID") != "1" {
		t.Fatalf("requests: %+v", got)
	}
	out := fmt.Sprintf("%v %+v %#v %s", s.Err(), s.Err(), s.Err(), logs.String())
	if !errors.Is(s.Err(), apierrors.ErrRevoked) || strings.Contains(out, testKey[8:24]) {
		t.Errorf("Err %v; the key in the output: %v", s.Err(), strings.Contains(out, testKey[8:24]))
	}
}
