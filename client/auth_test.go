package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

func newTLSServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) }))
	t.Cleanup(s.Close)
	return s
}

// TestRedirectElsewhereCarriesNoKey follows redirects to another origin
// (allowed by WithRedirects(RedirectSameHost): another port), including a
// redirect whose Location repeats the request URI (as canonical-host
// redirects do, copying a query key along), and checks that the key went
// to the API only. A downgrade to plain HTTP is followed by no policy: the
// call ends with a *RedirectError and the other server gets nothing.
func TestRedirectElsewhereCarriesNoKey(t *testing.T) {
	for _, style := range authStyles() {
		for _, target := range []struct {
			name string
			tls  bool // the API is HTTPS and the redirect goes to plain HTTP
			loc  func(other string, r *http.Request) string
		}{
			{"fixed location", false, func(other string, _ *http.Request) string { return other + "/landing?x=1" }},
			{"location repeats the request URI", false, func(other string, r *http.Request) string { return other + r.URL.RequestURI() }},
			{"downgrade to http repeating the URI", true, func(other string, r *http.Request) string { return other + r.URL.RequestURI() }},
		} {
			t.Run(style.name+"/"+target.name, func(t *testing.T) {
				other := newScripted(t, reply(200, `{}`))
				var api *scripted
				redirect := func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, target.loc(other.URL, r), http.StatusFound)
				}
				opts := append([]Option{WithRedirects(RedirectSameHost)}, style.opts...)
				if target.tls {
					api = newScriptedTLS(t, redirect)
					opts = append(opts, WithHTTPClient(api.Client()))
				} else {
					api = newScripted(t, redirect)
				}
				c, _ := newTestClient(t, api, opts...)
				err := c.Do(context.Background(), "GET", "/v1/go?page=2", nil, nil)
				if target.tls {
					var re *RedirectError
					if !errors.As(err, &re) || re.Reason != "https to plain http" || len(other.got()) != 0 || strings.Contains(err.Error(), testKey) {
						t.Fatalf("a downgrade: err = %v; the other server got %d requests", err, len(other.got()))
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				sent := api.got()[0]
				if !strings.Contains(sent.Header.Get("Authorization")+sent.Header.Get("X-Api-Key")+sent.Query, testKey) {
					t.Errorf("the API itself did not get the key: %+v", sent)
				}
				got := other.got()
				if len(got) != 1 {
					t.Fatalf("other host saw %d requests", len(got))
				}
				r := got[0]
				for name, vs := range r.Header {
					for _, v := range vs {
						if strings.Contains(v, testKey) {
							t.Errorf("other host received the key in header %s", name)
						}
					}
				}
				if strings.Contains(r.Query, testKey) || strings.Contains(r.Query, url.QueryEscape(testKey)) {
					t.Errorf("other host received the key in the query %q", r.Query)
				}
				if target.name != "fixed location" && !strings.Contains(r.Query, "page=2") {
					t.Errorf("the redirect lost the caller's own query: %q", r.Query)
				}
			})
		}
	}
}

func TestQueryAuthNeedsOptIn(t *testing.T) {
	svc := testService("https://api.example.com")
	svc.Auth = AuthQuery
	if _, err := New(WithService(svc), WithAPIKey(testKey)); err == nil || !strings.Contains(err.Error(), "WithQueryAuth") {
		t.Fatalf("err = %v, want a refusal naming WithQueryAuth", err)
	}
	if _, err := New(WithService(svc), WithAPIKey(testKey), WithQueryAuth("")); err != nil {
		t.Fatalf("with opt-in: %v", err)
	}
}

func TestPlainHTTPRefusedUnlessLoopbackOrOptedIn(t *testing.T) {
	cases := []struct {
		base string
		opts []Option
		ok   bool
	}{
		{"http://api.example.com", nil, false},
		{"http://10.1.2.3:8080", nil, false},
		{"http://api.example.com", []Option{WithInsecureHTTP()}, true},
		{"http://127.0.0.1:9", nil, true},
		{"http://[::1]:9", nil, true},
		{"http://localhost:9", nil, true},
		{"https://api.example.com", nil, true},
	}
	for _, tc := range cases {
		_, err := New(append([]Option{WithService(testService(tc.base)), WithAPIKey(testKey)}, tc.opts...)...)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.base, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "WithInsecureHTTP") {
			t.Errorf("%s: error does not say how to opt in: %v", tc.base, err)
		}
	}
}

func TestMalformedKeyIsNeverSent(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	svc := testService(srv.URL)
	svc.KeyFormat = keys.Hypedata
	svc.EnvVar = "APIKIT_TEST_HYPEDATA_KEY"
	t.Setenv("APIKIT_TEST_HYPEDATA_KEY", "hd_live_tooShort")
	t.Setenv("APIKIT_CONFIG_FILE", t.TempDir()+"/none.yaml")
	t.Chdir(t.TempDir())
	c, err := New(WithService(svc))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	if !errors.Is(err, apierrors.ErrMalformedToken) {
		t.Fatalf("err = %v, want ErrMalformedToken", err)
	}
	if !strings.Contains(err.Error(), "APIKIT_TEST_HYPEDATA_KEY") {
		t.Errorf("error does not name the source: %v", err)
	}
	if strings.Contains(err.Error(), "tooShort") {
		t.Errorf("error quotes the key: %v", err)
	}
	if n := len(srv.got()); n != 0 {
		t.Errorf("%d requests sent with a malformed key", n)
	}
	// An explicit malformed key fails New itself.
	if _, err := New(WithService(svc), WithAPIKey("hd_live_tooShort")); !errors.Is(err, apierrors.ErrMalformedToken) {
		t.Errorf("New with a malformed explicit key: %v", err)
	}
}

func TestRequireEnv(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	svc := testService(srv.URL)
	svc.KeyFormat = keys.Hypedata
	live := "hd_live_" + strings.Repeat("a1B2", 8)
	_, err := New(WithService(svc), WithAPIKey(live), WithRequireEnv(keys.EnvTest))
	if !errors.Is(err, ErrEnvMismatch) || strings.Contains(err.Error(), live) {
		t.Fatalf("err = %v", err)
	}
	if _, err := New(WithService(svc), WithAPIKey(live), WithRequireEnv(keys.EnvLive)); err != nil {
		t.Fatal(err)
	}
}

// rotatingSource yields keys[i] after i invalidations.
type rotatingSource struct {
	mu    sync.Mutex
	keys  []string
	calls int
}

func (r *rotatingSource) Retrieve(context.Context) (credentials.Credential, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.keys[min(r.calls, len(r.keys)-1)]
	r.calls++
	key, err := keys.Parse(k, keys.Opaque)
	return credentials.Credential{Key: key, Source: credentials.Source{Kind: "test", Detail: "rotating"}}, err
}

func TestRotationOn401(t *testing.T) {
	oldKey, newKey := testKey, "sk_test_NEWKEY0000000000000000000000000"
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+newKey {
			reply(200, `{"ok":true}`)(w, r)
			return
		}
		reply(401, `{"error":{"code":"revoked","message":"key revoked","revoked_at":"2026-11-01T10:00:00Z","reason":"rotated"}}`,
			"WWW-Authenticate", `Bearer error="revoked"`)(w, r)
	})
	src := &rotatingSource{keys: []string{oldKey, newKey}}
	c, err := New(WithService(testService(srv.URL)), WithCredentials(src), withSleeper((&fakeSleep{}).sleep))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ OK bool }
	if err := c.Do(context.Background(), "GET", "/v1/x", nil, &out); err != nil || !out.OK {
		t.Fatalf("err = %v, out %+v", err, out)
	}
	if n := len(srv.got()); n != 2 {
		t.Errorf("%d requests, want 2 (old key, new key)", n)
	}
	cred, _ := c.Credential(context.Background())
	if cred.Key.Reveal() != newKey {
		t.Errorf("client still uses the old key")
	}

	// A static key is not re-asked: one request, the typed error.
	c2, _ := newTestClient(t, srv)
	err = c2.Do(context.Background(), "GET", "/v1/x", nil, nil)
	if !errors.Is(err, apierrors.ErrRevoked) {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.got()); n != 3 {
		t.Errorf("static key: %d total requests, want 3", n)
	}

	// The source yields the same key again: no second request.
	src3 := &rotatingSource{keys: []string{oldKey}}
	c3, _ := New(WithService(testService(srv.URL)), WithCredentials(src3))
	if err := c3.Do(context.Background(), "GET", "/v1/x", nil, nil); !errors.Is(err, apierrors.ErrRevoked) {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.got()); n != 4 || src3.calls != 2 {
		t.Errorf("same key: %d total requests (want 4), %d source calls (want 2)", n, src3.calls)
	}
}

func TestHeaderStyles(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	svc := testService(srv.URL)
	svc.Auth, svc.HeaderName = AuthHeader, "X-API-Key"
	c, err := New(WithService(svc), WithAPIKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DoWith(context.Background(), "GET", "/", nil, nil, WithHeader("X-API-Key", "override"), WithHeader("X-Trace", "t1")); err != nil {
		t.Fatal(err)
	}
	r := srv.got()[0]
	if r.Header.Get("X-Api-Key") != testKey || r.Header.Get("Authorization") != "" || r.Header.Get("X-Trace") != "t1" {
		t.Errorf("headers %v", r.Header)
	}
}

func TestCallerHTTPClientIsKeptAndNotModified(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	var seen int
	user := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen++
		return http.DefaultTransport.RoundTrip(r)
	})}
	orig := user.Transport
	c, _ := newTestClient(t, srv, WithHTTPClient(user))
	if err := c.Do(context.Background(), "GET", "/", nil, nil); err != nil {
		t.Fatal(err)
	}
	if seen != 1 {
		t.Errorf("caller's transport saw %d requests", seen)
	}
	if _, ok := user.Transport.(*authTransport); ok || user.Transport == nil {
		t.Error("caller's client was modified")
	}
	if user.Transport.(roundTripFunc) == nil || orig == nil {
		t.Error("caller's transport lost")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRateLimitSnapshot(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`, "X-RateLimit-Limit", "100", "X-RateLimit-Remaining", "42", "X-RateLimit-Reset", "30"))
	c, _ := newTestClient(t, srv)
	if _, ok := c.RateLimit(); ok {
		t.Error("snapshot before any response")
	}
	if err := c.Do(context.Background(), "GET", "/", nil, nil); err != nil {
		t.Fatal(err)
	}
	rl, ok := c.RateLimit()
	if !ok || rl.Limit != 100 || rl.Remaining != 42 || rl.Reset.Sub(rl.Observed).Seconds() != 30 {
		t.Errorf("RateLimit() = %+v, %v", rl, ok)
	}
}

func TestSendStreamsAndTypesErrors(t *testing.T) {
	srv := newScripted(t, reply(200, "plain text body", "Content-Type", "text/plain"),
		reply(404, `{"error":{"code":"not_found","message":"no such file"}}`))
	c, _ := newTestClient(t, srv)
	req, _ := http.NewRequest("PUT", "/v1/files/a.txt", strings.NewReader("data"))
	resp, err := c.Send(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "plain text body" {
		t.Errorf("body %q", b)
	}
	if got := srv.got()[0]; string(got.Body) != "data" || got.Header.Get("Authorization") == "" {
		t.Errorf("server got %+v", got)
	}
	req2, _ := http.NewRequest("GET", "/v1/files/b.txt", nil)
	_, err = c.Send(context.Background(), req2)
	var apiErr *apierrors.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != apierrors.CodeNotFound {
		t.Errorf("err = %v, want a typed 404", err)
	}
}

// TestKeyResolvedOnce proves the key source is read once per client, not per
// request (no env or file reads on the request path).
func TestKeyResolvedOnce(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	var reads int
	var mu sync.Mutex
	src := credentials.ProviderFunc(func(context.Context) (credentials.Credential, error) {
		mu.Lock()
		reads++
		mu.Unlock()
		k, err := keys.Parse(testKey, keys.Opaque)
		return credentials.Credential{Key: k, Source: credentials.Source{Kind: "counting"}}, err
	})
	c, err := New(WithService(testService(srv.URL)), WithCredentials(src))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Do(context.Background(), "GET", "/", nil, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if reads != 1 {
		t.Errorf("the key source was read %d times for 50 requests, want 1", reads)
	}
}
