package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rtFunc is an http.RoundTripper from a function.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Attempts on a transport that bounds nothing share re-armed watchdogs: each
// re-armed one bounds its new attempt by that attempt's own timeout, one
// that fired is not reused, and a fast attempt is never cut by an earlier
// attempt's timer.
func TestWatchdogsReArmed(t *testing.T) {
	mem := rtFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == "/hang" {
			<-r.Context().Done()
			return nil, r.Context().Err()
		}
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{}`)), Request: r}, nil
	})
	c, err := New(WithService(testService("https://api.example.test")), WithAPIKey(testKey),
		WithHTTPClient(&http.Client{Transport: mem}), WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	fast := func(d time.Duration) {
		t.Helper()
		for range 20 {
			if err := c.DoWith(context.Background(), "GET", "/ok", nil, nil, WithAttemptTimeout(d)); err != nil {
				t.Fatalf("a fast call with a %s attempt timeout: %v", d, err)
			}
		}
	}
	hang := func(d time.Duration) {
		t.Helper()
		start := time.Now()
		err := c.DoWith(context.Background(), "GET", "/hang", nil, nil, WithAttemptTimeout(d))
		if !errors.Is(err, ErrAttemptTimeout) {
			t.Fatalf("a hanging call with a %s attempt timeout: %v", d, err)
		}
		if took := time.Since(start); took > d+5*time.Second {
			t.Fatalf("a %s attempt timeout fired after %s", d, took)
		}
	}
	fast(time.Hour)             // stopped watchdogs armed for an hour go back to the pool
	hang(10 * time.Millisecond) // re-armed for 10ms, not an hour
	fast(time.Second)           // the fired one is not reused; the others are re-armed each time
	fast(time.Hour)
	hang(10 * time.Millisecond)
	if err := c.Do(context.Background(), "GET", "/ok", nil, nil); err != nil { // the default bound
		t.Fatal(err)
	}
}
