package clienttest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// TestHandleChecks: an endpoint added with Handle sits behind every key
// check, in every dialect; the handler runs only for a request that passed
// them all, and a failed check answers in the service's dialect, as the
// SDK's decoder reads it. (TestAuthChecks* walk the same checks through the
// probe endpoints withProbes adds with Handle on every profile but
// Hypedata.)
func TestHandleChecks(t *testing.T) {
	for _, svc := range allServices {
		t.Run(svc.Name, func(t *testing.T) {
			srv, clock := newServer(t, svc, clienttest.WithBalance(10))
			var ran atomic.Int32
			srv.Handle("POST /v1/reports/{name}", clienttest.Endpoint{Scope: "reports", Cost: 2, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran.Add(1)
				w.WriteHeader(http.StatusAccepted)
				fmt.Fprintf(w, `{"report":%q}`, r.PathValue("name"))
			})})
			good, _ := issue(t, srv, clienttest.KeyParams{Scopes: []string{"reports"}})
			unknown, _ := svc.KeyFormat.Generate(keys.EnvLive, nil)
			revoked, rinfo := issue(t, srv, clienttest.KeyParams{})
			_ = srv.RevokeKey(rinfo.ID, "leaked")
			expired, _ := issue(t, srv, clienttest.KeyParams{ExpiresAt: start.Add(time.Minute)})
			ipLocked, _ := issue(t, srv, clienttest.KeyParams{AllowedIPs: []string{"192.0.2.0/24"}})
			noScope, _ := issue(t, srv, clienttest.KeyParams{Scopes: []string{"scrape"}})
			ceiling, _ := issue(t, srv, clienttest.KeyParams{CreditCeiling: 1})
			limited, _ := issue(t, srv, clienttest.KeyParams{RateLimitPerSecond: 1})
			clock.Advance(2 * time.Minute)

			var seen strings.Builder // every answer, searched for secrets at the end
			post := func(key string) answer {
				a := fetch(t, srv, "POST", "/v1/reports/q3", key, nil, `{}`)
				fmt.Fprintf(&seen, "%v\n%s\n", a.Resp.Header, a.Body)
				return a
			}
			defer func() {
				fmt.Fprintf(&seen, "%+v", srv.Requests())
				for _, k := range []keys.Key{good, unknown, revoked, expired, ipLocked, noScope, ceiling, limited} {
					if s := k.Reveal(); strings.Contains(seen.String(), s[len(s)-8:]) {
						t.Errorf("an answer or the request log holds the end of a secret (%s)", k)
					}
				}
			}()
			for _, c := range []struct {
				name string
				key  string
				is   error
			}{
				{"missing", "", apierrors.ErrAuthentication},
				{"malformed", "not-a-key", apierrors.ErrAuthentication},
				{"unknown", unknown.Reveal(), apierrors.ErrAuthentication},
				{"revoked", revoked.Reveal(), nil}, // web3 says 403 blocked
				{"expired", expired.Reveal(), nil},
				{"ip", ipLocked.Reveal(), apierrors.ErrPermission},
				{"scope", noScope.Reveal(), apierrors.ErrPermission},
				{"ceiling", ceiling.Reveal(), apierrors.ErrPayment},
			} {
				a := post(c.key)
				err := apierrors.FromResponse(a.Resp)
				if a.Resp.StatusCode < 400 || (c.is != nil && !errors.Is(err, c.is)) {
					t.Errorf("%s: %d %v", c.name, a.Resp.StatusCode, err)
				}
			}
			if n := ran.Load(); n != 0 {
				t.Fatalf("the handler ran %d times for requests that failed a check", n)
			}
			a := post(good.Reveal())
			if a.Resp.StatusCode != http.StatusAccepted || string(a.Body) != `{"report":"q3"}` {
				t.Fatalf("a good key: %d %s", a.Resp.StatusCode, a.Body)
			}
			if srv.Balance() != 8 {
				t.Errorf("balance %d, want 10-2: the endpoint's cost is charged", srv.Balance())
			}
			// Rate limit: the second call in the second is refused.
			if a := post(limited.Reveal()); a.Resp.StatusCode != http.StatusAccepted {
				t.Fatalf("limited key, first call: %d", a.Resp.StatusCode)
			}
			a = post(limited.Reveal())
			if d, ok := apierrors.RetryAfter(apierrors.FromResponse(a.Resp)); a.Resp.StatusCode != 429 || !ok || d != time.Second {
				t.Errorf("limited key, second call: %d, hint %v %v", a.Resp.StatusCode, d, ok)
			}
			// Balance: empty, and a live key is refused before the handler.
			srv.SetBalance(1)
			if a := post(good.Reveal()); !errors.Is(apierrors.FromResponse(a.Resp), apierrors.ErrPayment) {
				t.Errorf("balance below the cost: %d", a.Resp.StatusCode)
			}
			if n := ran.Load(); n != 2 {
				t.Errorf("the handler ran %d times, want 2", n)
			}
			recs := srv.Requests()
			if last := recs[len(recs)-1]; last.Path != "/v1/reports/q3" || last.Status != 402 {
				t.Errorf("last record %+v", last)
			}
			if rec := recs[len(recs)-4]; rec.Status != http.StatusAccepted || rec.KeyID == "" {
				t.Errorf("the handler's answer is logged as %+v", rec)
			}
		})
	}
}

// TestHandleCallerKeyAndServerCalls: the handler learns which key called,
// and runs outside the server's lock, so it can use the server itself.
func TestHandleCallerKeyAndServerCalls(t *testing.T) {
	srv, _ := newServer(t, client.HopX)
	srv.Handle("GET /v1/me", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, ok := clienttest.CallerKey(r)
		u, _ := srv.Usage(info.ID) // would deadlock under the server's lock
		fmt.Fprintf(w, `{"id":%q,"ok":%t,"requests":%d}`, info.ID, ok, u.Requests)
	}))
	k, info := issue(t, srv, clienttest.KeyParams{Name: "me"})
	c, _ := srv.NewClient(k)
	defer c.CloseIdleConnections()
	var out struct {
		ID       string `json:"id"`
		OK       bool   `json:"ok"`
		Requests int    `json:"requests"`
	}
	if err := c.Do(context.Background(), "GET", "/v1/me", nil, &out); err != nil || out.ID != info.ID || !out.OK || out.Requests != 1 {
		t.Fatalf("%+v %v", out, err)
	}
}

// TestHandleOverridesAndScopes: a pattern of your own is matched before the
// service's (here HopX's template list), and its scope becomes one IssueKey
// accepts.
func TestHandleOverridesAndScopes(t *testing.T) {
	srv, _ := newServer(t, client.HopX)
	if _, _, err := srv.IssueKey(clienttest.KeyParams{Scopes: []string{"templates:read"}}); err == nil {
		t.Fatal("IssueKey accepted a scope no endpoint uses")
	}
	srv.Handle("GET /v1/templates", clienttest.Endpoint{Scope: "templates:read", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":[]}`)
	})})
	// A *Endpoint works as an Endpoint does.
	srv.Handle("GET /v1/templates/{id}", &clienttest.Endpoint{Scope: "templates:read", Handler: http.NotFoundHandler()})
	k, _ := issue(t, srv, clienttest.KeyParams{Scopes: []string{"templates:read"}})
	if a := fetch(t, srv, "GET", "/v1/templates/x", k.Reveal(), nil, ""); a.Resp.StatusCode != 404 {
		t.Errorf("a *Endpoint: %d", a.Resp.StatusCode)
	}
	if a := fetch(t, srv, "GET", "/v1/templates", k.Reveal(), nil, ""); a.Resp.StatusCode != 200 || string(a.Body) != `{"data":[]}` {
		t.Errorf("overridden templates: %d %s", a.Resp.StatusCode, a.Body)
	}
	other, _ := issue(t, srv, clienttest.KeyParams{Scopes: []string{"admin"}})
	if a := fetch(t, srv, "GET", "/v1/templates/x", other.Reveal(), nil, ""); a.Resp.StatusCode != 403 {
		t.Errorf("a *Endpoint's scope: %d, want 403", a.Resp.StatusCode)
	}
	a := fetch(t, srv, "GET", "/v1/templates", other.Reveal(), nil, "")
	var ae *apierrors.Error
	if !errors.As(apierrors.FromResponse(a.Resp), &ae) || ae.Code != apierrors.CodeInsufficientScope || ae.RequiredScope != "templates:read" {
		t.Errorf("a key without the scope: %d %s", a.Resp.StatusCode, a.Body)
	}
	// The service's other endpoints are untouched; an unknown path is a 404
	// after the key checks.
	if a := fetch(t, srv, "GET", "/v1/sandboxes", k.Reveal(), nil, ""); a.Resp.StatusCode != 200 {
		t.Errorf("sandboxes: %d", a.Resp.StatusCode)
	}
	if a := fetch(t, srv, "GET", "/v1/nothing", "", nil, ""); a.Resp.StatusCode != 401 {
		t.Errorf("an unknown path without a key: %d, want 401 first", a.Resp.StatusCode)
	}
}

// TestHandleStreams: a handler can flush as it writes (the status writer
// passes Flush through).
func TestHandleStreams(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	srv.Handle("GET /v1/ticks", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "id: %d\ndata: tick\n\n", i)
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("flush: %v", err)
				return
			}
		}
	}))
	k, _ := issue(t, srv, clienttest.KeyParams{})
	a := fetch(t, srv, "GET", "/v1/ticks", k.Reveal(), nil, "")
	if a.Resp.StatusCode != 200 || strings.Count(string(a.Body), "data: tick") != 3 {
		t.Errorf("%d %q", a.Resp.StatusCode, a.Body)
	}
}

// TestHandleMistakes: a nil handler, a bad or conflicting pattern, or a
// negative cost is a mistake in the test and panics, as http.ServeMux does.
func TestHandleMistakes(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	srv.Handle("GET /v1/mine", ok)
	for name, f := range map[string]func(){
		"nil handler":        func() { srv.Handle("GET /v1/a", nil) },
		"nil Endpoint":       func() { srv.Handle("GET /v1/b", clienttest.Endpoint{Scope: "x"}) },
		"nil *Endpoint":      func() { srv.Handle("GET /v1/b2", &clienttest.Endpoint{Scope: "x"}) },
		"negative cost":      func() { srv.Handle("GET /v1/c", clienttest.Endpoint{Cost: -1, Handler: ok}) },
		"bad pattern":        func() { srv.Handle("GET", ok) },
		"conflicting Handle": func() { srv.Handle("GET /v1/mine", ok) },
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Errorf("%s: no panic", name)
				}
				if msg := fmt.Sprint(r); !strings.HasPrefix(msg, "clienttest: Handle(") || strings.Contains(msg, "\n") || strings.Contains(msg, "registered at") {
					t.Errorf("%s: the panic does not say, in one line, which Handle call is wrong: %q", name, msg)
				}
			}()
			f()
		}()
	}
}
