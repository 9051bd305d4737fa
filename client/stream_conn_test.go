package client_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/keys"
)

// connCounter counts the TCP connections a transport holds open, and wakes
// waiters at each change.
type connCounter struct {
	mu      sync.Mutex
	open    int
	opened  int
	changed chan struct{}
}

func (c *connCounter) add(d int) {
	c.mu.Lock()
	c.open += d
	if d > 0 {
		c.opened += d
	}
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
	c.mu.Unlock()
}

// wait waits until n connections are open, or fails the test after 10 s.
func (c *connCounter) wait(t *testing.T, n int) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		if c.open == n {
			c.mu.Unlock()
			return
		}
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		ch, open := c.changed, c.open
		c.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("%d connections open, want %d", open, n)
		}
	}
}

// transport is an HTTP transport whose connections c counts.
func (c *connCounter) transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c.add(1)
		return &countedConn{Conn: conn, c: c}, nil
	}
	return tr
}

type countedConn struct {
	net.Conn
	c      *connCounter
	closed atomic.Bool
}

func (cc *countedConn) Close() error {
	if cc.closed.CompareAndSwap(false, true) {
		cc.c.add(-1)
	}
	return cc.Conn.Close()
}

// Close leaves nothing behind: not a connection (counted at the dialer),
// not a goroutine, whether the stream was reading, between events, waiting
// to reconnect, or already ended.
func TestStreamCloseLeavesNothing(t *testing.T) {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	srv.SetStreamInterval(time.Millisecond)
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "leak", Scopes: []string{"stream"}})
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	var cc connCounter
	c, err := srv.NewClient(key, client.WithHTTPClient(&http.Client{Transport: cc.transport()}),
		client.WithRetryWait(time.Hour, time.Hour)) // a reconnection waits: Close must end the wait
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var streams []*client.Stream
	open := func() *client.Stream {
		s, err := c.Stream(ctx, "/v1/stream")
		if err != nil {
			t.Fatal(err)
		}
		streams = append(streams, s)
		return s
	}
	for i := 0; i < 3; i++ { // reading
		s := open()
		s.Next()
	}
	srv.CutNextStream(clienttest.StreamCut{After: 1, Abort: true})
	waiting := open() // waiting an hour to reconnect, in another goroutine
	done := make(chan struct{})
	go func() {
		defer close(done)
		for waiting.Next() {
		}
	}()
	ended, err := c.Stream(ctx, "/v1/stream", client.WithMaxEventBytes(1)) // ended by its first event
	if err != nil {
		t.Fatal(err)
	}
	streams = append(streams, ended)
	if ended.Next() {
		t.Fatal("an event over the bound was delivered")
	}
	if err := srv.WaitOpenStreams(ctxTimeout(t), 3); err != nil {
		t.Fatal(err)
	}
	cc.wait(t, 3) // the ended streams' connections are gone already

	for _, s := range streams {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	cc.wait(t, 0)
	if err := srv.WaitOpenStreams(ctxTimeout(t), 0); err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	t.Logf("connections opened: %d; open after Close: 0", cc.opened)
}

// A reconnection asks the key's source again when the server refuses the
// old key (a rotation was deployed), resumes with the new one, and neither
// key reaches the log or an error.
func TestStreamReconnectAfterRotation(t *testing.T) {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	srv.SetStreamInterval(time.Millisecond)
	old, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "rotating", Scopes: []string{"stream", "admin"}})
	var current atomic.Value
	current.Store(old)
	provider := credentials.ProviderFunc(func(context.Context) (credentials.Credential, error) {
		return credentials.Credential{Key: current.Load().(keys.Key), Source: credentials.Source{Kind: "vault"}}, nil
	})
	var logs syncBuf
	c, err := client.New(client.WithService(srv.Service()), client.WithBaseURL(srv.URL), client.WithCredentials(provider),
		client.WithRetryWait(time.Millisecond, 2*time.Millisecond),
		client.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	s, err := c.Stream(context.Background(), "/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	next := func(want int) {
		t.Helper()
		if !s.Next() {
			t.Fatalf("Next false: %v", s.Err())
		}
		if s.Event().ID != strconv.Itoa(want) {
			t.Fatalf("id %s, want %d", s.Event().ID, want)
		}
	}
	next(1)
	next(2)
	nk, err := c.Keys().Regenerate(context.Background(), info.ID) // the old secret is now unknown
	if err != nil {
		t.Fatal(err)
	}
	current.Store(nk.Secret)
	srv.CutOpenStreams()
	for want := 3; want < 8; want++ {
		next(want)
	}
	var codes []string
	for _, r := range srv.Requests() {
		if r.Path == "/v1/stream" {
			codes = append(codes, strings.TrimSpace(fmt.Sprintf("%d %s", r.Status, r.Code)))
		}
	}
	if strings.Join(codes, ",") != "200,401 unknown_key,200" {
		t.Errorf("stream requests: %v", codes)
	}
	for _, k := range []keys.Key{old, nk.Secret} {
		secret := k.Reveal()
		if strings.Contains(logs.String(), secret[len(secret)-16:]) {
			t.Errorf("the log holds a key:\n%s", logs.String())
		}
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
