package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
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
	var cancel context.CancelFunc
	var headers *time.Timer // a stream's attempt timeout: until the headers only
	if c.attemptTimeout > 0 {
		var ctx context.Context
		if req.Context().Value(streamRequest{}) != nil {
			ctx, cancel = context.WithCancel(req.Context())
			headers = time.AfterFunc(c.attemptTimeout, cancel)
		} else {
			ctx, cancel = context.WithTimeout(req.Context(), c.attemptTimeout)
		}
		req = req.WithContext(ctx)
	}
	resp, err := t.base.RoundTrip(req)
	if headers != nil && !headers.Stop() { // the timer fired: the headers came too late, if at all
		if err == nil {
			resp.Body.Close()
		}
		err = fmt.Errorf("no response headers within the attempt timeout of %s (WithAttemptTimeout): %w", c.attemptTimeout, context.DeadlineExceeded)
	}
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return nil, err
	}
	if cancel != nil {
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	}
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
