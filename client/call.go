package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/apikit/apikit-go/pacing"
)

// Response is what the server's answer to a call said, beyond its body;
// see WithResponseInto. It never holds the key.
type Response struct {
	// StatusCode is the status of the last answer (the success, or the
	// final error); 0 when no attempt was answered.
	StatusCode int
	// Header holds the last answer's headers, the key's own header
	// dropped and any value that echoes the key redacted.
	Header http.Header
	// RequestID is the server's id of the last answer (X-Request-Id,
	// Request-Id, the error body's request_id, …), "" if it gave none.
	RequestID string
	// Attempts is how many requests the call sent (1 + its retries); 0
	// when it sent none (the key could not be found or used, its context
	// was done before the first attempt left, or the key's pacer refused
	// it).
	Attempts int
	// PacerWait is how long the call's attempts waited, in total, for the
	// key's pacer (the key's rate limit) before they were sent.
	PacerWait time.Duration
	// RateLimit is what the last answer announced of the key's quota
	// (X-RateLimit-*), and HasRateLimit whether it announced anything.
	RateLimit    RateLimit
	HasRateLimit bool
}

// WithResponseInto fills *r when the call ends: on success, on a server
// error (the last answer's status and headers) and on a transport error
// (Attempts and PacerWait, StatusCode 0, or the last answer before the
// connection failed). A call that fails before anything is sent (an
// invalid option or path, a per-call base URL on another host) leaves *r
// empty, so a Response reused across calls never shows an earlier call's
// answer: *r is emptied when the option is made and again when the call
// applies it. It is a per-call option; r must not be nil.
func WithResponseInto(r *Response) RequestOption {
	if r != nil {
		*r = Response{}
	}
	return func(o *settings) error {
		if o.call == nil {
			return perCallOnly("WithResponseInto")
		}
		if r == nil {
			return errors.New("WithResponseInto: the *Response is nil")
		}
		*r = Response{}
		o.call.into = r
		return nil
	}
}

// Call describes one logical call to a Middleware: what it asks for, and,
// once next has returned, how it went. It never holds the key: only its
// fingerprint.
type Call struct {
	Method string
	// Path is the request's path without its query, the key redacted
	// from it if the caller wrote it there.
	Path    string
	Service string // the client's Service.Name
	// BaseURL is the root the path is joined to. It never holds the key:
	// New refuses a base URL with credentials or a key-shaped path, and a
	// call whose key turns out to be in it fails before anything is sent,
	// with BaseURL the scheme and host alone, the key redacted from the
	// host too (see ErrKeyInBaseURL).
	BaseURL string
	// KeyFingerprint names the key the call uses (keys.Key.Fingerprint);
	// "" when the key could not be found or validated, and for a
	// WithoutKey client.
	KeyFingerprint string

	// Filled when next returns:
	Attempts   int           // requests sent, retries included; 0 if none was
	StatusCode int           // the last answer's status; 0 if none
	RequestID  string        // the last answer's request id
	PacerWait  time.Duration // time the attempts waited for the key's pacer
	// RetryBudgetTokens is what the client's retry budget (WithRetryBudget)
	// holds when the call ends, in tokens: a retry after a 5xx spends 5,
	// after a connection failure or timeout 10, and a success earns 1 back.
	// -1 when the budget is off.
	RetryBudgetTokens int64

	// AttemptHook, when a middleware sets it before calling next, is
	// called as each attempt leaves (after its pacer wait), with the
	// call's context and the attempt's number from 1. The context it
	// returns becomes the attempt's request context (an OpenTelemetry
	// child span, say), and done, when not nil, is called once the
	// attempt's answer (or failure) is in. It runs on the caller's
	// goroutine and must not block.
	AttemptHook func(ctx context.Context, attempt int) (attemptCtx context.Context, done func(Attempt))
}

// Attempt is the outcome of one attempt, for Call.AttemptHook.
type Attempt struct {
	Number     int
	StatusCode int    // 0 when no answer came
	RequestID  string // of a failed answer
	Err        error  // the transport failure, the key scrubbed from it; nil when answered
}

// Middleware runs around a whole call: once per call made with Do, DoWith
// or Send (once per connection of a Stream), around every attempt, every
// retry wait and every pacer wait, and a new key's lookup after a 401. The
// key is found before the middleware runs (on a client's first call; later
// calls have it), so that Call.KeyFingerprint and Call.BaseURL, checked
// against the key, are known from the start; a lookup that fails is what
// next returns.
//
// It sees every call that is well-formed, with its outcome as next's
// error, including the calls that end before anything is sent, with
// Call.Attempts 0: a key that cannot be found or fails validation, a base
// URL that holds the key, a refusal by the key's pacer (a 429
// *apierrors.Error whose wait is past the deadline or the cap), and a
// context already done when the call was made. A malformed call is
// refused before the middleware, as a programming error with no outcome
// to count: a nil context, an invalid method, option or path, an out that
// is not a pointer, an in that cannot be encoded, a per-call base URL on
// another host. A Stream's
// reconnection runs the middleware when it connects; one refused before
// connecting (its wait past the deadline or the cap) ends the stream, and
// Stream.Err says so.
//
// It calls next to go on (with ctx or a context derived from it) and
// returns next's error, or its own; call describes the call, and is
// filled in when next returns. It never sees the key (the per-attempt view
// stays with a RoundTripper, WithRetryHook and WithPacingHook).
type Middleware func(ctx context.Context, call *Call, next func(context.Context) error) error

// WithMiddleware adds middleware that runs around every call; the first
// given is the outermost. Given to New, it applies to every call; given to a
// call, it runs inside the client's.
func WithMiddleware(m ...Middleware) Option {
	return func(o *settings) error {
		for i, f := range m {
			if f == nil {
				return fmt.Errorf("WithMiddleware: middleware %d of %d is nil", i+1, len(m))
			}
		}
		if o.call != nil {
			o.call.middleware = append(o.call.middleware, m...)
			return nil
		}
		o.middleware = append(o.middleware, m...)
		return nil
	}
}

// WithTimeout bounds each call as a whole (its attempts, retry waits and
// pacer waits), as a context deadline would; 0, the default, sets none.
// Given to New it applies to every call made with Do, DoWith and Send (not
// to streams, which live as long as their reader wants); given to a call it
// bounds that call, and given to Stream, that stream's whole life.
func WithTimeout(d time.Duration) Option {
	return func(o *settings) error {
		if d < 0 {
			return fmt.Errorf("WithTimeout: %s is negative", d)
		}
		if o.call != nil {
			o.call.timeout, o.call.timeoutSet = d, true
			return nil
		}
		o.timeout = d
		return nil
	}
}

// WithPacerObserver calls f for every event of the client's own pacer: each
// time the key's gate closes (a 429, a spent quota) and each time its rate
// is set or learned; the client still logs them (WithLogger). f runs on
// the goroutine that reported the answer and must not block. A pacer given
// with WithPacer has its own observer (pacing.WithObserver) instead, and
// New refuses both together.
func WithPacerObserver(f func(pacing.Event)) Option {
	return func(o *settings) error {
		if f == nil {
			return errors.New("WithPacerObserver: the function is nil")
		}
		o.pacerObserver = f
		return nil
	}
}

// pacerEvent is the client's own pacer's observer: the log line, then the
// caller's observer.
func (c *Client) pacerEvent(ev pacing.Event) {
	c.logPacing(ev)
	if c.pacerObserver != nil {
		c.pacerObserver(ev)
	}
}

// ErrAttemptTimeout matches (errors.Is) the failure of an attempt that
// WithAttemptTimeout, or DefaultAttemptTimeout, ended.
var ErrAttemptTimeout = errors.New("attempt timeout")

// attemptTimeoutError is why an attempt ended at its timeout. It matches
// ErrAttemptTimeout and context.DeadlineExceeded.
type attemptTimeoutError struct {
	d       time.Duration
	headers bool // it fired before the response headers came
	def     bool // d is DefaultAttemptTimeout, not the caller's choice
}

func (e *attemptTimeoutError) Error() string {
	what := "no response headers"
	if !e.headers {
		what = "the response body was not read"
	}
	if e.def {
		return fmt.Sprintf("%s within the default attempt timeout of %s (DefaultAttemptTimeout; WithAttemptTimeout changes it)", what, e.d)
	}
	return fmt.Sprintf("%s within the attempt timeout of %s (WithAttemptTimeout)", what, e.d)
}

func (e *attemptTimeoutError) Unwrap() []error {
	return []error{ErrAttemptTimeout, context.DeadlineExceeded}
}

func (e *attemptTimeoutError) Timeout() bool { return true }

// attemptSpec is a call's own attempt timeout, carried to the transport in
// the request's context when it differs from the client's (a per-call
// WithAttemptTimeout, or a Send or Stream, whose timeout ends at the
// response headers).
type attemptSpec struct {
	d           time.Duration
	headersOnly bool
}

type attemptKey struct{}

// callSettings applies the options of one call. An option that configures
// the client only (it wrote to settings rather than to settings.call) is
// refused, naming its place in the list.
func callSettings(opts []Option) (requestSettings, error) {
	if len(opts) == 0 {
		return requestSettings{}, nil
	}
	both := new(struct { // one allocation for the two
		s  settings
		rs requestSettings
	})
	rs, s := &both.rs, &both.s
	for i, opt := range opts {
		if opt == nil {
			continue
		}
		s.call = rs
		if err := opt(s); err != nil {
			return requestSettings{}, err
		}
		s.call = nil
		if !reflect.ValueOf(s).Elem().IsZero() {
			return requestSettings{}, fmt.Errorf("option %d of %d configures the client, not one call: give it to client.New (the per-call options are listed at client.Option)", i+1, len(opts))
		}
	}
	if err := rs.check(); err != nil {
		return requestSettings{}, err
	}
	return *rs, nil
}

// baseFor is the root of a call's path: the client's, or the call's own
// WithBaseURL, which must keep the client's scheme and host (the key goes
// to that host only).
func (c *Client) baseFor(rs *requestSettings) (string, error) {
	if rs.baseURL == "" {
		return c.baseStr, nil
	}
	u, err := parseBaseURL(rs.baseURL)
	if err != nil {
		return "", err
	}
	if err := keyInPath(u, c.format); err != nil {
		return "", fmt.Errorf("WithBaseURL for one call: %w", err)
	}
	if !strings.EqualFold(u.Scheme, c.scheme) || !strings.EqualFold(u.Host, c.host) {
		// The error names the scheme and host alone: the path may hold
		// the key, which is also redacted wherever the client knows it.
		shown := u.Scheme + "://" + u.Host
		if strings.Trim(u.EscapedPath(), "/") != "" {
			shown += "/…"
		}
		msg := fmt.Sprintf("WithBaseURL(%s) for one call leaves the client's %s://%s", shown, c.scheme, c.host)
		if r := c.cur.Load(); r != nil && r.red != nil {
			msg = r.red.Redact(msg)
		}
		return "", fmt.Errorf("%s, and the key is only sent there: build a Client for that host, or use Send with an absolute URL (sent without the key)", msg)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// callBase is the root of a call's path: the call's own WithBaseURL
// (checked by baseFor when the call began), else the client's.
func (c *Client) callBase(rs *requestSettings) string {
	if rs == nil || rs.baseURL == "" {
		return c.baseStr
	}
	base, _ := c.baseFor(rs)
	return base
}

// run sends one call: the whole-call timeout, the call's attempt timeout,
// then the middleware around the sending, and *Response filled in.
func (c *Client) run(ctx context.Context, rreq *retryablehttp.Request, k *call, rs *requestSettings) (*http.Response, error) {
	timeout := c.timeout
	if rs.timeoutSet {
		timeout = rs.timeout
	}
	var cancel context.CancelFunc
	if timeout > 0 && !k.stream { // a stream's timeout bounds the stream (Client.Stream)
		ctx, cancel = context.WithTimeout(ctx, timeout)
		rreq.Request = rreq.Request.WithContext(ctx)
	}
	at := c.attemptTimeout
	if rs.attemptTimeoutSet {
		at = rs.attemptTimeout
	}
	if at != c.attemptTimeout || !k.buffer {
		k.attempt = attemptSpec{d: at, headersOnly: !k.buffer}
		ctx = context.WithValue(ctx, attemptKey{}, &k.attempt)
		rreq.Request = rreq.Request.WithContext(ctx)
	}
	k.long = c.headerTimeout > 0 && (at <= 0 || at > c.headerTimeout)
	k.maxRetries = c.maxRetries
	if rs.maxRetriesSet {
		k.maxRetries = rs.maxRetries
	}
	var resp *http.Response
	var err error
	if len(c.middleware) == 0 && len(rs.middleware) == 0 {
		k.measure = rs.into != nil
		resp, err = c.send(ctx, rreq, k, rs)
	} else {
		resp, err = c.around(ctx, rreq, k, *rs)
	}
	if rs.into != nil {
		c.fill(rs.into, k)
	}
	if cancel != nil {
		if err != nil || k.buffer {
			cancel()
		} else {
			resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		}
	}
	return resp, err
}

// around runs the call inside its middleware. rs is a copy: the closures
// keep it, and run's own stays on the stack.
func (c *Client) around(ctx context.Context, rreq *retryablehttp.Request, k *call, rs requestSettings) (*http.Response, error) {
	mws := c.middleware
	if len(rs.middleware) > 0 {
		mws = append(mws[:len(mws):len(mws)], rs.middleware...)
	}
	// The key is found before the middleware runs (on a client's first
	// call; later calls have it), so that the Call shows a base URL
	// checked against it: one that holds the key is never shown, not even
	// on the call that finds out. A lookup that fails is the call's
	// outcome, which next returns without sending anything; BaseURL is
	// then the scheme and host alone.
	r := rs.key
	var early error
	if r == nil {
		r, early = c.resolve(ctx)
	}
	call := &Call{Method: k.method, Path: k.path, Service: c.svc.Name}
	if early == nil {
		base := c.callBase(&rs)
		if early = checkBaseKey(r, base); early == nil {
			call.BaseURL = base
		}
		if !r.none {
			call.KeyFingerprint = r.fp
			call.Path = r.red.Redact(k.path) // a key the caller put in the path, too
		}
	}
	if early != nil {
		call.BaseURL = c.scheme + "://" + c.host
		var kb *keyInBaseError
		if errors.As(early, &kb) { // the key may be in the host too
			call.BaseURL = kb.red.Redact(call.BaseURL)
			call.Path = kb.red.Redact(k.path)
		}
	}
	k.measure = true
	var resp *http.Response
	sent := 0
	next := func(ctx context.Context) error {
		if resp != nil { // a middleware sends the call again: the first answer goes
			resp.Body.Close()
			resp = nil
		}
		if sent > 0 {
			k.apiErr, k.netErr, k.stopErr, k.notRetried = nil, nil, nil, ""
			k.retryBase = k.attempts
		}
		sent++
		if early != nil {
			call.RetryBudgetTokens = c.budget.level()
			return early
		}
		if ctx != rreq.Context() {
			rreq.Request = rreq.Request.WithContext(ctx)
		}
		k.hook, k.base = call.AttemptHook, nil // the attempts derive from this send's context
		var err error
		resp, err = c.send(ctx, rreq, k, &rs)
		call.Attempts, call.StatusCode, call.PacerWait = k.attempts, k.status, k.paced
		if k.key != nil && !k.key.none {
			call.KeyFingerprint = k.key.fp
		}
		call.RequestID = k.requestID()
		call.RetryBudgetTokens = c.budget.level()
		return err
	}
	h := next
	for i := len(mws) - 1; i >= 0; i-- {
		m, inner := mws[i], h
		h = func(ctx context.Context) error { return m(ctx, call, inner) }
	}
	err := h(ctx)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, err
	}
	if resp == nil {
		return nil, fmt.Errorf("client: %s %s: a middleware returned no error without calling next, so there is no answer", k.method, k.path)
	}
	return resp, nil
}

// requestID is the server's id of the call's last answer.
func (k *call) requestID() string {
	switch {
	case k.status == 0:
		return ""
	case k.apiErr != nil && k.apiErr.StatusCode == k.status:
		return k.apiErr.RequestID
	case k.key != nil:
		return k.key.red.Decode(k.status, k.header, nil).RequestID
	}
	return ""
}

// fill writes what the call's last answer said into r.
func (c *Client) fill(r *Response, k *call) {
	*r = Response{StatusCode: k.status, Attempts: k.attempts, PacerWait: k.paced, RequestID: k.requestID()}
	if k.header == nil {
		return
	}
	h := make(http.Header, len(k.header))
	for name, vs := range k.header {
		if strings.EqualFold(name, c.authHeader) || strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Proxy-Authorization") {
			continue
		}
		out := make([]string, len(vs))
		for i, v := range vs {
			if k.key != nil {
				v = k.key.red.Redact(v)
			}
			out[i] = v
		}
		h[name] = out
	}
	r.Header = h
	r.RateLimit, r.HasRateLimit = readRateLimit(h, c.rlNames, c.now)
}

// httpClient is the client the call's attempts go through: the one without
// the transport's ResponseHeaderTimeout when the call's own attempt
// timeout is longer.
func (k *call) httpClient() *http.Client {
	if k.long {
		return k.c.hcLong
	}
	return k.c.hc
}

// startAttempt calls the middleware's attempt hook as an attempt leaves.
func (k *call) startAttempt(rreq *retryablehttp.Request) {
	if k.hook == nil {
		return
	}
	if k.base == nil {
		k.base = rreq.Context()
	}
	ctx, done := k.hook(k.base, k.attempts+1)
	if ctx != nil && ctx != rreq.Context() {
		rreq.Request = rreq.Request.WithContext(ctx)
	}
	k.done = done
}

// endAttempt tells the attempt hook how the attempt went.
func (k *call) endAttempt(status int, requestID string, err error) {
	if k.done == nil {
		return
	}
	done := k.done
	k.done = nil
	if err != nil {
		err = k.scrubErr(stripURL(err))
	}
	done(Attempt{Number: k.attempts, StatusCode: status, RequestID: requestID, Err: err})
}
