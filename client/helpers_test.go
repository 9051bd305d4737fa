package client

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// testKey is an opaque key for the custom service used in these tests.
const testKey = "sk_test_4f9Qx2LmZpR7vT1nB8cD3eF6gH0jK5wY"

// testService is a service with no key format (any opaque key) and no env
// var, so tests depend on nothing in the environment.
func testService(url string) Service {
	return Service{Name: "testsvc", BaseURL: url, Auth: AuthBearer}
}

// fakeSleep records the waits the client asks for and returns at once.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeSleep) got() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// withSleeper replaces the client's wait, so tests never sleep. The
// client's own pacer then lives on a clock that every fake sleep moves on,
// as if the wait had happened.
func withSleeper(f func(context.Context, time.Duration) error) Option {
	return func(o *settings) error {
		var (
			mu    sync.Mutex
			slept time.Duration
		)
		o.sleep = func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			slept += d
			mu.Unlock()
			return f(ctx, d)
		}
		o.paceNow = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return time.Now().Add(slept)
		}
		return nil
	}
}

// scripted is an httptest server answering from a list of handlers, one per
// request (the last repeats), and recording what it received.
type scripted struct {
	*httptest.Server
	mu       sync.Mutex
	steps    []http.HandlerFunc
	requests []recorded
}

type recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

func newScripted(t *testing.T, steps ...http.HandlerFunc) *scripted {
	t.Helper()
	return startScripted(t, httptest.NewServer, steps)
}

// newScriptedTLS is newScripted over HTTPS; its Client() trusts it.
func newScriptedTLS(t *testing.T, steps ...http.HandlerFunc) *scripted {
	t.Helper()
	return startScripted(t, httptest.NewTLSServer, steps)
}

func startScripted(t *testing.T, start func(http.Handler) *httptest.Server, steps []http.HandlerFunc) *scripted {
	s := &scripted{steps: steps}
	s.Server = start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		_, _ = body.ReadFrom(r.Body)
		s.mu.Lock()
		n := len(s.requests)
		s.requests = append(s.requests, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body.Bytes()})
		step := s.steps[min(n, len(s.steps)-1)]
		s.mu.Unlock()
		step(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *scripted) got() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.requests...)
}

// reply writes status, headers (name, value pairs) and body.
func reply(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if body != "" && w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// newTestClient builds a client for srv with the test key and a fake sleeper.
func newTestClient(t *testing.T, srv *scripted, opts ...Option) (*Client, *fakeSleep) {
	t.Helper()
	fs := &fakeSleep{}
	base := []Option{WithService(testService(srv.URL)), WithAPIKey(testKey), withSleeper(fs.sleep)}
	c, err := New(append(base, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, fs
}

// logBuffer is a debug-level slog logger into a buffer, safe for concurrent
// use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
