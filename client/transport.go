package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	apierrors "github.com/apikit/apikit-go/errors"
)

// authTransport is the innermost layer the SDK adds: it attaches the key in
// query mode, removes it from any request that is not for the API's own
// scheme and host (a redirect elsewhere, or a downgrade to plain HTTP),
// bounds each attempt, and records the rate-limit headers of every response.
// Header-mode keys are set by the client before the request enters
// net/http; this layer makes sure they never leave for another host.
type authTransport struct {
	c    *Client
	base http.RoundTripper
	// headerTimeout is base's ResponseHeaderTimeout when the client set
	// it (the default attempt timeout on the SDK's own transport).
	headerTimeout time.Duration
}

// resolvedKey carries the credential to the transport in query mode.
type resolvedKey struct{}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.c
	own := c.sameOrigin(req)
	if own {
		if c.auth == AuthQuery {
			if r, _ := req.Context().Value(resolvedKey{}).(*resolved); r != nil && !r.none {
				req = withQueryKey(req, c.queryParam, r.cred.Key.Reveal())
			}
		}
	} else {
		req = c.withoutKey(req)
	}
	d, headersOnly, spec := c.attemptTimeout, false, false
	if a, ok := req.Context().Value(attemptKey{}).(*attemptSpec); ok {
		d, headersOnly, spec = a.d, a.headersOnly, true
	}
	if d <= 0 || d == t.headerTimeout && (!spec || headersOnly) {
		// No bound, or the transport's own ResponseHeaderTimeout is it.
		resp, err := t.base.RoundTrip(req)
		if err != nil {
			if t.headerTimeout > 0 && strings.HasSuffix(err.Error(), "timeout awaiting response headers") {
				err = &attemptTimeoutError{d: t.headerTimeout, headers: true, def: true}
			}
			return nil, err
		}
		if own {
			c.rate.observe(resp.Header, c.rlNames, c.now)
		}
		return resp, nil
	}
	a := &attempt{parent: req.Context(), d: d}
	var ctx context.Context
	ctx, a.cancel = context.WithCancel(a.parent)
	req = req.WithContext(ctx)
	c.watch(a)
	resp, err := t.base.RoundTrip(req)
	if (err != nil || headersOnly) && !a.stop() && a.timedOut() {
		if err == nil {
			resp.Body.Close()
		}
		a.cancel()
		return nil, &attemptTimeoutError{d: d, headers: true}
	}
	if err != nil {
		a.cancel()
		return nil, err
	}
	// Closing the body ends the attempt. For Do the timer still runs while
	// the body is read; for Send and Stream it has stopped, and the body
	// is the caller's to read for as long as its context allows.
	a.body = resp.Body
	resp.Body = a
	if own {
		c.rate.observe(resp.Header, c.rlNames, c.now)
	}
	return resp, nil
}

// withoutKey returns req, or a copy of it, that carries no key: not in the
// auth header, not in any other header, not in the query. It guards the
// requests that leave the API's origin, above all redirects: a redirect
// whose Location repeats the request URI would otherwise carry a query key
// (or a header key net/http does not know to strip) to another host or
// over plain HTTP.
func (c *Client) withoutKey(req *http.Request) *http.Request {
	var reds [2]*apierrors.Redactor
	if r, _ := req.Context().Value(resolvedKey{}).(*resolved); r != nil {
		reds[0] = r.red
	}
	if r := c.cur.Load(); r != nil {
		reds[1] = r.red
	}
	holds := func(v string) bool { // the key, whole or a run of it
		for _, red := range reds {
			if red != nil && red.Redact(v) != v {
				return true
			}
		}
		return false
	}
	var clone *http.Request
	own := func() *http.Request {
		if clone == nil {
			clone = req.Clone(req.Context())
		}
		return clone
	}
	if c.authHeader != "" && req.Header.Get(c.authHeader) != "" {
		own().Header.Del(c.authHeader)
	}
	for name, vs := range req.Header {
		for _, v := range vs {
			if holds(v) {
				own().Header.Del(name)
				break
			}
		}
	}
	if req.URL.RawQuery != "" && (c.queryParam != "" || holds(req.URL.RawQuery)) {
		q := req.URL.Query()
		changed := false
		for name, vs := range q {
			for _, v := range vs {
				if name == c.queryParam || holds(v) {
					q.Del(name)
					changed = true
					break
				}
			}
		}
		if changed {
			r := own()
			u := *r.URL
			u.RawQuery = q.Encode()
			r.URL = &u
		}
	}
	if clone == nil {
		return req
	}
	return clone
}

// scrubbedRequest is what Send returns as resp.Request: req without the key
// (not in the auth header, any other header or the query; see withoutKey),
// carrying the caller's ctx rather than the client's internal one, and with
// the requests of earlier redirects (req.Response.Request) scrubbed the
// same way. The caller may log or print it.
func (c *Client) scrubbedRequest(ctx context.Context, req *http.Request) *http.Request {
	if req == nil {
		return nil
	}
	r := c.withoutKey(req).WithContext(ctx)
	if r.Response != nil {
		prev := *r.Response
		prev.Request = c.scrubbedRequest(ctx, prev.Request)
		r.Response = &prev
	}
	return r
}

// sameOrigin reports whether req goes to the base URL's scheme and host.
func (c *Client) sameOrigin(req *http.Request) bool {
	return strings.EqualFold(req.URL.Scheme, c.scheme) && strings.EqualFold(req.URL.Host, c.host)
}

// withQueryKey returns a copy of req whose query carries the key. Only the
// URL changes, so the copy is shallow (a RoundTripper must not modify its
// request, and cloning the headers would cost every attempt a dozen
// allocations); the parameter is appended unless the query already names it,
// in which case its value is replaced.
func withQueryKey(req *http.Request, param, secret string) *http.Request {
	r := *req
	u := *req.URL
	r.URL = &u
	switch {
	case u.RawQuery == "":
		u.RawQuery = url.QueryEscape(param) + "=" + url.QueryEscape(secret)
	case !strings.Contains(u.RawQuery, param):
		u.RawQuery += "&" + url.QueryEscape(param) + "=" + url.QueryEscape(secret)
	default:
		q := u.Query()
		q.Set(param, secret)
		u.RawQuery = q.Encode()
	}
	return &r
}

// attempt is one attempt bounded by its own timeout: the context the
// watchdog's timer ends, and then the body of its answer, whose reads say
// when the timeout cut them and whose Close ends the attempt. One
// allocation holds it all, as it is paid on every request.
type attempt struct {
	parent context.Context
	cancel context.CancelFunc
	dog    atomic.Pointer[watchdog] // nil once stopped
	fired  atomic.Bool
	d      time.Duration
	body   io.ReadCloser
}

// watchdog is a timer that ends one attempt at a time. The client keeps
// the stopped ones in a pool (Client.watchdogs) and re-arms them, so an
// attempt does not pay for a timer and its function (two allocations, a
// third of what a bounded attempt costs on a transport that bounds
// nothing). A watchdog whose timer fired, or may be firing, is never
// re-armed: Stop returning true is the proof (Go 1.23's timers) that its
// function will not run for the attempt it was armed for.
type watchdog struct {
	t *time.Timer
	c *Client // whose pool it goes back to
	a atomic.Pointer[attempt]
}

func (w *watchdog) fire() {
	if a := w.a.Load(); a != nil {
		a.fire()
	}
}

// watch arms a watchdog for a, for a.d.
func (c *Client) watch(a *attempt) {
	w, _ := c.watchdogs.Get().(*watchdog)
	if w == nil {
		w = &watchdog{c: c}
		w.a.Store(a)
		w.t = time.AfterFunc(a.d, w.fire)
	} else {
		w.a.Store(a)
		w.t.Reset(a.d)
	}
	a.dog.Store(w)
}

// stop disarms a's watchdog; false when its timer had fired already (and
// so a.fire ran or is running). A second stop does nothing and says true.
func (a *attempt) stop() bool {
	w := a.dog.Swap(nil)
	if w == nil {
		return true
	}
	if !w.t.Stop() {
		return false // fired: this watchdog is done, not re-armed
	}
	w.a.Store(nil)
	w.c.watchdogs.Put(w)
	return true
}

func (a *attempt) fire() {
	a.fired.Store(true)
	a.cancel()
}

// timedOut reports whether the timer, not the caller, ended the attempt.
func (a *attempt) timedOut() bool { return a.fired.Load() && a.parent.Err() == nil }

func (a *attempt) Read(p []byte) (int, error) {
	n, err := a.body.Read(p)
	if err != nil && err != io.EOF && a.timedOut() {
		err = &attemptTimeoutError{d: a.d}
	}
	return n, err
}

func (a *attempt) Close() error {
	a.stop()
	err := a.body.Close()
	a.cancel()
	return err
}

// cancelOnClose ends an attempt's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
