package client

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/apikit/apikit-go/internal/redact"
)

// maxRedirects is how many redirects one attempt follows (net/http's own
// bound).
const maxRedirects = 10

// RedirectPolicy says which redirects a client follows; see WithRedirects.
type RedirectPolicy int

const (
	// RedirectSameOrigin, the default, follows a redirect only to the
	// request's own scheme, host and port. Anything else — another host,
	// another port, https to http — ends the call with a *RedirectError
	// and nothing is sent there.
	RedirectSameOrigin RedirectPolicy = iota
	// RedirectSameHost also follows redirects to the same host name on
	// another port or from http to https, for a service that serves its
	// API and its files from one host. Never from https to http.
	RedirectSameHost
)

func (p RedirectPolicy) String() string {
	switch p {
	case RedirectSameOrigin:
		return "RedirectSameOrigin"
	case RedirectSameHost:
		return "RedirectSameHost"
	}
	return fmt.Sprintf("RedirectPolicy(%d)", int(p))
}

// WithRedirects sets which redirects the client follows (default
// RedirectSameOrigin). A redirect is where a server can send a request the
// caller did not aim: a 307 or 308 would carry the body, the idempotency key
// and the caller's headers to the other host, and that host's answer would
// become the call's result. So a redirect the policy does not allow is not
// followed: the call ends with a *RedirectError naming where the server
// tried to send it. The key itself never goes to another origin, whatever
// the policy. WithRedirectHosts names other hosts to follow.
func WithRedirects(p RedirectPolicy) Option {
	return func(o *settings) error {
		if p != RedirectSameOrigin && p != RedirectSameHost {
			return fmt.Errorf("WithRedirects: %v is not a policy; use client.RedirectSameOrigin or client.RedirectSameHost", p)
		}
		o.redirects = p
		return nil
	}
}

// WithRedirectHosts lets the client follow redirects to these hosts too,
// over HTTPS only: a service that sends its downloads to
// "files.example.com", or "*.example.com" for any subdomain of
// example.com (the site's other hosts); plain HTTP only to a loopback
// host, as a test's servers are. The key is not sent to them. A
// host is a name or an IP address, without scheme, port or path.
//
// A wildcard must sit under a domain one owner controls, never over a
// public suffix, where anyone can register a host and so receive the
// redirected call: New refuses "*", "*.com", "*.co.uk" and "*.github.io".
// Without the Public Suffix List the rule is conservative: the name under
// "*." needs two labels or more (*.example.com), except under localhost,
// test, local, internal, example, invalid and home.arpa, names that never
// resolve on the public internet (*.localhost, *.svc.internal), and corp,
// home, lan, intranet and private, which private networks use and no
// registry has delegated (RFC 6762 appendix G: *.corp); it must not be a
// country's public second level (a generic word such as co, com,
// net, org, gov, ac, or, ne under a two-letter top-level domain: co.uk,
// com.au, co.jp), nor a well-known shared hosting suffix (github.io,
// herokuapp.com, vercel.app, s3.amazonaws.com, …), nor an IP address. The
// built-in list cannot hold every public suffix: where a wildcard's domain
// gives subdomains to strangers, name the exact hosts instead.
func WithRedirectHosts(hosts ...string) Option {
	return func(o *settings) error {
		for _, h := range hosts {
			h, err := checkRedirectHost(h)
			if err != nil {
				return err
			}
			o.redirectHosts = append(o.redirectHosts, h)
		}
		return nil
	}
}

// RedirectError ends a call whose server answered with a redirect the
// client's policy does not follow (see WithRedirects). Nothing was sent to
// Location.
type RedirectError struct {
	Method     string
	URL        string // the request that was redirected, query values redacted
	StatusCode int    // the redirect's status: 301, 302, 303, 307, 308
	// Location is where the server tried to send the request, without
	// user info and with every query value redacted (it may echo the key).
	Location string
	// Reason says why it was not followed: "another host", "https to
	// plain http", "more than 10 redirects".
	Reason string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("client: %s %s: the server redirected (%d) to %s (%s); not followed, nothing was sent there (client.WithRedirects and WithRedirectHosts allow more)",
		e.Method, e.URL, e.StatusCode, e.Location, e.Reason)
}

// checkRedirect is the http.Client's CheckRedirect: the client's policy
// first, then the caller's own CheckRedirect, if any.
func (c *Client) checkRedirect(user func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		orig := via[0]
		reason := ""
		switch {
		case len(via) >= maxRedirects:
			reason = fmt.Sprintf("more than %d redirects", maxRedirects)
		default:
			reason = c.redirectRefusal(orig.URL, req.URL)
		}
		if reason != "" {
			e := &RedirectError{Method: orig.Method, URL: redact.URL(orig.URL), Location: redact.URL(req.URL), Reason: reason}
			if req.Response != nil {
				e.StatusCode = req.Response.StatusCode
			}
			return e
		}
		if user != nil {
			return user(req, via)
		}
		return nil
	}
}

// redirectRefusal says why the client does not follow a redirect from
// orig to to, or "" when it does.
func (c *Client) redirectRefusal(orig, to *url.URL) string {
	fromScheme, toScheme := strings.ToLower(orig.Scheme), strings.ToLower(to.Scheme)
	if strings.EqualFold(orig.Host, to.Host) && fromScheme == toScheme {
		return "" // same origin
	}
	if fromScheme == "https" && toScheme != "https" {
		return "https to plain " + toScheme
	}
	host := strings.ToLower(to.Hostname())
	if c.redirects == RedirectSameHost && host == strings.ToLower(orig.Hostname()) {
		return ""
	}
	// A named host over HTTPS only; plain HTTP (from a plain-HTTP base)
	// only to this machine, a test's own server: never in clear text
	// across the network.
	if toScheme == "https" || fromScheme == toScheme && isLoopback(host) {
		for _, h := range c.redirectHosts {
			if host == h || strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:]) {
				return ""
			}
		}
	}
	if strings.EqualFold(orig.Hostname(), to.Hostname()) {
		return "another origin"
	}
	return "another host"
}

// asRedirectError finds a *RedirectError in err.
func asRedirectError(err error) (*RedirectError, bool) {
	var re *RedirectError
	ok := errors.As(err, &re)
	return re, ok
}
