package clienttest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/keys"
)

// start is the fake clock's first instant: a whole second, so that a
// one-second rate window resets exactly one second later.
var start = time.Date(2027, 3, 1, 9, 30, 0, 0, time.UTC)

// allServices are the built-in profiles, one per dialect.
var allServices = []client.Service{client.Hypedata, client.Hypersave, client.HopX, client.Web3Storage, client.HyperSync}

// newServer starts a server for svc on a fake clock and closes it when the
// test ends. Every profile gets the probe endpoints (withProbes), so one
// test walks the same checks on each.
func newServer(t *testing.T, svc client.Service, opts ...clienttest.Option) (*clienttest.Server, *clienttest.FakeClock) {
	t.Helper()
	clock := clienttest.NewFakeClock(start)
	srv := clienttest.NewServer(svc, append([]clienttest.Option{clienttest.WithClock(clock)}, opts...)...)
	t.Cleanup(srv.Close)
	withProbes(srv, svc)
	return srv, clock
}

// freeRead is a GET each profile serves to any valid key, with no scope and
// no cost: its documented key test or a read its page shows (Hypedata's is
// this SDK's whoami).
func freeRead(svc client.Service) string {
	switch svc.Dialect {
	case client.DialectHopX:
		return "/v1/templates"
	case client.DialectHypersave:
		return "/v1/memories"
	case client.DialectWeb3:
		return "/user/uploads"
	case client.DialectHyperSync:
		return "/height"
	}
	return "/v1/whoami"
}

// withProbes gives a server of any profile but Hypedata's two endpoints of
// the caller's own, added with Handle, that need a scope and cost credits
// as Hypedata's scrape (scope scrape, 1 credit) and serp (scope serp, 2
// credits) do: the checks every profile runs (scope, ceiling, balance, rate
// limit) are then walked through the same calls on each, and through
// Handle. A Hypedata server keeps its own scrape and serp.
func withProbes(srv *clienttest.Server, svc client.Service) {
	if svc.Dialect == client.DialectHypedata {
		return
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"url": r.URL.Query().Get("url"), "content": "<html>probe</html>"})
	})
	srv.Handle("GET /v1/scrape", clienttest.Endpoint{Scope: "scrape", Cost: 1, Handler: ok})
	srv.Handle("GET /v1/serp", clienttest.Endpoint{Scope: "serp", Cost: 2, Handler: ok})
	srv.Handle("POST /v1/jobs", clienttest.Endpoint{Scope: "jobs", Cost: 1, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"job_probe","status":"queued"}`))
	})})
}

// issue issues a key or fails the test.
func issue(t *testing.T, srv *clienttest.Server, p clienttest.KeyParams) (keys.Key, client.KeyInfo) {
	t.Helper()
	if p.Name == "" {
		p.Name = "test"
	}
	k, info, err := srv.IssueKey(p)
	if err != nil {
		t.Fatalf("IssueKey(%+v): %v", p, err)
	}
	return k, info
}

// answer is a response read in full; Resp.Body can be read again.
type answer struct {
	Resp *http.Response
	Body []byte
}

// fetch sends a plain net/http request with the key as a bearer token ("" for
// none) and reads the whole answer. The response's body is replaced by a
// reader over the same bytes, so apierrors.FromResponse can consume it.
func fetch(t *testing.T, srv *clienttest.Server, method, path, key string, hdr http.Header, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for name, vs := range hdr {
		req.Header[name] = vs
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return answer{Resp: resp, Body: b}
}

// scrape is GET /v1/scrape?url=x with key.
func scrape(t *testing.T, srv *clienttest.Server, key string) answer {
	t.Helper()
	return fetch(t, srv, http.MethodGet, "/v1/scrape?url=https://example.com", key, nil, "")
}

// jsonObject decodes b as a JSON object or fails the test.
func jsonObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, b)
	}
	return m
}

// object returns m[name] as an object or fails the test.
func object(t *testing.T, m map[string]any, name string) map[string]any {
	t.Helper()
	v, ok := m[name].(map[string]any)
	if !ok {
		t.Fatalf("%q is not an object in %v", name, m)
	}
	return v
}
