package reliability

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	r3sse "github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"

	"github.com/apikit/apikit-go/client"
)

// wireWatch records what a server writes on each connection, so a test can
// wait for the replay of a reconnection to have been written before it
// publishes more (a server's replay and a new publication race otherwise).
type wireWatch struct {
	mu    sync.Mutex
	conns []*bytes.Buffer
	want  string        // the bytes to wait for on the second connection
	seen  chan struct{} // closed when they were written
}

func newWireWatch(want string) *wireWatch {
	return &wireWatch{want: want, seen: make(chan struct{})}
}

func (ww *wireWatch) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww.mu.Lock()
		buf := &bytes.Buffer{}
		ww.conns = append(ww.conns, buf)
		n := len(ww.conns)
		ww.mu.Unlock()
		h.ServeHTTP(&watchedWriter{ResponseWriter: w, ww: ww, buf: buf, conn: n}, r)
	})
}

// written is what connection n (1: the first) carried.
func (ww *wireWatch) written(n int) string {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	if n > len(ww.conns) {
		return ""
	}
	return ww.conns[n-1].String()
}

type watchedWriter struct {
	http.ResponseWriter
	ww   *wireWatch
	buf  *bytes.Buffer
	conn int
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	w.ww.mu.Lock()
	w.buf.Write(p)
	hit := w.conn == 2 && bytes.Contains(w.buf.Bytes(), []byte(w.ww.want))
	w.ww.mu.Unlock()
	if hit {
		select {
		case <-w.ww.seen:
		default:
			close(w.ww.seen)
		}
	}
	return w.ResponseWriter.Write(p)
}

func (w *watchedWriter) Flush()                      { w.ResponseWriter.(http.Flusher).Flush() }
func (w *watchedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// replayClient is a client of srv whose reconnections wait 1-10 ms.
func replayClient(t *testing.T, url string) *client.Client {
	t.Helper()
	c, err := client.New(client.WithService(client.Service{Name: "sse", BaseURL: url}), client.WithAPIKey("opaque-test-key-0123456789"),
		client.WithRetryWait(time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// readN reads n events' IDs from s.
func readN(t *testing.T, s *client.Stream, n int) []string {
	t.Helper()
	var ids []string
	for len(ids) < n && s.Next() {
		ids = append(ids, s.Event().ID)
	}
	if len(ids) < n {
		t.Fatalf("got %v, want %d events; Err: %v", ids, n, s.Err())
	}
	return ids
}

// readLater reads n events' IDs from s in another goroutine: Next is what
// reconnects a cut stream.
func readLater(s *client.Stream, n int) <-chan []string {
	out := make(chan []string, 1)
	go func() {
		var ids []string
		for len(ids) < n && s.Next() {
			ids = append(ids, s.Event().ID)
		}
		out <- ids
	}()
	return out
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second): // a bound on the bug, not a wait for success
		t.Fatalf("%s never happened", what)
	}
}

func ids(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

// TestStreamAgainstR3labsSSE: r3labs/sse resumes inclusively — after a
// reconnection with Last-Event-ID: 2 it sends event 2 again. The client
// delivers each event once.
func TestStreamAgainstR3labsSSE(t *testing.T) {
	server := r3sse.New()
	defer server.Close()
	server.CreateStream("messages")
	ww := newWireWatch("id: 2\n")
	srv := httptest.NewServer(ww.wrap(server))
	defer srv.Close()
	for i := range 3 {
		server.Publish("messages", &r3sse.Event{Data: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	c := replayClient(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := c.Stream(ctx, "/events?stream=messages")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := readN(t, s, 3)
	srv.CloseClientConnections() // the network cuts the stream
	rest := readLater(s, 2)
	waitFor(t, ww.seen, "the replay of event 2")
	for i := 3; i < 5; i++ {
		server.Publish("messages", &r3sse.Event{Data: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	got = append(got, <-rest...)
	if !slices.Equal(got, ids(0, 4)) {
		t.Errorf("delivered %v, want %v (the second connection carried %q)", got, ids(0, 4), ww.written(2))
	}
}

// TestStreamAgainstTmaxmaxGoSSE: go-sse's FiniteReplayer, once its buffer
// has wrapped, replays the whole buffer to a client that is up to date
// (from the buffer's start, not after its Last-Event-ID). The client
// delivers each event once.
func TestStreamAgainstTmaxmaxGoSSE(t *testing.T) {
	replayer, err := gosse.NewFiniteReplayer(4, true)
	if err != nil {
		t.Fatal(err)
	}
	joe := &gosse.Joe{Replayer: replayer}
	server := &gosse.Server{Provider: joe}
	defer server.Shutdown(context.Background()) //nolint:errcheck
	ww := newWireWatch("id: 5\n")
	srv := httptest.NewServer(ww.wrap(server))
	defer srv.Close()
	publish := func(i int) {
		m := &gosse.Message{}
		m.AppendData(fmt.Sprintf(`{"n":%d}`, i))
		if err := server.Publish(m); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 { // ids 0..5; the buffer keeps 2..5
		publish(i)
	}
	c := replayClient(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The caller has events up to 1: the server replays 2..5.
	s, err := c.Stream(ctx, "/events", client.WithHeader("Last-Event-ID", "1"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := readN(t, s, 4)
	srv.CloseClientConnections()
	rest := readLater(s, 2)
	waitFor(t, ww.seen, "the replay of the buffer")
	publish(6)
	publish(7)
	got = append(got, <-rest...)
	if !slices.Equal(got, ids(2, 7)) {
		t.Errorf("delivered %v, want %v (the second connection carried %q)", got, ids(2, 7), ww.written(2))
	}
}
