package reliability

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	apierrors "github.com/apikit/apikit-go/errors"
)

const hostileKey = "hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"

// endless writes status and then up to limit bytes of filler, counting what
// it managed to write before the client hung up.
func endless(status int, limit int64, written *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		chunk := []byte(strings.Repeat("x", 64<<10))
		for written.Load() < limit {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}
}

func hostileClient(t *testing.T, url string, opts ...client.Option) *client.Client {
	t.Helper()
	base := []client.Option{client.WithService(client.Hypedata), client.WithBaseURL(url), client.WithAPIKey(hostileKey),
		client.WithRetryWait(time.Millisecond, time.Millisecond)}
	c, err := client.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHugeErrorBodyIsBounded: a 100 MB error body is read only up to the
// bound on each attempt; the call ends with a typed, bounded error.
func TestHugeErrorBodyIsBounded(t *testing.T) {
	var written atomic.Int64
	srv := httptest.NewServer(endless(http.StatusInternalServerError, 100<<20, &written))
	defer srv.Close()
	c := hostileClient(t, srv.URL)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := c.Do(context.Background(), "GET", "/v1/scrape?url=x", nil, nil)
	runtime.ReadMemStats(&after)
	var ae *apierrors.Error
	if !errors.As(err, &ae) || ae.StatusCode != 500 || ae.Attempts != 4 || len(ae.Message) > 520 {
		t.Fatalf("err = %.200v", err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("100 MB error body: server wrote %d MB in 4 attempts; client allocated %d MB", written.Load()>>20, allocated>>20)
	if written.Load() > 40<<20 {
		t.Errorf("the server wrote %d MB: the client read past its bound", written.Load()>>20)
	}
	if allocated > 64<<20 {
		t.Errorf("the client allocated %d MB for error bodies bounded at 1 MiB", allocated>>20)
	}
}

// TestEndlessSuccessBodyIsBounded: an endless 200 body ends at
// WithMaxResponseBytes with a clear error.
func TestEndlessSuccessBodyIsBounded(t *testing.T) {
	var written atomic.Int64
	srv := httptest.NewServer(endless(http.StatusOK, 1<<40, &written))
	defer srv.Close()
	c := hostileClient(t, srv.URL, client.WithMaxResponseBytes(1<<20))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, &struct{}{})
	if !errors.Is(err, client.ErrResponseTooLarge) || !strings.Contains(err.Error(), "larger than the 1048576 bytes") {
		t.Fatalf("err = %v; want ErrResponseTooLarge naming the bound", err)
	}
	t.Logf("endless body: stopped after the server wrote %d MB", written.Load()>>20)
	if ctx.Err() != nil {
		t.Error("the call only ended at the deadline")
	}
}

// TestHeaderFlood: a response with megabytes of headers is refused by the
// transport's header limit; the call ends typed.
func TestHeaderFlood(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := strings.Repeat("y", 8<<10)
		for i := 0; i < 300; i++ {
			w.Header().Add("X-Flood", v)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	c := hostileClient(t, srv.URL, client.WithMaxRetries(1))
	err := c.Do(context.Background(), "GET", "/v1/scrape?url=x", nil, nil)
	var te *client.TransportError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "header") {
		t.Fatalf("err = %v", err)
	}
}

// TestErrorBodyConnectionReuse: an error body the decoder reads whole (up
// to apierrors.MaxBodyBytes, 1 MiB) leaves the connection reusable, so a
// client retrying 503s with 100 KB bodies keeps one connection; a body over
// the bound is not read to its end (that would let a hostile server make
// the client read forever), so its connection is closed and the next
// attempt opens a new one — one connection per such answer, by design.
func TestErrorBodyConnectionReuse(t *testing.T) {
	const calls = 3
	responses := calls * (client.DefaultMaxRetries + 1)
	for _, tc := range []struct {
		name     string
		size     int
		maxConns int64
	}{
		{"100 KB (under the bound)", 100 << 10, 1},
		{"2 MB (over the bound)", 2 << 20, int64(responses)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(`{"error":{"code":"unavailable","message":"` + strings.Repeat("m", tc.size) + `"}}`)
			var conns atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write(body)
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Start()
			defer srv.Close()
			tr := http.DefaultTransport.(*http.Transport).Clone()
			defer tr.CloseIdleConnections()
			c := hostileClient(t, srv.URL, client.WithHTTPClient(&http.Client{Transport: tr}))
			for i := 0; i < calls; i++ {
				err := c.Do(context.Background(), "GET", "/v1/scrape?url=x", nil, nil)
				var ae *apierrors.Error
				if !errors.As(err, &ae) || ae.StatusCode != 503 || ae.Attempts != client.DefaultMaxRetries+1 || len(ae.Message) > 520 {
					t.Fatalf("err = %.200v", err)
				}
			}
			t.Logf("%d answers of %d bytes: %d connections", responses, len(body), conns.Load())
			if n := conns.Load(); n > tc.maxConns {
				t.Errorf("%d answers with %d-byte error bodies opened %d connections, want at most %d", responses, len(body), n, tc.maxConns)
			}
		})
	}
}
