package clienttest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// servedBy lists, per service, a request to each endpoint its page shows
// (docs/PROTOCOL.md), with the status a fresh all-scope live key gets.
var servedBy = map[string][]struct {
	method, path, body string
	status             int
}{
	"hypedata": {
		{"GET", "/v1/scrape?url=https://example.com", "", 200},
		{"POST", "/v1/scrape", `{"url":"https://example.com"}`, 200},
		{"GET", "/v1/serp?q=go", "", 200},
		{"POST", "/v1/parse", `{"a":1}`, 200},
		{"POST", "/v1/jobs", `{"url":"x"}`, 201},
		{"GET", "/v1/billing", "", 200},
		{"GET", "/v1/keys", "", 200},
		{"GET", "/v1/whoami", "", 200},
		{"GET", "/v1/usage", "", 200},
	},
	"hypersave": {
		{"GET", "/v1/memories", "", 200},
		{"POST", "/v1/memories", `{"content":"remember the milk"}`, 201},
		{"GET", "/keys", "", 200},
	},
	"hopx": {
		{"GET", "/v1/templates", "", 200},
		{"GET", "/v1/sandboxes", "", 200},
		{"POST", "/v1/sandboxes", `{"template_id":"code-interpreter"}`, 201},
		{"GET", "/v1/keys", "", 200},
	},
	"hypersync": {
		{"GET", "/height", "", 200},
		{"POST", "/query", `{"from_block":0}`, 200},
	},
	"web3storage": {
		{"GET", "/user/uploads", "", 200},
		{"GET", "/status/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", "", 200},
		{"GET", "/v1/keys", "", 200},
	},
}

// TestEachProfileServesItsOwnEndpoints: every profile answers its own
// service's endpoints, and another service's with a 404 in its own dialect
// (a HopX user's GET /v1/templates works; a HopX server has no /v1/scrape).
func TestEachProfileServesItsOwnEndpoints(t *testing.T) {
	for _, svc := range allServices {
		t.Run(svc.Name, func(t *testing.T) {
			srv := clienttest.NewServer(svc)
			t.Cleanup(srv.Close)
			k, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "all"})
			own := map[string]bool{}
			for _, e := range servedBy[svc.Name] {
				a := fetch(t, srv, e.method, e.path, k.Reveal(), nil, e.body)
				if a.Resp.StatusCode != e.status || !strings.HasPrefix(a.Resp.Header.Get("Content-Type"), "application/json") {
					t.Errorf("%s %s: %d %s, want %d JSON", e.method, e.path, a.Resp.StatusCode, a.Body, e.status)
				}
				if svc.Dialect == client.DialectHypersave && jsonObject(t, a.Body)["success"] != true {
					t.Errorf("%s %s: a Hypersave success body without \"success\": true: %s", e.method, e.path, a.Body)
				}
				own[e.method+" "+strings.SplitN(e.path, "?", 2)[0]] = true
			}
			for name, others := range servedBy {
				for _, e := range others {
					p := strings.SplitN(e.path, "?", 2)[0]
					if name == svc.Name || own[e.method+" "+p] {
						continue
					}
					a := fetch(t, srv, e.method, e.path, k.Reveal(), nil, e.body)
					var ae *apierrors.Error
					if err := apierrors.FromResponse(a.Resp); a.Resp.StatusCode != 404 || !errors.As(err, &ae) || ae.Code != apierrors.CodeNotFound {
						t.Errorf("%s's %s %s on a %s server: %d %v, want 404", name, e.method, p, svc.Name, a.Resp.StatusCode, err)
					}
				}
			}
		})
	}
}

// TestDocumentedKeyTests: HopX's documented key test (listing templates)
// answers 200 to a good key and 401 to any other, through Verify.
func TestDocumentedKeyTests(t *testing.T) {
	srv, _ := newServer(t, client.HopX)
	k, _ := issue(t, srv, clienttest.KeyParams{})
	c, _ := srv.NewClient(k)
	defer c.CloseIdleConnections()
	who, err := c.Verify(context.Background())
	if err != nil || who.CheckedWith != "GET /v1/templates" {
		t.Fatalf("Verify: %+v %v", who, err)
	}
	if recs := srv.Requests(); len(recs) != 1 || recs[0].Path != "/v1/templates" || recs[0].Status != 200 {
		t.Errorf("Verify sent %+v, want one GET /v1/templates", recs)
	}
	bad, _ := keys.HopX.Generate(keys.EnvLive, nil)
	bc, _ := srv.NewClient(bad, client.WithMaxRetries(0))
	defer bc.CloseIdleConnections()
	if _, err := bc.Verify(context.Background()); !errors.Is(err, apierrors.ErrUnknownKey) || !strings.Contains(err.Error(), "GET /v1/templates") {
		t.Errorf("Verify of an unknown HopX key: %v", err)
	}
	// Services that document none: Verify sends nothing and says so.
	for _, svc := range []client.Service{client.Hypersave, client.HyperSync, client.Web3Storage} {
		s, _ := newServer(t, svc)
		key, _ := issue(t, s, clienttest.KeyParams{})
		sc, _ := s.NewClient(key)
		_, err := sc.Verify(context.Background())
		if !errors.Is(err, client.ErrNoKeyTest) || len(s.Requests()) != 0 || !strings.Contains(err.Error(), svc.Name) {
			t.Errorf("%s Verify: %v after %d requests, want ErrNoKeyTest and none", svc.Name, err, len(s.Requests()))
		}
		sc.CloseIdleConnections()
	}
}

// TestHypedataTestMode: as Hypedata's page says, test keys get fixture
// payloads with X-Hd-Mode: test and are never billed, and the 403 fixture
// answers 403 "to exercise your retry logic" — not an auth failure: no
// WWW-Authenticate, and the SDK does not retry it.
func TestHypedataTestMode(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata, clienttest.WithBalance(0))
	k, info := issue(t, srv, clienttest.KeyParams{Env: keys.EnvTest, Scopes: []string{"scrape"}})
	a := scrape(t, srv, k.Reveal())
	if a.Resp.StatusCode != 200 || a.Resp.Header.Get("X-Hd-Mode") != "test" || jsonObject(t, a.Body)["fixture"] != true {
		t.Fatalf("a test key's scrape: %d %v %s", a.Resp.StatusCode, a.Resp.Header, a.Body)
	}
	a = fetch(t, srv, "GET", "/v1/scrape?url=https://fixtures.hypedata.io/403", k.Reveal(), nil, "")
	err := apierrors.FromResponse(a.Resp)
	var ae *apierrors.Error
	if a.Resp.StatusCode != 403 || a.Resp.Header.Get("X-Hd-Mode") != "test" || a.Resp.Header.Get("WWW-Authenticate") != "" ||
		!errors.As(err, &ae) || ae.RawCode != "target_forbidden" || errors.Is(err, apierrors.ErrInsufficientScope) {
		t.Fatalf("the 403 fixture: %d %v %s (%v)", a.Resp.StatusCode, a.Resp.Header, a.Body, err)
	}
	// POST /v1/scrape with the fixture URL, through the SDK: one attempt.
	c, _ := srv.NewClient(k)
	defer c.CloseIdleConnections()
	err = c.Do(context.Background(), "POST", "/v1/scrape", map[string]string{"url": "https://fixtures.hypedata.io/403"}, nil)
	if !errors.As(err, &ae) || ae.StatusCode != 403 || ae.Attempts != 1 {
		t.Errorf("the 403 fixture through the SDK: %v", err)
	}
	if u, _ := srv.Usage(info.ID); u.Credits != 0 || srv.Balance() != 0 {
		t.Errorf("a test key was billed: %+v, balance %d", u, srv.Balance())
	}
	// A live key on the same server gets no X-Hd-Mode and no fixture flag.
	live, _ := issue(t, srv, clienttest.KeyParams{})
	srv.SetBalance(5)
	if a := scrape(t, srv, live.Reveal()); a.Resp.StatusCode != 200 || a.Resp.Header.Get("X-Hd-Mode") != "" || jsonObject(t, a.Body)["fixture"] != nil {
		t.Errorf("a live key's scrape: %d %v %s", a.Resp.StatusCode, a.Resp.Header, a.Body)
	}
}

// TestDeletedKeysReadAsUnknown: where the page says a key is deleted
// (Hypersave's DELETE /keys/:id, web3.storage's token deletion) or
// regenerated, its old secret answers as a key that never existed — not as
// revoked or blocked. Hypedata's DELETE is a revocation and says revoked.
func TestDeletedKeysReadAsUnknown(t *testing.T) {
	for _, svc := range keyServices {
		t.Run(svc.Name, func(t *testing.T) {
			srv, _ := newServer(t, svc)
			admin, _ := issue(t, srv, clienttest.KeyParams{Scopes: []string{"admin"}})
			k, info := issue(t, srv, clienttest.KeyParams{})
			a := fetch(t, srv, "DELETE", strings.TrimRight(svc.KeysPath, "/")+"/"+info.ID, admin.Reveal(), nil, "")
			if a.Resp.StatusCode != 200 {
				t.Fatalf("DELETE: %d %s", a.Resp.StatusCode, a.Body)
			}
			err := apierrors.FromResponse(fetch(t, srv, "GET", freeRead(svc), k.Reveal(), nil, "").Resp)
			deletes := svc.Dialect == client.DialectHypersave || svc.Dialect == client.DialectWeb3
			switch {
			case deletes && (!errors.Is(err, apierrors.ErrUnknownKey) || errors.Is(err, apierrors.ErrPermission)):
				t.Errorf("a deleted key: %v, want only unknown_key", err)
			case !deletes && !errors.Is(err, apierrors.ErrRevoked):
				t.Errorf("a revoked key: %v, want revoked", err)
			}
			if _, ok := srv.Key(info.ID); ok == deletes {
				t.Errorf("Key(%s) found %v after DELETE", info.ID, ok)
			}
			// The direct DeleteKey does the same on every profile.
			k2, info2 := issue(t, srv, clienttest.KeyParams{})
			if err := srv.DeleteKey(info2.ID); err != nil {
				t.Fatal(err)
			}
			if err := apierrors.FromResponse(fetch(t, srv, "GET", freeRead(svc), k2.Reveal(), nil, "").Resp); !errors.Is(err, apierrors.ErrUnknownKey) {
				t.Errorf("after DeleteKey: %v, want unknown_key", err)
			}
			if err := srv.DeleteKey(info2.ID); err == nil {
				t.Error("DeleteKey twice: no error")
			}
		})
	}
}

// TestKeylessHyperSync: HyperSync serves indexers on Envio Cloud without a
// token. A server that allows it answers keyless reads (within the shared
// keyless limit), still checks a key that is sent, and refuses keyless
// calls to endpoints with a scope; a client says so explicitly with
// WithoutKey. Without AllowKeyless, or on any other profile, a keyless
// request is a 401.
func TestKeylessHyperSync(t *testing.T) {
	srv, clock := newServer(t, client.HyperSync)
	if a := fetch(t, srv, "GET", "/height", "", nil, ""); a.Resp.StatusCode != 401 {
		t.Fatalf("keyless before AllowKeyless: %d", a.Resp.StatusCode)
	}
	if err := srv.AllowKeyless(2); err != nil {
		t.Fatal(err)
	}
	c, err := srv.NewKeylessClient()
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	var h struct{ Height int64 }
	for i := range 2 {
		if err := c.Do(context.Background(), "GET", "/height", nil, &h); err != nil || h.Height == 0 {
			t.Fatalf("keyless call %d: %+v %v", i, h, err)
		}
	}
	a := fetch(t, srv, "GET", "/height", "", nil, "")
	if a.Resp.StatusCode != 429 || a.Resp.Header.Get("Retry-After") != "1" {
		t.Errorf("third keyless call in a second: %d %v", a.Resp.StatusCode, a.Resp.Header)
	}
	clock.Advance(1e9)
	recs := srv.Requests()
	if recs[1].AuthVia != "" || recs[1].KeyID != "" || recs[1].Status != 200 {
		t.Errorf("a keyless call is logged as %+v", recs[1])
	}
	// A key that is sent is still checked.
	unknown, _ := keys.HyperSync.Generate(keys.EnvLive, nil)
	if a := fetch(t, srv, "GET", "/height", unknown.Reveal(), nil, ""); a.Resp.StatusCode != 401 {
		t.Errorf("an unknown token on a keyless server: %d", a.Resp.StatusCode)
	}
	// An endpoint with a scope needs a key (newServer added /v1/serp).
	if a := fetch(t, srv, "GET", "/v1/serp", "", nil, ""); a.Resp.StatusCode != 401 {
		t.Errorf("keyless call to a scoped endpoint: %d", a.Resp.StatusCode)
	}
	for _, svc := range []client.Service{client.Hypedata, client.Hypersave, client.HopX, client.Web3Storage} {
		s, _ := newServer(t, svc)
		if err := s.AllowKeyless(0); err == nil || !strings.Contains(err.Error(), svc.Name) {
			t.Errorf("%s AllowKeyless: %v", svc.Name, err)
		}
		if _, err := s.NewKeylessClient(); err == nil {
			t.Errorf("%s NewKeylessClient: no error", svc.Name)
		}
	}
	if err := srv.AllowKeyless(-1); err == nil {
		t.Error("AllowKeyless(-1): no error")
	}
}

// TestHopXSandboxes: create, get, list and delete, with the dialect's 400
// and 404.
func TestHopXSandboxes(t *testing.T) {
	srv, _ := newServer(t, client.HopX)
	k, _ := issue(t, srv, clienttest.KeyParams{})
	c, _ := srv.NewClient(k, client.WithMaxRetries(0))
	defer c.CloseIdleConnections()
	ctx := context.Background()
	var sb struct{ ID, TemplateID, Status string }
	if err := c.Do(ctx, "POST", "/v1/sandboxes", map[string]string{"template_id": "code-interpreter"}, &sb); err != nil || sb.ID == "" || sb.Status != "running" {
		t.Fatalf("create: %+v %v", sb, err)
	}
	var list struct{ Data []struct{ ID string } }
	if err := c.Do(ctx, "GET", "/v1/sandboxes", nil, &list); err != nil || len(list.Data) != 1 || list.Data[0].ID != sb.ID {
		t.Errorf("list: %+v %v", list, err)
	}
	if err := c.Do(ctx, "GET", "/v1/sandboxes/"+sb.ID, nil, nil); err != nil {
		t.Errorf("get: %v", err)
	}
	if err := c.Do(ctx, "DELETE", "/v1/sandboxes/"+sb.ID, nil, nil); err != nil {
		t.Errorf("delete: %v", err)
	}
	var ae *apierrors.Error
	if err := c.Do(ctx, "GET", "/v1/sandboxes/"+sb.ID, nil, nil); !errors.As(err, &ae) || ae.Code != apierrors.CodeNotFound {
		t.Errorf("get after delete: %v", err)
	}
	if err := c.Do(ctx, "POST", "/v1/sandboxes", map[string]string{"template_id": "nope"}, nil); !errors.As(err, &ae) || ae.StatusCode != 400 || ae.RequestID == "" {
		t.Errorf("unknown template: %v", err)
	}
	if err := c.Do(ctx, "POST", "/v1/sandboxes", []byte(`not json`), nil); !errors.As(err, &ae) || ae.StatusCode != 400 {
		t.Errorf("bad body: %v", err)
	}
}
