package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/hashicorp/go-retryablehttp"

	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/pacing"
)

// Do sends a JSON request to path (joined to the base URL; it may carry a
// query) and decodes a 2xx JSON answer into out. in is encoded as JSON
// (nil: no body; []byte or json.RawMessage: sent as is); out may be nil to
// discard the answer. A failure is an *apierrors.Error (after retries, with
// Attempts set), a *TransportError, a *DecodeError (a 2xx answer that is not
// JSON of out's shape), or an error from finding or validating the key, in
// which case nothing was sent.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	return c.DoWith(ctx, method, path, in, out)
}

// DoWith is Do with options for this call: the per-call ones (see Option)
// such as WithIdempotencyKey, WithHeader, WithoutRetry, WithMaxRetries,
// WithAttemptTimeout, WithTimeout, WithResponseInto and WithMiddleware. A
// per-call value overrides the client's. An invalid option fails the call
// before anything is sent.
func (c *Client) DoWith(ctx context.Context, method, path string, in, out any, opts ...RequestOption) error {
	if ctx == nil {
		return errors.New("client: nil context")
	}
	shown := c.shownPath(path)
	if !validHeaderName(method) {
		return fmt.Errorf("client: method %q is not a valid HTTP method", method)
	}
	rs, err := callSettings(opts)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w; nothing was sent", method, shown, err)
	}
	base, err := c.baseFor(&rs)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w; nothing was sent", method, shown, err)
	}
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("client: %s %q: the path must start with / (it is joined to the client's base URL)", method, shown)
	}
	if err := checkOut(out); err != nil {
		return fmt.Errorf("client: %s %s: %w", method, shown, err)
	}
	var body []byte
	if in != nil {
		switch v := in.(type) {
		case []byte:
			body = v
		case json.RawMessage:
			body = v
		case io.Reader:
			return fmt.Errorf("client: %s %s: in is an io.Reader (%T), which Do would encode as JSON; send a stream with Send", method, shown, in)
		default:
			b, err := json.Marshal(in)
			if err != nil {
				return fmt.Errorf("client: %s %s: encoding the request body: %w", method, shown, err)
			}
			body = b
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, shown, stripURL(err))
	}
	req.Header.Set("Accept", "application/json")
	rreq, err := retryablehttp.FromRequest(req)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, shown, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		if err := rreq.SetBody(body); err != nil {
			return fmt.Errorf("client: %s %s: %w", method, shown, err)
		}
	}
	k := &call{c: c, method: method, path: shown, buffer: true, maxBody: c.maxBody}
	resp, err := c.run(ctx, rreq, k, &rs)
	if err != nil {
		return err
	}
	if out != nil && len(k.body) > 0 && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(k.body, out); err != nil {
			var red *apierrors.Redactor
			if k.key != nil {
				red = k.key.red
			}
			return newDecodeError(method, k.path, resp, k.body, out, err, red)
		}
	}
	return nil
}

// Send runs any request through the client's pipeline: the key attached,
// the retry policy, and a non-2xx answer turned into an *apierrors.Error
// (its body read and closed). A relative URL (no host) is joined to the base
// URL; an absolute URL to another host is sent without the key. On success
// the caller owns resp.Body and must close it. A body without GetBody (not
// replayable) is sent once, never retried. The attempt timeout ends at the
// response headers: reading the body is bounded by ctx alone.
func (c *Client) Send(ctx context.Context, req *http.Request, opts ...RequestOption) (*http.Response, error) {
	if ctx == nil || req == nil || req.URL == nil {
		return nil, errors.New("client: Send needs a context and a request with a URL")
	}
	shown := c.shownPath(req.URL.Path)
	rs, err := callSettings(opts)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w; nothing was sent", req.Method, shown, err)
	}
	base, err := c.baseFor(&rs)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w; nothing was sent", req.Method, shown, err)
	}
	req = req.Clone(ctx)
	if req.URL.Host == "" {
		if !strings.HasPrefix(req.URL.Path, "/") {
			return nil, fmt.Errorf("client: %s %q: a relative URL must start with /", req.Method, shown)
		}
		u, err := req.URL.Parse(base + req.URL.RequestURI())
		if err != nil {
			return nil, fmt.Errorf("client: %s %s: %w", req.Method, shown, stripURL(err))
		}
		req.URL, req.Host = u, ""
	}
	k := &call{c: c, method: req.Method, path: shown}
	var rreq *retryablehttp.Request
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		rreq = &retryablehttp.Request{Request: req}
		k.oneShot = true
	} else {
		body, getBody, length := req.Body, req.GetBody, req.ContentLength
		req.Body = nil
		var err error
		if rreq, err = retryablehttp.FromRequest(req); err != nil {
			return nil, fmt.Errorf("client: %s %s: %w", req.Method, shown, err)
		}
		if body != nil && body != http.NoBody {
			body.Close()
			if err := rreq.SetBody(retryablehttp.ReaderFunc(func() (io.Reader, error) { return getBody() })); err != nil {
				return nil, fmt.Errorf("client: %s %s: %w", req.Method, shown, err)
			}
			rreq.ContentLength = length
		}
	}
	resp, err := c.run(ctx, rreq, k, &rs)
	if err != nil {
		return nil, err
	}
	resp.Request = c.scrubbedRequest(ctx, resp.Request)
	return resp, nil
}

// shownPath is path as errors and logs show it: without its query, and
// with the key redacted once the client knows it (a caller may have
// written it there; send redacts a key found by the call itself).
func (c *Client) shownPath(path string) string {
	p, _, _ := strings.Cut(path, "?")
	if r := c.cur.Load(); r != nil {
		p = r.red.Redact(p)
	}
	return p
}

// send resolves the key, sends the request with retries and, when a 401
// says the key is unknown, revoked or expired, asks the key's source once
// more and sends again if the key changed (a deployed rotation).
func (c *Client) send(ctx context.Context, rreq *retryablehttp.Request, k *call, rs *requestSettings) (*http.Response, error) {
	r := rs.key
	if r == nil {
		var err error
		if r, err = c.resolve(ctx); err != nil {
			return nil, err
		}
	}
	if rs.key != nil || rs.baseURL != "" { // the client's own base was checked when its key was found
		if err := checkBaseKey(r, c.callBase(rs)); err != nil {
			return nil, err
		}
	}
	k.noRetry = rs.noRetry
	c.prepare(rreq, r, rs)
	k.key = r
	k.path = r.red.Redact(k.path) // a key the caller wrote in the path
	k.idempotent = idempotentMethod(rreq.Method) || rreq.Header.Get("Idempotency-Key") != ""
	resp, err := c.loop(ctx, rreq, k)
	if err == nil || c.static || rs.key != nil || !k.replayable() || !keyRejected(err) {
		return resp, err
	}
	nr, rerr := c.refresh(ctx, r)
	if rerr != nil || nr.cred.Key.Reveal() == r.cred.Key.Reveal() || checkBaseKey(nr, c.callBase(rs)) != nil {
		return resp, err
	}
	c.logf(ctx, "apikit: the key was rejected and its source now has another; sending again with the new key",
		"method", k.method, "path", k.path, "old_key", r.fp, "new_key", nr.fp, "source", nr.cred.Source.String())
	c.prepare(rreq, nr, nil)
	k.key = nr
	k.apiErr, k.netErr, k.stopErr, k.notRetried = nil, nil, nil, ""
	k.retryBase = k.attempts // the new key gets the full retry budget
	return c.loop(ctx, rreq, k)
}

// replayable reports whether the request can be sent again.
func (k *call) replayable() bool { return !k.noRetry && !k.oneShot }

// keyRejected reports whether err says the key itself is dead, so that
// another key from the same source could fix it: unknown, revoked or
// expired, and web3.storage's 403 ERROR_TOKEN_BLOCKED (its word for a
// revoked or expired token).
func keyRejected(err error) bool {
	if errors.Is(err, apierrors.ErrUnknownKey) || errors.Is(err, apierrors.ErrRevoked) || errors.Is(err, apierrors.ErrExpired) {
		return true
	}
	var ae *apierrors.Error
	return errors.As(err, &ae) && strings.EqualFold(ae.RawCode, "ERROR_TOKEN_BLOCKED")
}

// prepare sets the headers: User-Agent, the key (only for the API's own
// origin), the caller's extra headers and the idempotency key.
func (c *Client) prepare(rreq *retryablehttp.Request, r *resolved, rs *requestSettings) {
	h := rreq.Header
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", c.userAgent)
	}
	if rs != nil {
		for name, vs := range c.header { // the client's own WithHeader, which a call's replaces
			if strings.EqualFold(name, c.authHeader) {
				continue
			}
			h.Del(name)
			for _, v := range vs {
				h.Add(name, v)
			}
		}
		for name, vs := range rs.header {
			if strings.EqualFold(name, c.authHeader) {
				continue
			}
			h.Del(name) // the caller's value replaces the SDK's (Accept, Content-Type, User-Agent)
			for _, v := range vs {
				h.Add(name, v)
			}
		}
		if rs.idempotencyKey != "" {
			h.Set("Idempotency-Key", rs.idempotencyKey)
		}
	}
	switch {
	case r.none:
	case c.auth == AuthQuery:
		rreq.Request = rreq.Request.WithContext(context.WithValue(rreq.Context(), resolvedKey{}, r))
	case c.sameOrigin(rreq.Request):
		h.Set(c.authHeader, r.header)
	}
}

// loop runs retryablehttp's loop with the client's policy and types the
// outcome.
func (c *Client) loop(ctx context.Context, rreq *retryablehttp.Request, k *call) (*http.Response, error) {
	if err := ctx.Err(); err != nil {
		return k.unsent(ctx, rreq, err)
	}
	if err := k.acquire(ctx); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return k.unsent(ctx, rreq, err)
	}
	k.traceSent(rreq)
	k.startAttempt(rreq)
	if k.oneShot {
		// A one-shot body: one attempt, outside retryablehttp, which would
		// buffer the whole body to make it replayable.
		resp, err := k.httpClient().Do(rreq.Request)
		_, _ = k.checkRetry(ctx, resp, err)
		return k.outcome(rreq, resp, err)
	}
	rc := &retryablehttp.Client{
		HTTPClient:   k.httpClient(),
		RetryMax:     k.maxRetries,
		CheckRetry:   k.checkRetry,
		Backoff:      zeroBackoff,
		ErrorHandler: passError,
	}
	if k.noRetry {
		rc.RetryMax = 0
	}
	k.rreq = rreq // for the attempt hook of each retry (wait)
	resp, err := rc.Do(rreq)
	k.rreq = nil // a stream's reconnection waits outside the loop, then sends its own request
	return k.outcome(rreq, resp, err)
}

// unsent ends a call whose context is done (err) before its first attempt
// leaves, already when the call was made, say: nothing is sent and no
// attempt is counted (a *TransportError with Attempts 0), and a slot the
// pacer booked for it is given back.
func (k *call) unsent(ctx context.Context, rreq *retryablehttp.Request, err error) (*http.Response, error) {
	if r := k.res; r.OK {
		k.res = pacing.Reservation{}
		k.c.cancelSlot(ctx, r)
	}
	k.netErr = err
	return nil, k.transportError(rreq)
}

// outcome turns what the loop ended with into the call's result: the
// response on success, else the last server error with Attempts set, else a
// TransportError.
func (k *call) outcome(rreq *retryablehttp.Request, resp *http.Response, err error) (*http.Response, error) {
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		if k.apiErr != nil {
			// The server's answer is known: it is the error, whatever
			// ended the attempt after it (the context, a cut connection).
			if k.netErr != nil {
				return nil, fmt.Errorf("%w (the next attempt got no answer: %w)", k.lastAnswer(), k.scrubErr(stripURL(k.netErr)))
			}
			return nil, k.finalAPIErr(err)
		}
		if k.netErr == nil {
			k.netErr = err
		}
		if re, ok := asRedirectError(k.netErr); ok {
			e := *re
			e.Location, e.URL = k.scrub(e.Location), k.scrub(e.URL)
			return nil, &e
		}
		return nil, k.transportError(rreq)
	}
	if resp.StatusCode >= 400 {
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // an in-memory copy
		resp.Body.Close()
		if k.apiErr == nil { // cannot happen: checkRetry decodes every failure
			k.apiErr = apierrors.Decode(resp.StatusCode, resp.Header, nil)
		}
		return nil, k.finalAPIErr(k.stopErr)
	}
	if errors.Is(k.netErr, ErrResponseTooLarge) {
		return nil, fmt.Errorf("client: %s %s: the %d answer is larger than the %d bytes Do reads (WithMaxResponseBytes; use Send to stream it): %w",
			k.method, k.path, resp.StatusCode, k.maxBody, ErrResponseTooLarge)
	}
	if k.netErr != nil { // a 2xx whose body could not be read
		return nil, k.transportError(rreq)
	}
	return resp, nil
}

// lastAnswer is a copy of the last server error with Attempts and
// NotRetried set, and, for a WithoutKey client, WithoutKey and KeyEnv (its
// 401 then says to drop WithoutKey, not to send the key it withholds).
func (k *call) lastAnswer() *apierrors.Error {
	e := *k.apiErr
	e.Attempts = k.attempts
	e.NotRetried = k.notRetried
	if k.key != nil && k.key.none {
		e.WithoutKey, e.KeyEnv = true, k.c.svc.EnvVar
	}
	return &e
}

// finalAPIErr is the last server error; stopped, or else k.stopErr, when not
// nil, is why the client stopped waiting to retry (the context).
func (k *call) finalAPIErr(stopped error) error {
	if stopped == nil {
		stopped = k.stopErr
	}
	if stopped == nil {
		return k.lastAnswer()
	}
	return fmt.Errorf("%w (stopped waiting to retry: %w)", k.lastAnswer(), stopped)
}

// transportError types a call that ended without a usable answer.
func (k *call) transportError(rreq *retryablehttp.Request) error {
	inner := k.scrubErr(stripURL(k.netErr))
	msg := inner.Error()
	if k.stopErr != nil && !errors.Is(inner, k.stopErr) {
		inner = errors.Join(inner, k.stopErr)
		msg += " (stopped waiting to retry: " + k.stopErr.Error() + ")"
	}
	return &TransportError{Method: k.method, URL: k.shownURL(rreq.URL), Attempts: k.attempts, Err: inner,
		NotRetried: k.notRetried, msg: msg}
}

// checkOut refuses an out that json.Unmarshal could not fill, before
// anything is sent: a POST must not run only for its answer to be lost.
func checkOut(out any) error {
	if out == nil {
		return nil
	}
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("out must be a non-nil pointer (or nil to discard the answer), got %T", out)
	}
	return nil
}
