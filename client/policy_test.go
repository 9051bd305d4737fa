package client

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// TestKnownAnswerSurvivesTheContext: a 503 is retried; the retry hangs
// until the caller gives up. The error is still the server's 503, typed,
// with both attempts counted, and it also matches the context's error.
func TestKnownAnswerSurvivesTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newScripted(t, reply(503, `{"error":{"code":"maintenance","message":"back soon"}}`),
		func(w http.ResponseWriter, r *http.Request) {
			cancel() // the caller gives up while the second attempt waits
			<-r.Context().Done()
		})
	c, _ := newTestClient(t, srv)
	err := c.Do(ctx, "GET", "/v1/x", nil, nil)
	var apiErr *apierrors.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Attempts != 2 {
		t.Fatalf("err = %v; want the 503 after 2 attempts", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v; want it to match context.Canceled too", err)
	}
	if !strings.Contains(err.Error(), "back soon") || !strings.Contains(err.Error(), "the next attempt got no answer") {
		t.Errorf("err = %q; want the server's message and what became of the retry", err)
	}
}

// TestBackoffStaysWithinBounds: without a hint, every wait lies within the
// bounds WithRetryWait sets (backoff/v4's jitter alone overshoots both).
func TestBackoffStaysWithinBounds(t *testing.T) {
	const lo, hi = 10 * time.Millisecond, 40 * time.Millisecond
	srv := newScripted(t, reply(503, ``))
	// The retry budget off: 240 retries without a success would spend it.
	c, fs := newTestClient(t, srv, WithRetryWait(lo, hi), WithMaxRetries(8), WithRetryBudget(0))
	for range 30 {
		_ = c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	}
	waits := fs.got()
	if len(waits) != 30*8 {
		t.Fatalf("%d waits, want %d", len(waits), 30*8)
	}
	var first []time.Duration
	for i, d := range waits {
		if d < lo || d > hi {
			t.Fatalf("wait %d is %v, outside [%v, %v]", i, d, lo, hi)
		}
		if i%8 == 0 {
			first = append(first, d)
		}
	}
	distinct := map[time.Duration]bool{}
	for _, d := range first {
		distinct[d] = true
	}
	if len(distinct) < 5 {
		t.Errorf("first waits %v: want jitter", first)
	}
}

// TestTLSHandshakeRefusalNotRetried: a server that only speaks TLS 1.1
// answers the client's TLS 1.2 floor with an alert. The next handshake
// would fail the same way, so nothing is retried.
func TestTLSHandshakeRefusalNotRetried(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	retries := 0
	c, err := New(WithService(testService(srv.URL)), WithAPIKey(testKey), withSleeper((&fakeSleep{}).sleep),
		WithRetryHook(func(RetryEvent) { retries++ }))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	var te *TransportError
	if !errors.As(err, &te) || te.Attempts != 1 || retries != 0 {
		t.Fatalf("err = %v, retries %d; want one attempt", err, retries)
	}
}

// TestBadHeaderFailsBeforeSending: a header net/http would refuse at send
// time fails the call at once, clearly, with nothing sent and no retry.
func TestBadHeaderFailsBeforeSending(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	c, fs := newTestClient(t, srv)
	for _, opt := range []RequestOption{WithHeader("X-Note", "one\ntwo"), WithHeader("Bad Name", "x"), WithHeader("X-Nul", "a\x00")} {
		err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, opt)
		if err == nil || !strings.Contains(err.Error(), "nothing was sent") {
			t.Errorf("err = %v; want a refusal before sending", err)
		}
	}
	if n := len(srv.got()); n != 0 || len(fs.got()) != 0 {
		t.Errorf("%d requests sent, %d waits", n, len(fs.got()))
	}
	if err := c.DoWith(context.Background(), "GET", "/v1/x", nil, nil, WithHeader("X-Tab", "a\tb")); err != nil {
		t.Errorf("a tab is a valid header character: %v", err)
	}
}

// TestWithHeaderReplacesTheSDKsValue: a caller's Accept, Content-Type or
// User-Agent is sent instead of the SDK's, not beside it; the key's header
// cannot be replaced.
func TestWithHeaderReplacesTheSDKsValue(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	c, _ := newTestClient(t, srv)
	err := c.DoWith(context.Background(), "PATCH", "/v1/x", map[string]int{"a": 1}, nil,
		WithHeader("Content-Type", "application/merge-patch+json"), WithHeader("Accept", "application/x"),
		WithHeader("User-Agent", "mine/1"), WithHeader("X-Multi", "a"), WithHeader("X-Multi", "b"),
		WithHeader("Authorization", "Bearer other"))
	if err != nil {
		t.Fatal(err)
	}
	h := srv.got()[0].Header
	for name, want := range map[string][]string{
		"Content-Type": {"application/merge-patch+json"}, "Accept": {"application/x"}, "User-Agent": {"mine/1"},
		"X-Multi": {"a", "b"}, "Authorization": {"Bearer " + testKey},
	} {
		if got := h.Values(name); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// TestDoRefusesWhatItCannotHonour: an io.Reader in (Do would encode it as
// JSON) and an out that json.Unmarshal cannot fill fail before sending.
func TestDoRefusesWhatItCannotHonour(t *testing.T) {
	srv := newScripted(t, reply(200, `{"a":1}`))
	c, _ := newTestClient(t, srv)
	var v struct{ A int }
	var nilPtr *struct{ A int }
	for name, args := range map[string][2]any{
		"reader in":       {strings.NewReader(`{"a":1}`), nil},
		"non-pointer out": {nil, v},
		"nil pointer out": {nil, nilPtr},
	} {
		if err := c.Do(context.Background(), "POST", "/v1/x", args[0], args[1]); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := len(srv.got()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
	if err := c.Do(context.Background(), "GET", "/v1/x", nil, &v); err != nil || v.A != 1 {
		t.Errorf("a pointer out: %v, %+v", err, v)
	}
}

// TestSendOneShotBodySaysWhyNotRetried: a body without GetBody is sent
// once, and the error says why it was not retried (not "WithoutRetry").
func TestSendOneShotBodySaysWhyNotRetried(t *testing.T) {
	srv := newScripted(t, reply(503, ``), reply(200, `{}`))
	c, _ := newTestClient(t, srv)
	req, _ := http.NewRequest("PUT", "/v1/blob", io.NopCloser(strings.NewReader("data")))
	_, err := c.Send(context.Background(), req)
	var apiErr *apierrors.Error
	if !errors.As(err, &apiErr) || !strings.Contains(apiErr.NotRetried, "GetBody") {
		t.Fatalf("err = %v; want a 503 whose NotRetried names GetBody", err)
	}
	if n := len(srv.got()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestResponseTooLarge: a 2xx larger than WithMaxResponseBytes is its own
// error, not "no answer", and is not retried.
func TestResponseTooLarge(t *testing.T) {
	srv := newScripted(t, reply(200, `{"data":"`+strings.Repeat("x", 100)+`"}`))
	c, fs := newTestClient(t, srv, WithMaxResponseBytes(10))
	err := c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	if !errors.Is(err, ErrResponseTooLarge) || strings.Contains(err.Error(), "no answer") {
		t.Fatalf("err = %v; want ErrResponseTooLarge", err)
	}
	var te *TransportError
	if errors.As(err, &te) || len(fs.got()) != 0 || len(srv.got()) != 1 {
		t.Errorf("err %T, %d waits, %d requests; want one attempt, no TransportError", err, len(fs.got()), len(srv.got()))
	}
}

// TestRotationGetsItsOwnRetryBudget: after a 401 revoked and a new key
// from the source, the resend with the new key has every retry.
func TestRotationGetsItsOwnRetryBudget(t *testing.T) {
	const newKey = "sk_test_NEWNEWNEWNEWNEWNEWNEWNEWNEWNEW0001"
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+testKey {
			reply(401, `{"error":{"code":"revoked","message":"revoked"}}`)(w, r)
			return
		}
		reply(503, ``)(w, r)
	})
	var n atomic.Int32
	src := credentials.ProviderFunc(func(context.Context) (credentials.Credential, error) {
		k := testKey
		if n.Add(1) > 1 {
			k = newKey
		}
		key, err := keys.Opaque.Parse(k)
		return credentials.Credential{Key: key, Source: credentials.Source{Kind: "test"}}, err
	})
	c, err := New(WithService(testService(srv.URL)), WithCredentials(src), WithMaxRetries(2), withSleeper((&fakeSleep{}).sleep))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	var apiErr *apierrors.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Attempts != 4 {
		t.Fatalf("err = %v; want the 503 after 1 + 3 attempts", err)
	}
}

// leakyTransport fails every request with an error that quotes its
// Authorization header and wraps a sentinel.
type leakyTransport struct{}

func (leakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("proxy refused %s with auth=%s: %w", r.URL, r.Header.Get("Authorization"), io.ErrUnexpectedEOF)
}

// TestTransportErrorChainHoldsNoKey: the key is redacted in the error's
// text and in every error it wraps, and errors.Is still reaches the cause.
func TestTransportErrorChainHoldsNoKey(t *testing.T) {
	c, err := New(WithService(testService("https://api.example.com")), WithAPIKey(testKey), WithMaxRetries(0),
		WithHTTPClient(&http.Client{Transport: leakyTransport{}}))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v; want it to match io.ErrUnexpectedEOF", err)
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, s := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
			if strings.Contains(s, testKey) {
				t.Fatalf("%T holds the key: %s", e, s)
			}
		}
		if m, ok := e.(interface{ Unwrap() []error }); ok {
			for _, inner := range m.Unwrap() {
				if strings.Contains(inner.Error(), testKey) {
					t.Fatalf("a wrapped %T holds the key: %s", inner, inner)
				}
			}
		}
	}
}

// TestDisagreeingHintsAreNotUndercut: a body hint and a Retry-After header
// that disagree: the client waits the longer, whichever it is; a rate-limit
// reset is only a fallback when neither is given.
func TestDisagreeingHintsAreNotUndercut(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		headers []string
		want    time.Duration
	}{
		{"body 0, header 2", `{"error":"rate_limited","retryAfter":0}`, []string{"Retry-After", "2"}, 2 * time.Second},
		{"body 3, header 1", `{"error":"rate_limited","retryAfter":3}`, []string{"Retry-After", "1"}, 3 * time.Second},
		{"header 1, reset 3600", `{}`, []string{"Retry-After", "1", "X-RateLimit-Reset", "3600"}, time.Second},
		{"reset alone", `{}`, []string{"X-RateLimit-Reset", "4"}, 4 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newScripted(t, reply(429, tc.body, tc.headers...), reply(200, `{}`))
			c, fs := newTestClient(t, srv)
			if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
				t.Fatal(err)
			}
			if w := fs.got(); len(w) != 1 || w[0] != tc.want {
				t.Errorf("waits %v, want [%v]", w, tc.want)
			}
		})
	}
}

// TestEchoedKeyAtTheCutIsRedacted: a server message that echoes the key
// right where the message is cut to its bound leaves no piece of it.
func TestEchoedKeyAtTheCutIsRedacted(t *testing.T) {
	for pad := 470; pad <= 520; pad += 5 {
		msg := strings.Repeat("x", pad) + " " + testKey + " and more"
		srv := newScripted(t, reply(401, `{"error":{"code":"unknown_key","message":"`+msg+`"}}`))
		c, _ := newTestClient(t, srv)
		err := c.Do(context.Background(), "GET", "/v1/x", nil, nil)
		if err == nil {
			t.Fatal("no error")
		}
		if s := fmt.Sprintf("%v %+v", err, err); strings.Contains(s, testKey[8:20]) {
			t.Fatalf("pad %d: a piece of the key is in %q", pad, s)
		}
	}
}

// TestCachedJWTPastItsExpiryIsNotSent: a JWT valid when first resolved is
// cached; once its exp passes, the client asks its source again, which
// still has the expired token, and the call fails before sending.
func TestCachedJWTPastItsExpiryIsNotSent(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	format := *keys.Web3Storage
	format.Now = clock
	enc := base64.RawURLEncoding.EncodeToString
	token := enc([]byte(`{"alg":"HS256"}`)) + "." + enc([]byte(fmt.Sprintf(`{"exp":%d}`, now.Add(time.Hour).Unix()))) + ".c2ln"
	srv := newScripted(t, reply(200, `{}`))
	svc := testService(srv.URL)
	svc.KeyFormat = &format
	c, err := New(WithService(svc), WithAPIKey(token), func(o *settings) error { o.now = clock; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	err = c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	if !errors.Is(err, apierrors.ErrExpired) {
		t.Errorf("err = %v; want ErrExpired", err)
	}
	if n := len(srv.got()); n != 1 {
		t.Errorf("%d requests reached the server, want 1 (the expired token must not be sent)", n)
	}
}

// TestGeneratedIdempotencyKeyIsPerCall: one WithIdempotencyKey("") value
// used for two different POSTs (and concurrently) gives each its own key;
// reusing the first would make the server answer the second with the first
// job, silently dropping it.
func TestGeneratedIdempotencyKeyIsPerCall(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	c, _ := newTestClient(t, srv)
	idem := WithIdempotencyKey("")
	done := make(chan error, 4)
	for i := range 4 {
		go func() { done <- c.DoWith(context.Background(), "POST", "/v1/jobs", map[string]int{"n": i}, nil, idem) }()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, r := range srv.got() {
		seen[r.Header.Get("Idempotency-Key")] = true
	}
	if len(seen) != 4 || seen[""] {
		t.Errorf("keys %v, want 4 distinct", seen)
	}
}

func TestBadMethodIsOneClearLine(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	c, _ := newTestClient(t, srv)
	for _, m := range []string{"GET\n", "", "GE T"} {
		err := c.Do(context.Background(), m, "/v1/x", nil, nil)
		if err == nil || strings.ContainsAny(err.Error(), "\n\r") || !strings.Contains(err.Error(), "not a valid HTTP method") {
			t.Errorf("method %q: %v", m, err)
		}
	}
	if n := len(srv.got()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
