package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/internal/sse"
	"github.com/apikit/apikit-go/pacing"
)

// DefaultMaxEventBytes bounds the data of one stream event (and the length
// of one line of the stream); see WithMaxEventBytes.
const DefaultMaxEventBytes = 1 << 20

// Event is one server-sent event of a Stream.
type Event struct {
	// ID is the stream's last event ID as of this event: the event's own id,
	// or the last one the server sent before it. A reconnecting Stream sends
	// it as Last-Event-ID.
	ID string
	// Type is the event's name; "message" when the server named none.
	Type string
	// Data is the event's data lines joined with "\n".
	Data []byte
}

// Stream reads a server-sent events stream opened by Client.Stream:
//
//	for s.Next() {
//		ev := s.Event()
//		…
//	}
//	if err := s.Err(); err != nil { … }
//
// A connection that drops (the server closes it, the network cuts it, no
// data arrives within WithStreamIdleTimeout) is reopened with the client's
// retry policy — the server's retry field and Retry-After are waited out,
// never undercut, and at most WithMaxRetries reconnections follow one
// another without an event between them — and resumes where it stopped by
// sending Last-Event-ID: no event is lost or delivered twice by a server
// that honours it. Servers that resume inclusively (sending the event named
// by Last-Event-ID again) or from the start of their buffer are handled
// too: after a reconnection, an event whose own id is among the last 1024
// delivered is dropped. The stream is read as UTF-8: invalid bytes in data,
// event names and ids arrive as U+FFFD, as a browser's EventSource shows
// them. An event whose name starts with "auth_" (auth_revoked,
// auth_expired, …) ends the stream for good with the typed error it
// describes.
//
// Next, Event and Err are for one goroutine; Close may be called from any
// goroutine, and ends a Next that is waiting.
type Stream struct {
	c       *Client
	target  string          // the URL, base joined with the path and query
	path    string          // for errors and logs: no query
	rs      requestSettings // the call's options; Last-Event-ID is the stream's own
	idle    time.Duration
	ctx     context.Context // the caller's, ended by Close too
	cancel  context.CancelFunc
	k       *call
	dec     *sse.Decoder
	header  http.Header // the last connection's response headers
	ev      Event
	err     error
	done    bool
	idleCut atomic.Bool // the idle timer ended the current connection
	mu      sync.Mutex
	conn    *streamConn // the open connection; nil between connections
	closed  bool
	// seen holds the IDs of the last events delivered; once resumed (a
	// reconnection, or a caller's Last-Event-ID), an event whose own ID
	// is among them is a server's replay and is dropped.
	seen    recentIDs
	resumed bool
}

// Stream opens the server-sent events stream at path (joined to the base
// URL; it may carry a query) with a GET that accepts text/event-stream. The
// key, the host it is sent to, the retries of the opening request and the
// errors are those of Do: a non-2xx answer is an *apierrors.Error (after
// retries), a connection that never answered a *TransportError.
//
// ctx bounds the whole stream, reconnections included. Close the stream
// when done with it. A 204 No Content is an empty stream: Next returns
// false and Err nil.
//
// Options: WithHeader (WithHeader("Last-Event-ID", id) resumes from an ID
// you kept), WithoutRetry (no reconnection either), WithMaxRetries,
// WithStreamIdleTimeout, WithMaxEventBytes, WithAttemptTimeout (the wait
// for each connection's response headers, never the stream itself),
// WithTimeout (the stream's whole life; the client-wide WithTimeout does
// not apply to streams), WithBaseURL, WithResponseInto (filled at each
// connection) and WithMiddleware (run around each connection).
func (c *Client) Stream(ctx context.Context, path string, opts ...RequestOption) (*Stream, error) {
	if ctx == nil {
		return nil, errors.New("client: nil context")
	}
	shown := c.shownPath(path)
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("client: GET %q: the path must start with / (it is joined to the client's base URL)", shown)
	}
	rs, err := callSettings(opts)
	if err != nil {
		return nil, fmt.Errorf("client: GET %s: %w; nothing was sent", shown, err)
	}
	base, err := c.baseFor(&rs)
	if err != nil {
		return nil, fmt.Errorf("client: GET %s: %w; nothing was sent", shown, err)
	}
	maxEvent := rs.maxEvent
	if maxEvent == 0 {
		maxEvent = DefaultMaxEventBytes
	}
	sctx, cancel := context.WithCancel(ctx)
	if rs.timeout > 0 {
		sctx, cancel = context.WithTimeout(ctx, rs.timeout)
	}
	s := &Stream{
		c: c, target: base + path, path: shown, idle: rs.streamIdle, ctx: sctx, cancel: cancel,
		k:   &call{c: c, method: http.MethodGet, path: shown, maxBody: c.maxBody, stream: true},
		dec: sse.NewDecoder(http.NoBody, maxEvent),
		rs:  rs,
	}
	lastID := rs.header.Get("Last-Event-ID")
	if lastID != "" {
		// The stream sends Last-Event-ID itself; a caller's value only
		// says where the first connection starts.
		s.rs.header = rs.header.Clone()
		s.rs.header.Del("Last-Event-ID")
	}
	s.dec.SetLastEventID(lastID)
	if lastID = s.dec.LastEventID(); lastID != "" {
		s.seen.add(lastID) // the caller has it
		s.resumed = true
	}
	if err := s.connect(lastID); err != nil {
		cancel()
		return nil, err
	}
	return s, nil
}

// Next waits for the next event and reports whether there is one. It
// returns false when the stream has ended: Err then says why (nil for a
// stream the caller closed, or that the server ended with a 204).
func (s *Stream) Next() bool {
	if s.done {
		return false
	}
	for {
		ev, err := s.dec.Next()
		if err == nil {
			if strings.HasPrefix(ev.Type, "auth_") {
				s.finish(fmt.Errorf("client: GET %s: the server ended the stream with %s: %w", s.path, s.eventName(ev.Type), s.authError(ev)))
				return false
			}
			if s.dec.OwnID() && ev.ID != "" {
				if s.resumed && s.seen.has(ev.ID) {
					continue // a replay of an event delivered already
				}
				s.seen.add(ev.ID)
			}
			s.ev = Event{ID: ev.ID, Type: ev.Type, Data: ev.Data}
			// An event is progress: the next drop has the whole
			// reconnection budget and a fresh backoff schedule.
			s.k.retryBase, s.k.bo = s.k.attempts-1, nil
			return true
		}
		s.drop()
		switch {
		case s.isClosed():
			s.finish(nil)
			return false
		case errors.Is(err, sse.ErrTooLarge):
			s.finish(fmt.Errorf("client: GET %s: %w (WithMaxEventBytes raises the bound)", s.path, err))
			return false
		case s.ctx.Err() != nil:
			s.finish(fmt.Errorf("client: GET %s: %w", s.path, context.Cause(s.ctx)))
			return false
		}
		if !s.reconnect(s.cutReason(err)) {
			return false
		}
	}
}

// Event returns the event Next found.
func (s *Stream) Event() Event { return s.ev }

// Err returns why the stream ended, in one line, or nil while it runs and
// after a clean end. A final auth event is an *apierrors.Error (match it
// with errors.Is(err, apierrors.ErrRevoked) and the like); a reconnection
// that failed wraps that failure's error.
func (s *Stream) Err() error { return s.err }

// Close ends the stream: it stops any reconnection, ends a Next that is
// waiting, and closes the connection. It may be called more than once, and
// from any goroutine; it always returns nil.
func (s *Stream) Close() error {
	s.mu.Lock()
	s.closed = true
	conn := s.conn
	s.conn = nil
	s.mu.Unlock()
	s.cancel()
	if conn != nil {
		conn.close()
	}
	return nil
}

// connect opens a connection, resuming from lastID, through the client's
// pipeline (the key, the pinning to the API's host, retries and their
// waits, a rotated key after a 401), and makes it the stream's.
func (s *Stream) connect(lastID string) error {
	cctx, ccancel := context.WithCancel(s.ctx)
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, s.target, nil)
	if err != nil {
		ccancel()
		return fmt.Errorf("client: GET %s: %w", s.path, stripURL(err))
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	rreq, err := retryablehttp.FromRequest(req)
	if err != nil {
		ccancel()
		return fmt.Errorf("client: GET %s: %w", s.path, err)
	}
	k := s.k
	k.apiErr, k.netErr, k.stopErr, k.notRetried = nil, nil, nil, ""
	resp, err := s.c.run(cctx, rreq, k, &s.rs)
	s.path = k.path // the key redacted from it, once known (send)
	if err != nil {
		ccancel()
		return err
	}
	s.header = resp.Header
	if resp.StatusCode == http.StatusNoContent {
		resp.Body.Close()
		ccancel()
		s.finish(nil) // the server says there is nothing to stream: no reconnection
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		resp.Body.Close()
		ccancel()
		return fmt.Errorf("client: GET %s: the server answered %d with Content-Type %q, not a text/event-stream (is the path a stream?)",
			s.path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	conn := &streamConn{body: resp.Body, cancel: ccancel, idle: s.idle}
	s.idleCut.Store(false)
	if s.idle > 0 {
		conn.timer = time.AfterFunc(s.idle, func() {
			s.mu.Lock()
			if s.conn == conn { // not a connection already dropped
				s.idleCut.Store(true)
			}
			s.mu.Unlock()
			ccancel()
		})
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.close()
		return fmt.Errorf("client: GET %s: %w", s.path, context.Canceled)
	}
	s.conn = conn
	s.mu.Unlock()
	s.dec.Reset(conn)
	return nil
}

// reconnect waits as the retry policy says after a cut and connects again;
// it reports false, with the stream ended, when it may not or cannot.
func (s *Stream) reconnect(cause string) bool {
	k := s.k
	hint := time.Duration(0)
	if d, ok := s.dec.Retry(); ok {
		hint = d
		if d == 0 {
			hint = -1 // retry: 0 means at once
		}
	}
	k.notRetried, k.stopErr = "", nil
	if ok, _ := k.wait(s.ctx, hint, RetryEvent{Reason: "stream: " + cause}); !ok {
		switch {
		case s.isClosed():
			s.finish(nil)
		case k.stopErr != nil:
			s.finish(fmt.Errorf("client: GET %s: %s; stopped waiting to reconnect: %w", s.path, cause, k.stopErr))
		default:
			s.finish(fmt.Errorf("client: GET %s: %s, and not reconnected: %s", s.path, cause, k.notRetried))
		}
		return false
	}
	// wait booked the pacer's slot for a retry; the connection books its
	// own, as every attempt does, so this one is given back.
	if r := k.res; r.OK {
		k.res = pacing.Reservation{}
		s.c.cancelSlot(s.ctx, r)
	}
	s.resumed = true
	if err := s.connect(s.dec.LastEventID()); err != nil {
		if s.isClosed() {
			s.finish(nil)
		} else {
			s.finish(fmt.Errorf("client: GET %s: %s; reconnecting failed: %w", s.path, cause, err))
		}
		return false
	}
	return !s.done // a 204 on reconnection ends the stream
}

// cutReason says in a few words why a connection ended.
func (s *Stream) cutReason(err error) string {
	switch {
	case s.idleCut.Load():
		return fmt.Sprintf("no data for %s (WithStreamIdleTimeout)", s.idle)
	case errors.Is(err, io.EOF):
		return "the server closed the stream"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was cut mid-answer"
	}
	return "the connection failed: " + s.k.scrubErr(stripURL(err)).Error()
}

// authError is the typed error a final auth event describes. Its data is a
// 401's error body; the event's name fills in the code when the data has
// none. The status is the code's class: 401 for revoked or expired, 403
// for an IP or scope refusal, 402 for a credit ceiling. Attempts is 0:
// no request was refused.
func (s *Stream) authError(ev sse.Event) *apierrors.Error {
	h := s.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Del("Retry-After")
	h.Set("WWW-Authenticate", `Bearer error="`+strings.TrimPrefix(ev.Type, "auth_")+`"`)
	var red *apierrors.Redactor // nil (no key): nothing to scrub
	if s.k.key != nil {
		red = s.k.key.red // prepared once per key, like every other scrub of it
	}
	var e *apierrors.Error
	for _, status := range [...]int{http.StatusUnauthorized, http.StatusForbidden, http.StatusPaymentRequired} {
		e = red.Decode(status, h, ev.Data)
		if e.Code != apierrors.CodeUnauthenticated && e.Code != apierrors.CodePermissionDenied && e.Code != apierrors.CodePaymentRequired {
			break
		}
	}
	if e.Code == apierrors.CodePaymentRequired { // a code of no class: an authentication failure
		e = red.Decode(http.StatusUnauthorized, h, ev.Data)
	}
	return e // Attempts stays 0: an event, not an answer to a request
}

// maxEventName bounds an event name quoted in an error.
const maxEventName = 64

// eventName is an event's name as an error may quote it: without the key
// (a server may echo anything), bounded, and quoted when it holds anything
// but printable ASCII.
func (s *Stream) eventName(name string) string {
	name = s.k.scrub(name)
	if len(name) > maxEventName {
		name = strings.ToValidUTF8(name[:maxEventName], "") + "…"
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return strconv.Quote(name)
		}
	}
	return name
}

// finish ends the stream with err and lets its connection go.
func (s *Stream) finish(err error) {
	s.done, s.err = true, err
	s.drop()
	s.cancel()
}

// drop closes the current connection, if any.
func (s *Stream) drop() {
	s.mu.Lock()
	conn := s.conn
	s.conn = nil
	s.mu.Unlock()
	if conn != nil {
		conn.close()
	}
}

func (s *Stream) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// streamConn is one connection of a stream: its body, the cancel of its
// request, and the idle timer, which every read that brings bytes resets.
type streamConn struct {
	body   io.ReadCloser
	cancel context.CancelFunc
	idle   time.Duration

	mu     sync.Mutex // orders the timer's resets before its stop
	timer  *time.Timer
	closed bool
}

func (c *streamConn) Read(p []byte) (int, error) {
	n, err := c.body.Read(p)
	if n > 0 && c.timer != nil {
		c.mu.Lock()
		if !c.closed {
			c.timer.Reset(c.idle)
		}
		c.mu.Unlock()
	}
	return n, err
}

// close ends the connection; it may run more than once, from two
// goroutines (Close and Next).
func (c *streamConn) close() {
	c.mu.Lock()
	done := c.closed
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	if !done {
		c.cancel()
		c.body.Close()
	}
}
