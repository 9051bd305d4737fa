package client

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	apierrors "github.com/apikit/apikit-go/errors"
)

func TestDoDecodesJSONAndSendsKey(t *testing.T) {
	srv := newScripted(t, reply(200, `{"name":"widget","n":3}`))
	c, fs := newTestClient(t, srv, WithUserAgent("myapp/1.2"))
	var out struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	if err := c.Do(context.Background(), "GET", "/v1/things?page=2", nil, &out); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if out.Name != "widget" || out.N != 3 {
		t.Errorf("out = %+v", out)
	}
	r := srv.got()[0]
	if got := r.Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization = %q", got)
	}
	if r.Path != "/v1/things" || r.Query != "page=2" {
		t.Errorf("path %q query %q", r.Path, r.Query)
	}
	ua := r.Header.Get("User-Agent")
	if !strings.HasPrefix(ua, "apikit-go/"+Version+" (") || !strings.HasSuffix(ua, " myapp/1.2") {
		t.Errorf("User-Agent = %q", ua)
	}
	if len(fs.got()) != 0 {
		t.Errorf("slept %v on success", fs.got())
	}
}

func TestRetryPolicy(t *testing.T) {
	cases := []struct {
		name      string
		method    string
		opts      []RequestOption
		steps     []http.HandlerFunc
		wantCalls int
		wantErr   error // nil: success
		wantWaits []time.Duration
	}{
		{"503 then 200 GET", "GET", nil,
			[]http.HandlerFunc{reply(503, `{"error":"unavailable"}`, "Retry-After", "1"), reply(200, `{}`)},
			2, nil, []time.Duration{time.Second}},
		{"429 hint honoured exactly", "GET", nil,
			[]http.HandlerFunc{reply(429, `{"success":false,"error":"RATE_LIMITED","message":"slow down","retryAfter":7}`), reply(200, `{}`)},
			2, nil, []time.Duration{7 * time.Second}},
		{"400 not retried", "GET", nil,
			[]http.HandlerFunc{reply(400, `{"error":{"code":"bad_request","message":"no"}}`)}, 1, errAny, nil},
		{"501 not retried", "GET", nil, []http.HandlerFunc{reply(501, ``)}, 1, errAny, nil},
		{"401 not retried", "GET", nil, []http.HandlerFunc{reply(401, `{"error":{"code":"malformed_token"}}`)}, 1, apierrors.ErrMalformedToken, nil},
		{"POST 503 without idempotency key not retried", "POST", nil,
			[]http.HandlerFunc{reply(503, ``, "Retry-After", "1"), reply(200, `{}`)}, 1, errAny, nil},
		{"POST 503 with idempotency key retried", "POST", []RequestOption{WithIdempotencyKey("idem-1")},
			[]http.HandlerFunc{reply(503, ``, "Retry-After", "1"), reply(200, `{}`)}, 2, nil, []time.Duration{time.Second}},
		{"POST 429 retried without idempotency key", "POST", nil,
			[]http.HandlerFunc{reply(429, ``, "Retry-After", "2"), reply(200, `{}`)}, 2, nil, []time.Duration{2 * time.Second}},
		{"WithoutRetry", "GET", []RequestOption{WithoutRetry()},
			[]http.HandlerFunc{reply(503, ``), reply(200, `{}`)}, 1, errAny, nil},
		{"exhausted", "GET", nil, []http.HandlerFunc{reply(502, `{"error":{"code":"upstream","message":"bad gateway upstream"}}`, "Retry-After", "1")},
			4, errAny, []time.Duration{time.Second, time.Second, time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newScripted(t, tc.steps...)
			c, fs := newTestClient(t, srv)
			err := c.DoWith(context.Background(), tc.method, "/v1/jobs", map[string]int{"n": 1}, nil, tc.opts...)
			if got := len(srv.got()); got != tc.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tc.wantCalls)
			}
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("err = %v", err)
			case tc.wantErr != nil && err == nil:
				t.Fatal("no error")
			case tc.wantErr != nil && tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				var apiErr *apierrors.Error
				if !errors.As(err, &apiErr) {
					t.Fatalf("err %T is not *apierrors.Error: %v", err, err)
				}
				if apiErr.Attempts != tc.wantCalls {
					t.Errorf("Attempts = %d, want %d", apiErr.Attempts, tc.wantCalls)
				}
				if strings.Contains(strings.ToLower(err.Error()), "giving up") {
					t.Errorf("retryablehttp text leaked: %v", err)
				}
			}
			if w := fs.got(); !equalDurations(w, tc.wantWaits) {
				t.Errorf("waits = %v, want %v", w, tc.wantWaits)
			}
		})
	}
}

var errAny = errors.New("any error")

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestExhaustedKeepsServerMessage(t *testing.T) {
	srv := newScripted(t, reply(503, `{"error":{"code":"maintenance","message":"down for maintenance until 10:00"}}`, "X-Request-ID", "req_42"))
	c, _ := newTestClient(t, srv, WithMaxRetries(2))
	err := c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	for _, want := range []string{"503", "down for maintenance until 10:00", "req_42", "after 3 attempts"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestBackoffWithoutHintGrows(t *testing.T) {
	srv := newScripted(t, reply(500, ``))
	c, fs := newTestClient(t, srv, WithRetryWait(100*time.Millisecond, 250*time.Millisecond), WithMaxRetries(5))
	_ = c.Do(context.Background(), "GET", "/", nil, nil)
	w := fs.got()
	if len(w) != 5 {
		t.Fatalf("waits %v", w)
	}
	for i, d := range w {
		if d < 50*time.Millisecond || d > 375*time.Millisecond { // 0.5 jitter around 100ms..250ms
			t.Errorf("wait %d = %v, outside the backoff bounds", i, d)
		}
	}
}

func TestHintBeyondCapReturnsAtOnce(t *testing.T) {
	srv := newScripted(t, reply(429, `{"error":{"code":"rate_limited","message":"hourly limit","details":{"retry_after_seconds":3600}}}`))
	c, fs := newTestClient(t, srv)
	err := c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	if !errors.Is(err, apierrors.ErrRateLimited) {
		t.Fatalf("err = %v", err)
	}
	if d, ok := apierrors.RetryAfter(err); !ok || d != time.Hour {
		t.Errorf("RetryAfter = %v, %v; want 1h", d, ok)
	}
	if len(fs.got()) != 0 || len(srv.got()) != 1 {
		t.Errorf("slept %v, sent %d requests; want no sleep, 1 request", fs.got(), len(srv.got()))
	}
}

func TestHintBeyondDeadlineReturnsAtOnce(t *testing.T) {
	srv := newScripted(t, reply(429, ``, "Retry-After", "30"))
	c, fs := newTestClient(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.Do(ctx, "GET", "/v1/x", nil, nil)
	if d, ok := apierrors.RetryAfter(err); !ok || d != 30*time.Second {
		t.Errorf("RetryAfter = %v, %v (err %v)", d, ok, err)
	}
	if len(fs.got()) != 0 {
		t.Errorf("slept %v past the deadline", fs.got())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("returned a context error although the deadline had not passed: %v", err)
	}
}

func TestContextDoneWhileWaitingKeepsServerError(t *testing.T) {
	srv := newScripted(t, reply(503, `{"error":{"code":"unavailable","message":"busy"}}`, "Retry-After", "2"))
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := newTestClient(t, srv, withSleeper(func(context.Context, time.Duration) error {
		cancel()
		return context.Canceled
	}))
	err := c.Do(ctx, "GET", "/v1/x", nil, nil)
	var apiErr *apierrors.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Fatalf("err = %v, want the 503", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to also say the context ended", err)
	}
}

func TestBodyReplayedByteForByte(t *testing.T) {
	srv := newScripted(t, reply(503, ``, "Retry-After", "0"), reply(503, ``), reply(201, `{"id":"job_1"}`))
	c, _ := newTestClient(t, srv)
	in := map[string]any{"url": "https://example.com/ü?a=1&b=2", "depth": 3}
	var out struct{ ID string }
	if err := c.DoWith(context.Background(), "POST", "/v1/jobs", in, &out, WithIdempotencyKey("")); err != nil {
		t.Fatal(err)
	}
	got := srv.got()
	if len(got) != 3 || out.ID != "job_1" {
		t.Fatalf("%d requests, out %+v", len(got), out)
	}
	key := got[0].Header.Get("Idempotency-Key")
	if len(key) != 36 {
		t.Errorf("generated idempotency key %q is not a UUID", key)
	}
	for i, r := range got {
		if !bytes.Equal(r.Body, got[0].Body) || len(r.Body) == 0 {
			t.Errorf("attempt %d body %q differs from %q", i+1, r.Body, got[0].Body)
		}
		if r.Header.Get("Idempotency-Key") != key {
			t.Errorf("attempt %d idempotency key %q, want %q", i+1, r.Header.Get("Idempotency-Key"), key)
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("attempt %d content type %q", i+1, r.Header.Get("Content-Type"))
		}
	}
}

func TestConnectionFailures(t *testing.T) {
	t.Run("refused GET is retried then typed", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		c, err := New(WithService(testService("http://"+addr)), WithAPIKey(testKey), withSleeper((&fakeSleep{}).sleep))
		if err != nil {
			t.Fatal(err)
		}
		err = c.Do(context.Background(), "GET", "/v1/x?api_key=zzz", nil, nil)
		var te *TransportError
		if !errors.As(err, &te) || te.Attempts != 4 {
			t.Fatalf("err = %#v (%v), want a TransportError after 4 attempts", err, err)
		}
		if strings.Contains(err.Error(), "zzz") || !strings.Contains(err.Error(), "REDACTED") {
			t.Errorf("query value not redacted: %v", err)
		}
	})
	t.Run("POST cut after connect is not retried", func(t *testing.T) {
		srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		c, _ := newTestClient(t, srv)
		err := c.Do(context.Background(), "POST", "/v1/jobs", map[string]int{"a": 1}, nil)
		var te *TransportError
		if !errors.As(err, &te) {
			t.Fatalf("err = %v", err)
		}
		if n := len(srv.got()); n != 1 {
			t.Errorf("server processed the POST %d times, want 1", n)
		}
	})
	t.Run("GET cut mid-body is retried", func(t *testing.T) {
		srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"partial":`))
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err == nil {
				buf.Flush()
				conn.Close()
			}
		}, reply(200, `{"ok":true}`))
		c, _ := newTestClient(t, srv)
		var out struct{ OK bool }
		if err := c.Do(context.Background(), "GET", "/v1/x", nil, &out); err != nil || !out.OK {
			t.Fatalf("err = %v, out = %+v", err, out)
		}
	})
}

func TestTLSFailureNotRetried(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	tlsSrv := newTLSServer(t)
	_ = srv
	c, err := New(WithService(testService(tlsSrv.URL)), WithAPIKey(testKey), withSleeper((&fakeSleep{}).sleep))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(context.Background(), "GET", "/", nil, nil)
	var te *TransportError
	if !errors.As(err, &te) || te.Attempts != 1 {
		t.Fatalf("err = %v; want one attempt (certificate errors are not retried)", err)
	}
}

// TestNotRetriedSaysWhy: when a retryable failure ends the call, the error
// names the reason and the option that changes it; a failure that is not
// retryable at all carries no reason.
func TestNotRetriedSaysWhy(t *testing.T) {
	cases := []struct {
		name    string
		method  string
		ctxWait time.Duration // 0: no deadline
		copts   []Option
		ropts   []RequestOption
		step    http.HandlerFunc
		want    string // "" means NotRetried is empty
	}{
		{"hint over the cap", "GET", 0, nil, nil, reply(429, ``, "Retry-After", "3600"),
			"the server's 1h0m0s wait is over the 1m0s cap (WithMaxRetryAfter)"},
		{"hint past the deadline", "GET", 5 * time.Second, nil, nil, reply(503, ``, "Retry-After", "30"),
			"the 30s wait would pass the context deadline"},
		{"retries used up", "GET", 0, []Option{WithMaxRetries(2)}, nil, reply(502, ``, "Retry-After", "1"),
			"all 2 retries used (WithMaxRetries)"},
		{"retries off", "GET", 0, []Option{WithMaxRetries(0)}, nil, reply(503, ``), "retries are off (WithMaxRetries(0))"},
		{"WithoutRetry", "GET", 0, nil, []RequestOption{WithoutRetry()}, reply(503, ``), "the request was sent WithoutRetry"},
		{"POST 503 without an idempotency key", "POST", 0, nil, nil, reply(503, ``),
			"a POST without an Idempotency-Key is never sent twice (WithIdempotencyKey makes it retryable)"},
		{"400 is not retryable", "GET", 0, nil, nil, reply(400, `{"error":"bad"}`), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newScripted(t, tc.step)
			c, _ := newTestClient(t, srv, tc.copts...)
			ctx := context.Background()
			if tc.ctxWait > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxWait)
				defer cancel()
			}
			err := c.DoWith(ctx, tc.method, "/v1/jobs", nil, nil, tc.ropts...)
			var apiErr *apierrors.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *apierrors.Error", err)
			}
			if !strings.HasPrefix(apiErr.NotRetried, tc.want) || (tc.want == "") != (apiErr.NotRetried == "") {
				t.Errorf("NotRetried = %q, want %q", apiErr.NotRetried, tc.want)
			}
			if tc.want != "" && !strings.Contains(err.Error(), "; not retried: "+tc.want) {
				t.Errorf("Error() = %q, lacks the reason", err)
			}
		})
	}
}

func TestTransportErrorSaysWhyNotRetried(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	})
	c, _ := newTestClient(t, srv)
	err := c.Do(context.Background(), "PATCH", "/v1/jobs/1", map[string]int{"a": 1}, nil)
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(te.NotRetried, "PATCH without an Idempotency-Key") || !strings.Contains(err.Error(), "; not retried: ") {
		t.Errorf("err = %v; NotRetried = %q", err, te.NotRetried)
	}
}
