package reliability

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
)

// The slow-body scenario: a 256 KiB answer through a 1 MB/s bandwidth
// toxic takes at least a quarter of a second to arrive, far longer than
// the socket buffers could hide.
const (
	slowBodyBytes = 256 << 10
	slowRateKBps  = 1000 // Toxiproxy's bandwidth rate, in KB/s (1000 bytes)
	slowBodyTime  = time.Duration(slowBodyBytes) * time.Millisecond / slowRateKBps
	// slowAttemptTimeout is shorter than the body takes to arrive.
	slowAttemptTimeout = 80 * time.Millisecond
)

// bigServer answers GET and POST /big with a JSON object of slowBodyBytes
// bytes; it counts the POSTs it processed (before it answers).
type bigServer struct {
	*httptest.Server
	posts atomic.Int64
	body  []byte
}

func newBigServer(t *testing.T) *bigServer {
	t.Helper()
	pad := slowBodyBytes - len(`{"data":""}`)
	b := &bigServer{body: []byte(`{"data":"` + strings.Repeat("z", pad) + `"}`)}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/big" {
			http.NotFound(w, r)
			return
		}
		if r.Method == http.MethodPost {
			b.posts.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(b.body)))
		_, _ = w.Write(b.body)
	}))
	t.Cleanup(b.Close)
	return b
}

// slowClient is a client of srv through a proxy whose downstream is
// limited to slowRateKBps.
func slowClient(t *testing.T, srv *bigServer, opts ...client.Option) *client.Client {
	t.Helper()
	p := newProxy(t, srv.URL)
	if _, err := p.Toxics.AddToxicJson(strings.NewReader(fmt.Sprintf(
		`{"name":"slow","type":"bandwidth","stream":"downstream","attributes":{"rate":%d}}`, slowRateKBps))); err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return hostileClient(t, "http://"+p.Listen, append([]client.Option{client.WithHTTPClient(&http.Client{Transport: tr}),
		client.WithRetryWait(fastWaitMin, fastWaitMax)}, opts...)...)
}

type bigAnswer struct {
	Data string `json:"data"`
}

// TestSlowBody: a bandwidth-limited answer arrives whole, for a GET and for
// a POST without an idempotency key (processed once); the toxic did slow it
// (the call took at least the body's size over the rate).
func TestSlowBody(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			srv := newBigServer(t)
			c := slowClient(t, srv)
			var in any
			if method == "POST" {
				in = map[string]string{"url": "x"}
			}
			var out bigAnswer
			start := time.Now()
			err := c.Do(context.Background(), method, "/big", in, &out)
			elapsed := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if want := len(srv.body) - len(`{"data":""}`); len(out.Data) != want || strings.Trim(out.Data, "z") != "" {
				t.Errorf("got %d bytes of data, want %d", len(out.Data), want)
			}
			if elapsed < slowBodyTime*8/10 {
				t.Errorf("the %d-byte answer took %v at %d KB/s: the bandwidth toxic did not slow it (want ≥ ~%v)", slowBodyBytes, elapsed, slowRateKBps, slowBodyTime)
			}
			if n := srv.posts.Load(); method == "POST" && n != 1 {
				t.Errorf("the POST was processed %d times, want 1", n)
			}
			t.Logf("%s: %d bytes in %v", method, slowBodyBytes, elapsed.Round(time.Millisecond))
		})
	}
}

// TestSlowBodyPastTheAttemptTimeout: when the per-attempt deadline is
// shorter than the body takes to arrive, the call fails typed, in time: a
// GET after every attempt, each ended by its deadline; a POST without an
// idempotency key after one attempt (its 2xx answer was cut, so the server
// processed it: it is not sent again), saying why it was not retried.
func TestSlowBodyPastTheAttemptTimeout(t *testing.T) {
	srv := newBigServer(t)
	c := slowClient(t, srv, client.WithAttemptTimeout(slowAttemptTimeout))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	start := time.Now()
	err := c.Do(ctx, "GET", "/big", nil, &bigAnswer{})
	elapsed := time.Since(start)
	var te *client.TransportError
	if !errors.As(err, &te) || te.Attempts != client.DefaultMaxRetries+1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GET err = %v; want a *client.TransportError after %d attempts matching context.DeadlineExceeded", err, client.DefaultMaxRetries+1)
	}
	if bound := time.Duration(te.Attempts)*slowAttemptTimeout + time.Duration(te.Attempts-1)*fastWaitMax + deadlineSlack; elapsed > bound {
		t.Errorf("the GET took %v for %d attempts of %v (bound %v)", elapsed, te.Attempts, slowAttemptTimeout, bound)
	}

	start = time.Now()
	err = c.Do(ctx, "POST", "/big", map[string]string{"url": "x"}, &bigAnswer{})
	elapsed = time.Since(start)
	if !errors.As(err, &te) || te.Attempts != 1 || !strings.Contains(te.NotRetried, "without an Idempotency-Key is never sent twice") {
		t.Fatalf("POST err = %v; want a *client.TransportError after 1 attempt saying why it was not retried", err)
	}
	if elapsed > slowAttemptTimeout+deadlineSlack {
		t.Errorf("the POST took %v, past its %v attempt deadline", elapsed, slowAttemptTimeout)
	}
	srv.Close() // waits for the handlers: the count is final
	if n := srv.posts.Load(); n != 1 {
		t.Errorf("the POST was processed %d times, want exactly 1", n)
	}
	if ctx.Err() != nil {
		t.Error("the calls only ended at the caller's deadline")
	}
}
