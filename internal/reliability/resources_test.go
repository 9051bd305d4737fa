package reliability

import (
	"context"
	"errors"
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
