package client

import (
	"context"
	"io"
	"net/http"
	"strings"
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
	if c.sameOrigin(req) {
		if c.auth == AuthQuery {
			if r, _ := req.Context().Value(resolvedKey{}).(*resolved); r != nil {
				req = withQueryKey(req, c.queryParam, r.cred.Key.Reveal())
			}
		}
	} else if c.auth != AuthQuery && req.Header.Get(c.authHeader) != "" {
		req = req.Clone(req.Context())
		req.Header.Del(c.authHeader)
	}
	var cancel context.CancelFunc
	if c.attemptTimeout > 0 {
		var ctx context.Context
		ctx, cancel = context.WithTimeout(req.Context(), c.attemptTimeout)
		req = req.WithContext(ctx)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return nil, err
	}
	if cancel != nil {
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	}
	c.rate.observe(resp.Header, c.now)
	return resp, nil
}

// sameOrigin reports whether req goes to the base URL's scheme and host.
func (c *Client) sameOrigin(req *http.Request) bool {
	return strings.EqualFold(req.URL.Scheme, c.scheme) && strings.EqualFold(req.URL.Host, c.host)
}

// withQueryKey returns a copy of req whose query carries the key.
func withQueryKey(req *http.Request, param, secret string) *http.Request {
	r := req.Clone(req.Context())
	q := r.URL.Query()
	q.Set(param, secret)
	r.URL.RawQuery = q.Encode()
	return r
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
