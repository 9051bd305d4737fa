package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/pacing"
)

// The benchmarks compare one GET of a ~1 KiB JSON body (and one POST with a
// JSON body) over loopback keep-alive, three ways: raw net/http +
// encoding/json (the floor), go-retryablehttp doing the same, and client.Do.
// scripts/bench runs them with -count=10 and benchstat.

const benchKey = "hd_live_8K2nB7q4XwY1pVzR9tL6mDfC0sJaE3gH"

type benchItem struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Tags  []string `json:"tags"`
	Score float64  `json:"score"`
}

type benchPayload struct {
	Items []benchItem `json:"items"`
	Next  string      `json:"next"`
}

func benchBody() []byte {
	var p benchPayload
	for i := 0; i < 9; i++ {
		p.Items = append(p.Items, benchItem{ID: i, Name: "item-" + strings.Repeat("x", 40), Tags: []string{"alpha", "beta", "gamma"}, Score: float64(i) * 1.5})
	}
	p.Next = "cursor_abcdef"
	b, _ := json.Marshal(p)
	return b
}

// benchServer answers the ~1 KiB body to the right bearer key; with
// flaky set, every odd request first gets a 429 with Retry-After: 0, and
// with limited set too, that 429 carries limited as its JSON body.
type benchServer struct {
	*httptest.Server
	conns   atomic.Int64
	n       atomic.Int64
	flaky   bool
	limited []byte
}

// bench429Body is a rate-limit answer as Hypedata sends it: the code, a
// message, the wait and a request id, each a string the client scrubs.
var bench429Body = []byte(`{"error":{"code":"rate_limited","message":"Too many requests for this key; slow down.","request_id":"req_01HZX4K9Q2","details":{"retry_after_seconds":0}}}`)

func newBenchServer(b *testing.B, flaky bool, limited []byte) *benchServer {
	body := benchBody()
	s := &benchServer{flaky: flaky, limited: limited}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+benchKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		if s.flaky && s.n.Add(1)%2 == 1 {
			w.Header().Set("Retry-After", "0")
			if s.limited != nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write(s.limited)
				return
			}
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	b.Cleanup(s.Close)
	return s
}

func benchTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	// As the SDK's own transport bounds the wait for headers
	// (DefaultAttemptTimeout), so does the one both sides use here.
	t.ResponseHeaderTimeout = client.DefaultAttemptTimeout
	return t
}

// doer is one way of making the request under test.
type doer func(ctx context.Context, method string, body []byte, out *benchPayload) error

func nethttpDoer(url string) doer {
	hc := &http.Client{Transport: benchTransport()}
	return func(ctx context.Context, method string, body []byte, out *benchPayload) error {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, url+"/v1/items", rd)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+benchKey)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		err = json.NewDecoder(resp.Body).Decode(out)
		_, _ = io.Copy(io.Discard, resp.Body)
		return err
	}
}

func retryablehttpDoer(url string) doer {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: benchTransport()}
	rc.Logger = nil
	rc.RetryWaitMin, rc.RetryWaitMax = time.Nanosecond, time.Nanosecond
	return func(ctx context.Context, method string, body []byte, out *benchPayload) error {
		var raw any
		if body != nil {
			raw = body
		}
		req, err := retryablehttp.NewRequestWithContext(ctx, method, url+"/v1/items", raw)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+benchKey)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := rc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		err = json.NewDecoder(resp.Body).Decode(out)
		_, _ = io.Copy(io.Discard, resp.Body)
		return err
	}
}

// unpaced is a pacer that books every attempt at once and learns nothing.
// The retry benchmarks use it: they measure the retry machinery, and a real
// pacer would (rightly) slow a key that gets a 429 on every other request
// down to the rate it learns from them, about one request a second, which
// is what docs/PACING.md measures against nginx.
type unpaced struct{}

func (unpaced) Reserve(_ context.Context, fp string, _ pacing.Limit, _ time.Duration) (pacing.Reservation, error) {
	return pacing.Reservation{OK: true, Key: fp}, nil
}
func (unpaced) Cancel(context.Context, pacing.Reservation) error                { return nil }
func (unpaced) Report(context.Context, pacing.Reservation, pacing.Answer) error { return nil }

func apikitDoer(b *testing.B, url string, opts ...client.Option) doer {
	c, err := client.New(append([]client.Option{client.WithService(client.Hypedata), client.WithBaseURL(url), client.WithAPIKey(benchKey),
		client.WithHTTPClient(&http.Client{Transport: benchTransport()})}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return func(ctx context.Context, method string, body []byte, out *benchPayload) error {
		if body == nil {
			return c.Do(ctx, method, "/v1/items", nil, out)
		}
		// The idempotency key is what makes a POST retryable at all; the
		// peers retry a POST without one (retryablehttp) or never (net/http).
		return c.DoWith(ctx, method, "/v1/items", json.RawMessage(body), out, client.WithIdempotencyKey("bench"))
	}
}

func runBench(b *testing.B, flaky bool, limited []byte, method string, body []byte, parallel bool) {
	for _, tc := range []struct {
		name string
		make func(string) doer
	}{
		{"nethttp", nethttpDoer},
		{"retryablehttp", retryablehttpDoer},
		{"apikit", func(u string) doer {
			if flaky {
				return apikitDoer(b, u, client.WithPacer(unpaced{}))
			}
			return apikitDoer(b, u)
		}},
	} {
		if flaky && tc.name == "nethttp" {
			continue // raw net/http does not retry
		}
		b.Run(tc.name, func(b *testing.B) {
			srv := newBenchServer(b, flaky, limited)
			do := tc.make(srv.URL)
			ctx := context.Background()
			var out benchPayload
			if err := do(ctx, method, body, &out); err != nil || len(out.Items) != 9 { // warm up the connection
				b.Fatalf("warm-up: %v (%d items)", err, len(out.Items))
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			if parallel {
				b.RunParallel(func(pb *testing.PB) {
					var out benchPayload
					for pb.Next() {
						if err := do(ctx, method, body, &out); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for i := 0; i < b.N; i++ {
					if err := do(ctx, method, body, &out); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			reportCPU(b, cpu)
			b.ReportMetric(float64(srv.conns.Load()), "conns")
		})
	}
}

var benchPostBody = []byte(`{"url":"https://example.com/page","depth":2,"formats":["html","markdown"],"wait_for":"#content"}`)

func BenchmarkGetJSON(b *testing.B)         { runBench(b, false, nil, http.MethodGet, nil, false) }
func BenchmarkGetJSONParallel(b *testing.B) { runBench(b, false, nil, http.MethodGet, nil, true) }
func BenchmarkPostJSON(b *testing.B)        { runBench(b, false, nil, http.MethodPost, benchPostBody, false) }
func BenchmarkPostJSONParallel(b *testing.B) {
	runBench(b, false, nil, http.MethodPost, benchPostBody, true)
}

// BenchmarkRetry429 is a 429 (Retry-After: 0) then a 200 per operation: the
// cost of the retry machinery itself.
func BenchmarkRetry429(b *testing.B) { runBench(b, true, nil, http.MethodGet, nil, false) }

// BenchmarkRetry429Body is BenchmarkRetry429 with a JSON body on the 429, as
// real services send it: the cost of reading, decoding and scrubbing it
// (retryablehttp only drains it).
func BenchmarkRetry429Body(b *testing.B) { runBench(b, true, bench429Body, http.MethodGet, nil, false) }

// memTransport answers every request from memory with the ~1 KiB body: no
// sockets, no server goroutines, so what is left is the client's own cost.
// With limited set, every odd request first gets a 429 with that JSON body
// and Retry-After: 0.
type memTransport struct {
	body    []byte
	limited []byte
	n       *atomic.Int64
}

func (t memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	if r.Header.Get("Authorization") != "Bearer "+benchKey && r.URL.Query().Get("api_key") != benchKey {
		return &http.Response{StatusCode: http.StatusUnauthorized, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
	}
	if t.limited != nil && t.n.Add(1)%2 == 1 {
		return &http.Response{
			StatusCode: http.StatusTooManyRequests, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/json"}, "Retry-After": {"0"}},
			Body:          io.NopCloser(bytes.NewReader(t.limited)),
			ContentLength: int64(len(t.limited)),
			Request:       r,
		}, nil
	}
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)),
		Request:       r,
	}, nil
}

// runMem times do, one request per operation, after a warm-up call that
// must return the ~1 KiB body.
func runMem(b *testing.B, do func(*benchPayload) error) {
	var out benchPayload
	if err := do(&out); err != nil || len(out.Items) != 9 {
		b.Fatalf("warm-up: %v (%d items)", err, len(out.Items))
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := do(&out); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkOverhead is BenchmarkGetJSON over an in-memory transport: the
// loopback round trip, which dominates and blurs the others, is gone, so
// the SDK's own cost per request (and per auth mode) is what differs.
func BenchmarkOverhead(b *testing.B) {
	mem := memTransport{body: benchBody()}
	const url = "https://api.example.test"
	raw := &http.Client{Transport: mem}
	b.Run("nethttp", func(b *testing.B) {
		runMem(b, func(out *benchPayload) error {
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url+"/v1/items", nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+benchKey)
			req.Header.Set("Accept", "application/json")
			resp, err := raw.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			return json.NewDecoder(resp.Body).Decode(out)
		})
	})
	for _, mode := range []struct {
		name string
		opts []client.Option
	}{
		{"apikit", nil},
		{"apikit-query", []client.Option{client.WithQueryAuth("api_key")}},
		{"apikit-attempt-timeout", []client.Option{client.WithAttemptTimeout(time.Minute)}},
		// The in-memory transport bounds nothing, so "apikit" above pays
		// DefaultAttemptTimeout's context per attempt; without it, what
		// remains is the SDK's own machinery.
		{"apikit-no-attempt-timeout", []client.Option{client.WithAttemptTimeout(0)}},
		{"apikit-middleware", []client.Option{client.WithAttemptTimeout(0), client.WithMiddleware(
			func(ctx context.Context, _ *client.Call, next func(context.Context) error) error { return next(ctx) })}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			opts := append([]client.Option{client.WithService(client.Hypedata), client.WithBaseURL(url),
				client.WithAPIKey(benchKey), client.WithHTTPClient(&http.Client{Transport: mem})}, mode.opts...)
			c, err := client.New(opts...)
			if err != nil {
				b.Fatal(err)
			}
			runMem(b, func(out *benchPayload) error {
				return c.Do(context.Background(), http.MethodGet, "/v1/items", nil, out)
			})
		})
	}
}

// BenchmarkRetry429BodyInMemory is BenchmarkRetry429Body over the in-memory
// transport: a 429 with a JSON body, then the 200, per operation, without
// the loopback noise; what differs is what each client does with the 429.
func BenchmarkRetry429BodyInMemory(b *testing.B) {
	const url = "https://api.example.test"
	newMem := func() memTransport {
		return memTransport{body: benchBody(), limited: bench429Body, n: new(atomic.Int64)}
	}
	b.Run("retryablehttp", func(b *testing.B) {
		rc := retryablehttp.NewClient()
		rc.HTTPClient = &http.Client{Transport: newMem()}
		rc.Logger = nil
		rc.RetryWaitMin, rc.RetryWaitMax = time.Nanosecond, time.Nanosecond
		runMem(b, func(out *benchPayload) error {
			req, err := retryablehttp.NewRequestWithContext(context.Background(), http.MethodGet, url+"/v1/items", nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+benchKey)
			req.Header.Set("Accept", "application/json")
			resp, err := rc.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			return json.NewDecoder(resp.Body).Decode(out)
		})
	})
	b.Run("apikit", func(b *testing.B) {
		c, err := client.New(client.WithService(client.Hypedata), client.WithBaseURL(url),
			client.WithAPIKey(benchKey), client.WithHTTPClient(&http.Client{Transport: newMem()}),
			client.WithPacer(unpaced{}))
		if err != nil {
			b.Fatal(err)
		}
		runMem(b, func(out *benchPayload) error {
			return c.Do(context.Background(), http.MethodGet, "/v1/items", nil, out)
		})
	})
}
