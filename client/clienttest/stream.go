package clienttest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// DefaultStreamInterval is how often /v1/stream sends an event unless
// SetStreamInterval says otherwise.
const DefaultStreamInterval = 100 * time.Millisecond

// StreamCut is a fault for one connection to /v1/stream: after After
// events the server ends the connection, in one of the ways a real
// connection ends early. A client that resumes with Last-Event-ID loses and
// repeats no event across any of them.
type StreamCut struct {
	// After is how many events the connection sends before the cut.
	After int
	// MidEvent writes the first half of the next event (its id and part of
	// its data line) before cutting, so that the client holds an event
	// whose end never comes.
	MidEvent bool
	// Abort cuts the TCP connection without ending the HTTP response (the
	// client reads an unexpected EOF), instead of ending the response
	// cleanly (the client reads a plain end of stream).
	Abort bool
	// Retry, when positive, is sent as the stream's retry field (the
	// reconnection time the client must wait) at the start of the
	// connection, in whole milliseconds.
	Retry time.Duration
}

// streams is the server's stream state. Its fields are guarded by the
// Server's mu.
type streams struct {
	interval time.Duration
	cuts     []StreamCut
	ended    map[*keyState]chan struct{} // closed when the key is revoked
	open     int
	changed  chan struct{} // closed, and replaced, when open changes
	cutAll   chan struct{} // closed, and replaced, by CutOpenStreams
}

// CutOpenStreams ends every open /v1/stream connection now, cleanly (the
// clients read the end of the stream and reconnect).
func (s *Server) CutOpenStreams() {
	s.mu.Lock()
	if s.streams.cutAll != nil {
		close(s.streams.cutAll)
		s.streams.cutAll = nil
	}
	s.mu.Unlock()
}

// setOpenLocked changes the count of open streams and wakes its waiters.
// The caller holds s.mu.
func (s *Server) setOpenLocked(delta int) {
	s.streams.open += delta
	if s.streams.changed != nil {
		close(s.streams.changed)
		s.streams.changed = nil
	}
}

// SetStreamInterval sets how often /v1/stream sends an event (default
// DefaultStreamInterval); d must be positive.
func (s *Server) SetStreamInterval(d time.Duration) {
	if d <= 0 {
		return
	}
	s.mu.Lock()
	s.streams.interval = d
	s.mu.Unlock()
}

// CutNextStream queues a fault for the next connection to /v1/stream; each
// call queues one, used in order.
func (s *Server) CutNextStream(c StreamCut) {
	s.mu.Lock()
	s.streams.cuts = append(s.streams.cuts, c)
	s.mu.Unlock()
}

// OpenStreams counts the /v1/stream connections the server is serving now.
func (s *Server) OpenStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streams.open
}

// WaitOpenStreams waits until exactly n /v1/stream connections are open —
// after a client opened them, or after a client's Close reached the server
// — or until ctx ends.
func (s *Server) WaitOpenStreams(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		open := s.streams.open
		if open == n {
			s.mu.Unlock()
			return nil
		}
		if s.streams.changed == nil {
			s.streams.changed = make(chan struct{})
		}
		ch := s.streams.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("clienttest: %d streams open, waited for %d: %w", open, n, ctx.Err())
		}
	}
}

// endStreamsLocked ends every open stream of ks with auth_revoked. The
// caller holds s.mu.
func (s *Server) endStreamsLocked(ks *keyState) {
	if ch, ok := s.streams.ended[ks]; ok {
		close(ch)
		delete(s.streams.ended, ks)
	}
}

// endedLocked returns the channel closed when ks is revoked. The caller
// holds s.mu.
func (s *Server) endedLocked(ks *keyState) chan struct{} {
	if s.streams.ended == nil {
		s.streams.ended = map[*keyState]chan struct{}{}
	}
	ch, ok := s.streams.ended[ks]
	if !ok {
		ch = make(chan struct{})
		s.streams.ended[ks] = ch
	}
	return ch
}

// serveStream serves GET /v1/stream for ks, which has passed every check:
// an event every interval, with ids counting up from the request's
// Last-Event-ID (or from 1), until the client goes, a queued StreamCut cuts
// the connection, or the key is revoked or expires — then a final
// auth_revoked or auth_expired event carries the error body a request with
// the key would get, and the stream ends.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request, ks *keyState) {
	next := int64(1)
	if v, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && v >= 0 {
		next = v + 1
	}
	s.mu.Lock()
	interval := s.streams.interval
	if interval <= 0 {
		interval = DefaultStreamInterval
	}
	var cut *StreamCut
	if len(s.streams.cuts) > 0 {
		c := s.streams.cuts[0]
		s.streams.cuts = s.streams.cuts[1:]
		cut = &c
	}
	revoked := s.endedLocked(ks)
	if s.streams.cutAll == nil {
		s.streams.cutAll = make(chan struct{})
	}
	cutAll := s.streams.cutAll
	s.setOpenLocked(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.setOpenLocked(-1)
		s.mu.Unlock()
	}()

	flusher, _ := w.(http.Flusher)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if cut != nil && cut.Retry > 0 {
		fmt.Fprintf(w, "retry: %d\n\n", cut.Retry.Milliseconds())
	}
	fmt.Fprint(w, ": stream open\n\n")
	flush()

	tick := time.NewTicker(interval)
	defer tick.Stop()
	for sent := 0; ; sent++ {
		if cut != nil && sent == cut.After {
			if cut.MidEvent {
				fmt.Fprintf(w, "id: %d\nevent: message\ndata: {\"seq\":", next)
				flush()
			}
			if cut.Abort {
				panic(http.ErrAbortHandler) // net/http closes the connection mid-response
			}
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-cutAll:
			return
		case <-revoked:
			s.mu.Lock()
			e := &apiError{status: 401, code: "revoked", message: "API key has been revoked.", revokedAt: ks.info.RevokedAt, reason: ks.info.RevokedReason}
			s.mu.Unlock()
			writeAuthEvent(w, "auth_revoked", e)
			flush()
			return
		case <-tick.C:
		}
		s.mu.Lock()
		expired := !ks.expires.IsZero() && !s.clock.Now().Before(ks.expires)
		s.mu.Unlock()
		if expired {
			writeAuthEvent(w, "auth_expired", &apiError{status: 401, code: "expired", message: "API key has expired"})
			flush()
			return
		}
		fmt.Fprintf(w, "id: %d\nevent: message\ndata: {\"seq\":%d}\n\n", next, next)
		flush()
		next++
	}
}

// writeAuthEvent writes the final event that ends a stream whose key no
// longer works; its data is the body of the 401 the key now gets.
func writeAuthEvent(w http.ResponseWriter, name string, e *apiError) {
	inner := map[string]any{"code": e.code, "message": e.message}
	if e.revokedAt != nil {
		inner["revoked_at"] = e.revokedAt.UTC().Format(time.RFC3339)
		inner["reason"] = e.reason
	}
	b, _ := json.Marshal(map[string]any{"error": inner})
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
}
