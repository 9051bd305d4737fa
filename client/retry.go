package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/hashicorp/go-retryablehttp"

	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/internal/retryafter"
	"github.com/apikit/apikit-go/pacing"
)

// RetryEvent describes a retry about to happen; see WithRetryHook.
type RetryEvent struct {
	Method  string
	Path    string // without the query string
	Attempt int    // the attempt that failed, from 1
	// Wait is how long the retry waits: the server's hint, or backoff.
	// A 429's wait is shorter than its hint only where the key's pacer
	// proves the limit ready sooner (a bucket of one's Retry-After: 1,
	// rounded up from tens of milliseconds); the retry then waits at the
	// pacer's gate.
	Wait           time.Duration
	ServerAsked    bool           // Wait comes from the server's hint (Retry-After or the body), not backoff
	Reason         string         // e.g. "429 rate_limited" or "connection: connection reset by peer"
	StatusCode     int            // 0 for a connection failure
	Code           apierrors.Code // "" for a connection failure
	RequestID      string
	KeyFingerprint string
}

// call is the state of one logical request across its attempts. It is
// created per call, so nothing here is shared between goroutines.
type call struct {
	c          *Client
	method     string
	path       string // for logs and errors: no query
	idempotent bool   // safe to send twice
	noRetry    bool   // WithoutRetry
	oneShot    bool   // the body cannot be replayed (Send without GetBody)
	buffer     bool   // read 2xx bodies inside the loop (Do), so a cut body is retried
	maxBody    int64
	key        *resolved

	attempts  int
	retryBase int              // attempts made before the current key (a rotation resets the budget)
	apiErr    *apierrors.Error // the last server answer that was a failure
	netErr    error            // the last attempt's transport failure, if it was one
	stopErr   error            // why the loop stopped early (context)
	// notRetried is why the last retryable failure was not retried; it
	// becomes NotRetried on the returned error.
	notRetried string
	body       []byte // the buffered 2xx body
	bo         *backoff.ExponentialBackOff
	res        pacing.Reservation // the pacer's slot for the attempt in flight
	spent      int64              // retry-budget tokens this call's retries spent
	sentSlot   atomic.Int64       // res.Slot, for the trace of the attempt on the wire (traceSent)
	traced     bool               // traceSent attached its trace

	stream     bool          // a Stream's connection
	maxRetries int           // the client's WithMaxRetries, or the call's
	attempt    attemptSpec   // the call's own attempt timeout, when it has one (run)
	long       bool          // it is longer than the transport's header timeout: use hcLong
	measure    bool          // time the pacer waits (WithResponseInto, middleware)
	paced      time.Duration // the pacer waits, when measured
	status     int           // the last answer's status, 0 before one
	header     http.Header   // the last answer's headers
	rreq       *retryablehttp.Request
	hook       func(context.Context, int) (context.Context, func(Attempt)) // Call.AttemptHook
	base       context.Context                                             // the context attempts derive theirs from (hook)
	done       func(Attempt)                                               // the attempt in flight's end (hook)
}

// retryableStatus lists the statuses the policy retries (README, "Retries").
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusRequestTimeout, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// checkRetry is retryablehttp's CheckRetry: it reads the failure, decides,
// and does the waiting itself (so that the wait honours the context and a
// fake clock in tests, and so that it can refuse to wait at all). The
// retryablehttp backoff is then zero.
func (k *call) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	k.attempts++
	if resp != nil {
		k.status, k.header = resp.StatusCode, resp.Header
	}
	if err != nil {
		k.endAttempt(0, "", err)
		k.settle(ctx, 0, 0, nil)
		k.netErr = err
		k.c.logAttempt(ctx, k, 0, "", "", err)
		if ctx.Err() != nil || !retryableNetErr(err) {
			return false, nil
		}
		if !k.idempotent && !neverConnected(err) {
			k.notRetried = k.notTwice()
			return false, nil // the server may have acted on it
		}
		return k.wait(ctx, 0, RetryEvent{Reason: "connection: " + k.scrub(stripURL(err).Error())})
	}
	k.netErr = nil
	if resp.StatusCode < 400 {
		k.settle(ctx, resp.StatusCode, 0, resp.Header)
		if k.buffer {
			body, rerr := readBody(resp, k.maxBody)
			resp.Body.Close()
			if rerr != nil {
				k.netErr = rerr
				k.endAttempt(resp.StatusCode, "", rerr)
				k.c.logAttempt(ctx, k, resp.StatusCode, "", "", rerr)
				if ctx.Err() != nil || errors.Is(rerr, ErrResponseTooLarge) {
					return false, nil
				}
				if !k.idempotent {
					k.notRetried = k.notTwice()
					return false, nil
				}
				return k.wait(ctx, 0, RetryEvent{Reason: "reading the response: " + k.scrub(rerr.Error())})
			}
			k.body = body
			resp.Body = http.NoBody
		}
		k.endAttempt(resp.StatusCode, "", nil)
		k.c.budget.give(successTopUp + k.spent)
		k.spent = 0
		k.apiErr = nil
		k.c.logAttempt(ctx, k, resp.StatusCode, "", "", nil)
		return false, nil
	}
	e := k.decode(resp)
	k.endAttempt(e.StatusCode, e.RequestID, nil)
	k.settle(ctx, e.StatusCode, k.gateHint(e.StatusCode, e.RetryAfter, resp.Header), resp.Header)
	k.apiErr = e
	k.c.logAttempt(ctx, k, e.StatusCode, e.Code, e.RequestID, nil)
	if !retryableStatus(e.StatusCode) {
		k.c.budget.give(successTopUp) // the server answers
		return false, nil
	}
	if !k.idempotent && e.StatusCode != http.StatusTooManyRequests {
		k.notRetried = k.notTwice()
		return false, nil // a 5xx may come after the work was done
	}
	hint := e.RetryAfter
	if hint == 0 && explicitZeroHint(resp.Header, k.c.now()) {
		hint = -1 // the server said "now": retry without backoff
	}
	return k.wait(ctx, hint, RetryEvent{
		Reason: fmt.Sprintf("%d %s", e.StatusCode, e.Code), StatusCode: e.StatusCode,
		Code: e.Code, RequestID: e.RequestID,
	})
}

// wait decides whether to retry and how long to wait first. The server's
// hint is never undercut, but by the key's pacer (see pacerGate); a hint
// beyond the cap, or a wait beyond what is left of the context's deadline,
// ends the call at once.
func (k *call) wait(ctx context.Context, hint time.Duration, ev RetryEvent) (bool, error) {
	c := k.c
	switch {
	case k.oneShot:
		k.notRetried = "its body cannot be sent again (Request.GetBody is nil; http.NewRequest sets it for bytes and strings readers)"
		return false, nil
	case k.noRetry:
		k.notRetried = "the request was sent WithoutRetry"
		return false, nil
	case k.maxRetries == 0:
		k.notRetried = "retries are off (WithMaxRetries(0))"
		return false, nil
	case k.attempts-k.retryBase > k.maxRetries:
		k.notRetried = fmt.Sprintf("all %d retries used (WithMaxRetries)", k.maxRetries)
		if k.maxRetries == 1 {
			k.notRetried = "its one retry was used (WithMaxRetries)"
		}
		return false, nil
	}
	if hint > c.maxRetryAfter {
		k.notRetried = fmt.Sprintf("the server's %s wait is over the %s cap (WithMaxRetryAfter)", hint, c.maxRetryAfter)
		c.logf(ctx, "apikit: not retrying: the server asked to wait longer than the cap",
			"method", k.method, "path", k.path, "retry_after", hint, "cap", c.maxRetryAfter)
		return false, nil
	}
	d := hint
	switch {
	case hint < 0:
		d = 0
	case hint == 0:
		d = k.backoff()
	case ev.StatusCode == http.StatusTooManyRequests:
		d = k.c.pacerGate(ctx, k.key.fp, hint)
	}
	if dl, ok := ctx.Deadline(); ok && c.now().Add(d).After(dl) {
		k.notRetried = fmt.Sprintf("the %s wait would pass the context deadline, %s away",
			d.Round(time.Millisecond), dl.Sub(c.now()).Round(time.Millisecond))
		c.logf(ctx, "apikit: not retrying: the wait would pass the context deadline",
			"method", k.method, "path", k.path, "wait", d, "deadline_in", dl.Sub(c.now()))
		return false, nil
	}
	cost := retryCostOf(ev.StatusCode)
	if !c.budget.take(cost) {
		k.notRetried = c.budget.refused()
		c.logf(ctx, "apikit: not retrying: the client's retry budget is spent",
			"method", k.method, "path", k.path, "reason", ev.Reason)
		return false, nil
	}
	k.spent += cost
	ev.Method, ev.Path, ev.Attempt, ev.Wait, ev.KeyFingerprint = k.method, k.path, k.attempts, d, k.key.fp
	ev.ServerAsked = hint != 0
	c.logRetry(ctx, ev)
	if c.retryHook != nil {
		c.retryHook(ev)
	}
	if err := c.sleep(ctx, d); err != nil {
		c.budget.give(cost) // the retry was not sent
		k.spent -= cost
		k.stopErr = err
		return false, nil
	}
	if !k.acquireRetry(ctx) {
		c.budget.give(cost) // the pacer held the retry back: it was not sent
		k.spent -= cost
		return false, nil
	}
	if k.rreq != nil {
		k.startAttempt(k.rreq)
	}
	return true, nil
}

// notTwice explains why a non-idempotent request was not sent again.
func (k *call) notTwice() string {
	return fmt.Sprintf("a %s without an Idempotency-Key is never sent twice (WithIdempotencyKey makes it retryable)", k.method)
}

// backoff is the next delay of the exponential schedule with jitter, always
// within [waitMin, waitMax]. backoff/v4 spreads each interval by ±50% after
// capping it, so the schedule starts at twice waitMin (the first wait falls
// in [waitMin, 3·waitMin]) and every wait is clamped to the bounds. The
// schedule is made per call: backoff/v4's ExponentialBackOff is not safe for
// concurrent use, and it stops after 15 minutes unless told not to.
func (k *call) backoff() time.Duration {
	lo, hi := k.c.waitMin, k.c.waitMax
	if k.bo == nil {
		k.bo = backoff.NewExponentialBackOff(
			backoff.WithInitialInterval(min(2*lo, hi)),
			backoff.WithMaxInterval(hi),
			backoff.WithRandomizationFactor(0.5),
			backoff.WithMaxElapsedTime(0),
		)
	}
	return min(max(k.bo.NextBackOff(), lo), hi)
}

// decode reads a failed response's body (bounded), leaves an unread copy in
// its place, and returns the typed error with the key scrubbed from
// anything the server echoed.
func (k *call) decode(resp *http.Response) *apierrors.Error {
	var body []byte
	if resp.ContentLength != 0 { // a known-empty answer (a bare 429) needs no read buffer
		body, _ = readBounded(resp.Body, apierrors.MaxBodyBytes)
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var e *apierrors.Error
	if k.key == nil {
		e = apierrors.Decode(resp.StatusCode, resp.Header, body)
	} else {
		// Scrubbed before the text is cut to its bound, so not even a piece
		// of the key survives at the cut.
		e = k.key.red.Decode(resp.StatusCode, resp.Header, body)
	}
	if resp.Request != nil && resp.Request.URL != nil && !k.c.sameOrigin(resp.Request) {
		k.redirected(e, resp.Request.URL)
	}
	return e
}

// redirected marks e as the answer of another host, reached by a redirect,
// which never got the key (authTransport strips it): its auth failure is
// not the key's, so a key-specific code (unknown_key, revoked, ...) gives
// way to the status's generic one, and the client neither blames the key
// nor asks its source for another.
func (k *call) redirected(e *apierrors.Error, u *url.URL) {
	e.Redirected = k.shownURL(u)
	switch e.StatusCode {
	case http.StatusUnauthorized:
		e.Code = apierrors.CodeUnauthenticated
	case http.StatusForbidden:
		e.Code = apierrors.CodePermissionDenied
	case http.StatusPaymentRequired:
		e.Code = apierrors.CodePaymentRequired
	}
	e.RequiredScope, e.RevokedAt, e.Reason = "", time.Time{}, ""
}

// ErrResponseTooLarge is returned by Do when a success body is larger than
// WithMaxResponseBytes allows. Nothing is retried: the answer was received.
var ErrResponseTooLarge = errors.New("response body too large")

// readBody reads a success body, in one allocation when the length is known.
func readBody(resp *http.Response, max int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= max {
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return readBounded(resp.Body, max)
}

// readBounded reads r to the end, failing if it holds more than max bytes.
// For a body of up to max bytes the connection stays reusable.
func readBounded(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > max {
		return b[:max], fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, max)
	}
	return b, nil
}

// retryableNetErr reports whether a transport failure may go away: not a
// certificate or TLS problem (a bad certificate, a protocol version or
// cipher the peer refuses: the next handshake fails the same way), and not
// a request the caller ended.
func retryableNetErr(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if _, ok := asRedirectError(err); ok {
		return false // the server will redirect again
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		tlsRecord        tls.RecordHeaderError
		certVerify       *tls.CertificateVerificationError
		alert            tls.AlertError
		ech              *tls.ECHRejectionError
		op               *net.OpError
	)
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &tlsRecord), errors.As(err, &certVerify), errors.As(err, &alert), errors.As(err, &ech):
		return false
	case errors.As(err, &op) && (op.Op == "remote error" || op.Op == "local error"):
		return false // a TLS alert sent or received during the handshake
	}
	return true
}

// neverConnected reports whether the failure happened before a connection
// existed, so the server cannot have seen the request.
func neverConnected(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// explicitZeroHint reports a Retry-After that says "retry now" (0, or a date
// already past), as opposed to no hint at all.
func explicitZeroHint(h http.Header, now time.Time) bool {
	v := h.Get("Retry-After")
	if v == "" {
		return false
	}
	d, ok := retryafter.Parse(v, now)
	return ok && d == 0
}

// zeroBackoff is retryablehttp's Backoff: checkRetry has already waited.
func zeroBackoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return 0 }

// passError is retryablehttp's ErrorHandler: it keeps the loop's own error
// (never its "giving up after N attempts" text) for the client to type.
func passError(resp *http.Response, err error, _ int) (*http.Response, error) {
	if resp != nil {
		resp.Body.Close()
	}
	return nil, err
}

// sleepContext waits d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// scrub removes the call's key from s.
func (k *call) scrub(s string) string {
	if k.key == nil {
		return s
	}
	return k.key.red.Redact(s)
}

// scrubErr returns err with the call's key removed from its text and from
// the text of everything it wraps; see redactedError.
func (k *call) scrubErr(err error) error {
	if k.key == nil {
		return err
	}
	return scrubError(err, k.key.red)
}

// scrubError returns err unchanged when its text holds no secret of red
// (whole or a run of one), and otherwise a redactedError in its place, whose
// wrapped errors are scrubbed the same way: errors.Is and errors.As still
// reach every error in the chain whose own text is clean (a context error,
// a *net.OpError).
func scrubError(err error, red *apierrors.Redactor) error {
	if err == nil || red == nil {
		return err
	}
	msg := err.Error()
	clean := red.Redact(msg)
	if clean == msg {
		return err
	}
	r := &redactedError{msg: clean}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if e = scrubError(e, red); e != nil {
				r.errs = append(r.errs, e)
			}
		}
	case interface{ Unwrap() error }:
		if e := scrubError(u.Unwrap(), red); e != nil {
			r.errs = append(r.errs, e)
		}
	}
	return r
}

// redactedError stands for an error whose text held the key: it says the
// same with the key replaced, and wraps the scrubbed causes.
type redactedError struct {
	msg  string
	errs []error
}

func (e *redactedError) Error() string   { return e.msg }
func (e *redactedError) Unwrap() []error { return e.errs }
