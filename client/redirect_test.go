package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
)

// otherHost is srv's URL under another host name (localhost for
// 127.0.0.1): another origin, still on loopback.
func otherHost(srv *scripted) string {
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
}

// TestRedirect307ToAnotherHostSendsNothing: a 307 would carry a POST's
// body, its idempotency key and the caller's headers to the other host, and
// make that host's answer the call's result. By default it is not followed:
// the other host gets nothing, the call ends with a *RedirectError naming
// the Location (its query redacted), it is not retried, and no key is in
// it.
func TestRedirect307ToAnotherHostSendsNothing(t *testing.T) {
	evil := newScripted(t, reply(200, `{"ok":true}`))
	api := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherHost(evil)+"/collect?token="+testKey, http.StatusTemporaryRedirect)
	})
	c, _ := newTestClient(t, api)
	var out map[string]any
	err := c.DoWith(context.Background(), "POST", "/v1/payments", map[string]int{"amount": 100}, &out,
		WithIdempotencyKey("idem-1"), WithHeader("X-Tenant", "acme"))
	var re *RedirectError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v (%T), want a *RedirectError", err, err)
	}
	if n := len(evil.got()); n != 0 {
		t.Fatalf("the other host got %d requests", n)
	}
	if n := len(api.got()); n != 1 {
		t.Errorf("the API got %d requests; a redirect is not retried", n)
	}
	if re.StatusCode != 307 || re.Method != "POST" || re.Reason != "another host" ||
		!strings.HasPrefix(re.Location, otherHost(evil)+"/collect?token=") || out != nil {
		t.Errorf("RedirectError %+v, out %v", re, out)
	}
	if msg := err.Error(); strings.Contains(msg, testKey) || strings.Contains(msg, testKey[len(testKey)-16:]) || !strings.Contains(msg, "token=REDACTED") {
		t.Errorf("message: %s", msg)
	}
}

// Same-origin redirects keep working, and keep the key.
func TestRedirectSameOriginFollowed(t *testing.T) {
	api := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/v2/items", http.StatusMovedPermanently)
	}, reply(200, `{"n":1}`))
	c, _ := newTestClient(t, api)
	var out struct{ N int }
	if err := c.Do(context.Background(), "GET", "/v1/items", nil, &out); err != nil || out.N != 1 {
		t.Fatalf("out %+v, err %v", out, err)
	}
	got := api.got()
	if len(got) != 2 || got[1].Path != "/v2/items" || !strings.Contains(got[1].Header.Get("Authorization"), testKey) {
		t.Errorf("requests: %+v", got)
	}
}

// What each policy follows: another port of the host only with
// RedirectSameHost, another host only when WithRedirectHosts names it.
func TestRedirectPolicies(t *testing.T) {
	other := newScripted(t, reply(200, `{}`))
	for _, tc := range []struct {
		name   string
		to     string
		opts   []Option
		follow bool
		reason string
	}{
		{"another port, default", other.URL, nil, false, "another origin"},
		{"another port, same host", other.URL, []Option{WithRedirects(RedirectSameHost)}, true, ""},
		{"another host, same host", otherHost(other), []Option{WithRedirects(RedirectSameHost)}, false, "another host"},
		{"another host, named", otherHost(other), []Option{WithRedirectHosts("localhost")}, true, ""},
		{"another host, wildcard", otherHost(other), []Option{WithRedirectHosts("*.localhost")}, false, "another host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(other.got())
			api := newScripted(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, tc.to+"/x", http.StatusFound) })
			c, _ := newTestClient(t, api, tc.opts...)
			err := c.Do(context.Background(), "GET", "/", nil, nil)
			followed := len(other.got()) > before
			var re *RedirectError
			switch {
			case tc.follow && (err != nil || !followed):
				t.Errorf("not followed: %v", err)
			case !tc.follow && (followed || !errors.As(err, &re) || re.Reason != tc.reason):
				t.Errorf("followed %v, err %v; want reason %q", followed, err, tc.reason)
			}
		})
	}
}

// A chain of redirects ends after 10, with the error, not an endless loop.
func TestRedirectLoopEnds(t *testing.T) {
	api := newScripted(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/again", http.StatusFound) })
	c, _ := newTestClient(t, api)
	err := c.Do(context.Background(), "GET", "/", nil, nil)
	var re *RedirectError
	if !errors.As(err, &re) || re.Reason != "more than 10 redirects" || len(api.got()) != 10 {
		t.Fatalf("err %v after %d requests", err, len(api.got()))
	}
}

// The caller's own CheckRedirect still has its say on what the policy
// allows.
func TestRedirectCallersCheckKept(t *testing.T) {
	api := newScripted(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/v2", http.StatusFound) })
	mine := errors.New("mine")
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return mine }}
	c, _ := newTestClient(t, api, WithHTTPClient(hc))
	if err := c.Do(context.Background(), "GET", "/", nil, nil); !errors.Is(err, mine) {
		t.Fatalf("err = %v", err)
	}
}

func TestRedirectOptionsValidated(t *testing.T) {
	for _, opt := range []Option{WithRedirects(RedirectPolicy(7)), WithRedirectHosts("https://x.example"), WithRedirectHosts("x.example:443"), WithRedirectHosts(""), WithRedirectHosts("*")} {
		if _, err := New(WithService(testService("https://api.example.com")), WithAPIKey(testKey), opt); err == nil {
			t.Errorf("accepted %v", opt)
		}
	}
}

// A stream is redirected under the same policy: by default, not to another
// origin, and it does not reconnect to be redirected again.
func TestStreamRedirectRefused(t *testing.T) {
	other := newScripted(t, eventsThenHold(ev(1)))
	api := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusTemporaryRedirect)
	})
	c, _ := newTestClient(t, api)
	s, err := c.Stream(context.Background(), "/v1/stream")
	if err == nil {
		s.Close()
	}
	var re *RedirectError
	if !errors.As(err, &re) || len(other.got()) != 0 || len(api.got()) != 1 {
		t.Fatalf("err = %v; other got %d, api got %d", err, len(other.got()), len(api.got()))
	}
}

// WithRedirectHosts follows to a named host over HTTPS only: a client on a
// plain-HTTP base (a loopback server, or WithInsecureHTTP) is not sent on
// in clear text to a host off this machine. (Every connection of this test
// but the API's goes to a local server, whatever host the URL names.)
func TestRedirectHostsPlainHTTPOnlyToLoopback(t *testing.T) {
	other := newScripted(t, reply(200, `{}`))
	for _, tc := range []struct {
		to     string
		follow bool
	}{
		{"http://files.example.com", false},
		{otherHost(other), true}, // localhost: a test's own server
	} {
		before := len(other.got())
		api := newScripted(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, tc.to+"/x", http.StatusFound) })
		apiAddr := strings.TrimPrefix(api.URL, "http://")
		dial := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != apiAddr {
				addr = strings.TrimPrefix(other.URL, "http://")
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}}
		c, _ := newTestClient(t, api, WithHTTPClient(dial), WithRedirectHosts("files.example.com", "localhost"))
		err := c.Do(context.Background(), "GET", "/", nil, nil)
		followed := len(other.got()) > before
		var re *RedirectError
		if tc.follow && (err != nil || !followed) {
			t.Errorf("%s: not followed: %v", tc.to, err)
		}
		if !tc.follow && (followed || !errors.As(err, &re)) {
			t.Errorf("%s: followed %v over plain HTTP, err %v; want a *RedirectError", tc.to, followed, err)
		}
	}
}
