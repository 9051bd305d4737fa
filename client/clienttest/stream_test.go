package clienttest_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// syncBuffer is a buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// streamServer is a Hypedata server whose stream sends an event every
// millisecond, and a key with the stream scope.
func streamServer(t *testing.T, opts ...clienttest.Option) (*clienttest.Server, keys.Key, client.KeyInfo) {
	t.Helper()
	srv := clienttest.NewServer(client.Hypedata, opts...)
	t.Cleanup(srv.Close)
	srv.SetStreamInterval(time.Millisecond)
	key, info := issue(t, srv, clienttest.KeyParams{Scopes: []string{"stream", "admin"}})
	return srv, key, info
}

// streamClient is a client of srv with fast retries and a debug log into
// logs.
func streamClient(t *testing.T, srv *clienttest.Server, key keys.Key, logs *syncBuffer) *client.Client {
	t.Helper()
	opts := []client.Option{client.WithRetryWait(time.Millisecond, 2*time.Millisecond)}
	if logs != nil {
		opts = append(opts, client.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	c, err := srv.NewClient(key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// readSeq reads n events and checks that their ids count up by one from
// first: nothing lost, nothing repeated.
func readSeq(t *testing.T, s *client.Stream, first, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if !s.Next() {
			t.Fatalf("after %d events: Next false, Err %v", i, s.Err())
		}
		ev := s.Event()
		want := strconv.Itoa(first + i)
		if ev.ID != want || ev.Type != "message" || string(ev.Data) != `{"seq":`+want+`}` {
			t.Fatalf("event %d = %+v (%s), want id %s", i, ev, ev.Data, want)
		}
	}
}

func TestStreamFlow(t *testing.T) {
	srv, key, _ := streamServer(t)
	c := streamClient(t, srv, key, nil)
	s, err := c.Stream(context.Background(), "/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	readSeq(t, s, 1, 5)
	s.Close()

	// Resuming from a kept id.
	s, err = c.Stream(context.Background(), "/v1/stream", client.WithHeader("Last-Event-ID", "100"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	readSeq(t, s, 101, 3)
}

// Every kind of cut the server can make, one after the other on one
// stream: the client reads every id once, in order.
func TestStreamCutsLoseNothing(t *testing.T) {
	srv, key, _ := streamServer(t)
	var logs syncBuffer
	c := streamClient(t, srv, key, &logs)
	cuts := []clienttest.StreamCut{
		{After: 3},                               // the server ends the answer
		{After: 2, Abort: true},                  // the connection is cut
		{After: 2, MidEvent: true},               // half an event, then the end
		{After: 1, MidEvent: true, Abort: true},  // half an event, then the cut
		{After: 2, Retry: 5 * time.Millisecond},  // with a retry field
		{After: 0},                               // nothing at all
		{After: 1, Retry: 0, MidEvent: true},     // again, after the empty one
		{After: 4, Abort: true, MidEvent: false}, // and a plain cut at the end
	}
	for _, cut := range cuts {
		srv.CutNextStream(cut)
	}
	s, err := c.Stream(context.Background(), "/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	readSeq(t, s, 1, 30)
	var opened int
	for _, r := range srv.Requests() {
		if r.Path == "/v1/stream" {
			opened++
		}
	}
	if opened != len(cuts)+1 {
		t.Errorf("%d connections, want %d", opened, len(cuts)+1)
	}
	if strings.Contains(logs.String(), key.Reveal()) {
		t.Error("the log holds the key")
	}
}

// A reconnection answered by a 503 with Retry-After, or not answered at
// all, is retried, and the stream resumes where it stopped.
func TestStreamReconnectFaults(t *testing.T) {
	srv, key, _ := streamServer(t)
	var waits []time.Duration
	var mu sync.Mutex
	c2, err := srv.NewClient(key, client.WithRetryWait(time.Millisecond, 2*time.Millisecond),
		client.WithRetryHook(func(ev client.RetryEvent) { mu.Lock(); waits = append(waits, ev.Wait); mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.CloseIdleConnections()
	s, err := c2.Stream(context.Background(), "/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	readSeq(t, s, 1, 2)
	srv.FailNext(1, 503, time.Second)
	srv.DropNext(1)
	srv.CutNextStream(clienttest.StreamCut{After: 3, Abort: true})
	srv.CutOpenStreams()
	readSeq(t, s, 3, 10)
	mu.Lock()
	defer mu.Unlock()
	var sawHint bool
	for _, w := range waits {
		if w >= time.Second {
			sawHint = true
		}
	}
	if !sawHint {
		t.Errorf("waits %v: the 503's Retry-After of 1s was not waited out", waits)
	}
}

func TestStreamRevocationEndsOpenStreams(t *testing.T) {
	srv, key, info := streamServer(t)
	other, _ := issue(t, srv, clienttest.KeyParams{Name: "other", Scopes: []string{"stream"}})
	c := streamClient(t, srv, key, nil)
	oc := streamClient(t, srv, other, nil)
	var mine []*client.Stream
	for i := 0; i < 3; i++ {
		s, err := c.Stream(context.Background(), "/v1/stream")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		readSeq(t, s, 1, 1)
		mine = append(mine, s)
	}
	theirs, err := oc.Stream(context.Background(), "/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close()

	// Revoked over HTTP, by the key itself (it has the admin scope).
	if _, err := c.Keys().Revoke(context.Background(), info.ID, "leaked"); err != nil {
		t.Fatal(err)
	}
	for i, s := range mine {
		for s.Next() {
		}
		err := s.Err()
		var ae *apierrors.Error
		if !errors.As(err, &ae) || !errors.Is(err, apierrors.ErrRevoked) || !errors.Is(err, apierrors.ErrAuthentication) {
			t.Fatalf("stream %d: Err = %v", i, err)
		}
		if ae.Reason != "leaked" || ae.RevokedAt.IsZero() {
			t.Errorf("stream %d: Reason %q, RevokedAt %v", i, ae.Reason, ae.RevokedAt)
		}
		if strings.Contains(err.Error(), key.Reveal()) {
			t.Error("the error holds the key")
		}
	}
	readSeq(t, theirs, 1, 3) // another key's stream goes on
	if err := srv.WaitOpenStreams(ctxTimeout(t), 1); err != nil {
		t.Error(err)
	}
	// A reconnection would now be refused; none was tried.
	var after int
	for _, r := range srv.Requests() {
		if r.Path == "/v1/stream" && r.Code == "revoked" {
			after++
		}
	}
	if after != 0 {
		t.Errorf("%d reconnections after the auth_revoked event", after)
	}
}

func TestStreamExpiry(t *testing.T) {
	clock := clienttest.NewFakeClock(start)
	srv, _, _ := streamServer(t, clienttest.WithClock(clock))
	key, _ := issue(t, srv, clienttest.KeyParams{Scopes: []string{"stream"}, ExpiresAt: start.Add(time.Hour)})
	c := streamClient(t, srv, key, nil)
	s, err := c.Stream(context.Background(), "/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	readSeq(t, s, 1, 2)
	clock.Advance(time.Hour)
	for s.Next() {
	}
	if !errors.Is(s.Err(), apierrors.ErrExpired) {
		t.Errorf("Err = %v, want ErrExpired", s.Err())
	}
}

func TestStreamNeedsScope(t *testing.T) {
	srv, _, _ := streamServer(t)
	key, _ := issue(t, srv, clienttest.KeyParams{Scopes: []string{"scrape"}})
	c := streamClient(t, srv, key, nil)
	_, err := c.Stream(context.Background(), "/v1/stream")
	var ae *apierrors.Error
	if !errors.As(err, &ae) || !errors.Is(err, apierrors.ErrInsufficientScope) || ae.RequiredScope != "stream" {
		t.Errorf("err = %v", err)
	}
}

// Close reaches the server: its stream handlers end.
func TestStreamCloseReachesServer(t *testing.T) {
	srv, key, _ := streamServer(t)
	c := streamClient(t, srv, key, nil)
	var ss []*client.Stream
	for i := 0; i < 4; i++ {
		s, err := c.Stream(context.Background(), "/v1/stream")
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	if err := srv.WaitOpenStreams(ctxTimeout(t), 4); err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		s.Close()
		s.Close()
	}
	if err := srv.WaitOpenStreams(ctxTimeout(t), 0); err != nil {
		t.Fatal(err)
	}
}

// ctxTimeout is a context that ends with the test or after 10 seconds: a
// bound on a wait that should end far sooner, so a bug fails the test
// instead of hanging it.
func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
