package clienttest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/keys"
)

// TestRequestLog: each record has the method, path (no query), status,
// canonical code, key id, redacted key, idempotency key, how the key came
// and the caller's IP, stamped with the server's clock; no record holds a
// secret, whichever way the key came and whether the server knew it.
func TestRequestLog(t *testing.T) {
	for _, svc := range allServices {
		t.Run(svc.Name, func(t *testing.T) {
			srv, clock := newServer(t, svc)
			k, info := issue(t, srv, clienttest.KeyParams{Scopes: []string{"jobs", "scrape"}})
			revoked, rinfo := issue(t, srv, clienttest.KeyParams{})
			_ = srv.RevokeKey(rinfo.ID, "gone")
			unknown, _ := svc.KeyFormat.Generate(keys.EnvLive, nil)
			secrets := []string{k.Reveal(), revoked.Reveal(), unknown.Reveal()}

			fetch(t, srv, "POST", "/v1/jobs", k.Reveal(), http.Header{"Idempotency-Key": {"idem-1"}}, `{}`)
			clock.Advance(time.Second)
			fetch(t, srv, "GET", "/v1/serp?q=secret-query", "", http.Header{"X-Api-Key": {k.Reveal()}}, "")
			fetch(t, srv, "GET", "/v1/scrape?url=x&api_key="+k.Reveal(), "", nil, "")
			scrape(t, srv, revoked.Reveal())
			scrape(t, srv, unknown.Reveal())
			scrape(t, srv, "")

			type row struct {
				method, path string
				status       int
				code, keyID  string
				redacted     string
				idem, via    string
			}
			revokedStatus := 401
			if svc.Dialect == client.DialectWeb3 {
				revokedStatus = 403
			}
			// X-API-Key is read only by HopX, ?api_key only by Hypedata:
			// elsewhere the key is not seen.
			header := row{"GET", "/v1/serp", 403, "insufficient_scope", info.ID, k.String(), "", "header"}
			if svc.Dialect != client.DialectHopX {
				header = row{"GET", "/v1/serp", 401, "missing_credentials", "", "", "", ""}
			}
			query := row{"GET", "/v1/scrape", 200, "", info.ID, k.String(), "", "query"}
			if svc.Dialect != client.DialectHypedata {
				query = row{"GET", "/v1/scrape", 401, "missing_credentials", "", "", "", ""}
			}
			want := []row{
				{"POST", "/v1/jobs", 201, "", info.ID, k.String(), "idem-1", "bearer"},
				header,
				query,
				{"GET", "/v1/scrape", revokedStatus, "revoked", rinfo.ID, revoked.String(), "", "bearer"},
				{"GET", "/v1/scrape", 401, "unknown_key", "", "", "", "bearer"},
				{"GET", "/v1/scrape", 401, "missing_credentials", "", "", "", ""},
			}
			recs := srv.Requests()
			if len(recs) != len(want) {
				t.Fatalf("%d records, want %d: %+v", len(recs), len(want), recs)
			}
			for i, w := range want {
				r := recs[i]
				got := row{r.Method, r.Path, r.Status, r.Code, r.KeyID, r.Key, r.IdempotencyKey, r.AuthVia}
				if got != w {
					t.Errorf("record %d: %+v, want %+v", i, got, w)
				}
				if r.RemoteIP != "127.0.0.1" {
					t.Errorf("record %d: RemoteIP %q", i, r.RemoteIP)
				}
			}
			if !recs[0].Time.Equal(start) || !recs[1].Time.Equal(start.Add(time.Second)) {
				t.Errorf("times %v %v, want the fake clock's", recs[0].Time, recs[1].Time)
			}
			if recs[0].Key == "" || recs[0].Key != info.Redacted {
				t.Errorf("Key %q, want the redacted %q", recs[0].Key, info.Redacted)
			}
			b, _ := json.Marshal(recs)
			printed := fmt.Sprintf("%v\n%+v\n%#v\n%s", recs, recs, recs, b)
			for i, s := range secrets {
				if strings.Contains(printed, s) {
					t.Errorf("the request log holds secret %d", i)
				}
			}
			srv.ResetRequests()
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d records after ResetRequests", n)
			}
		})
	}
}

// TestRequestsIsACopy: changing the returned slice does not change the log.
func TestRequestsIsACopy(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	scrape(t, srv, "")
	recs := srv.Requests()
	recs[0].Path = "/changed"
	if srv.Requests()[0].Path != "/v1/scrape" {
		t.Error("Requests returned the log itself")
	}
}

// TestConcurrentKeys: 200 goroutines on 5 keys (SDK clients and plain
// net/http), while others read the log, usage and balance, issue and revoke
// keys and move the clock: every request is counted once, on its key, and
// paid once (run with -race).
func TestConcurrentKeys(t *testing.T) {
	srv, clock := newServer(t, client.Hypedata, clienttest.WithBalance(1_000_000))
	const nKeys, nCalls = 5, 200
	type keyed struct {
		key keys.Key
		id  string
		c   *client.Client
	}
	ks := make([]keyed, nKeys)
	for i := range ks {
		k, info := issue(t, srv, clienttest.KeyParams{Name: fmt.Sprint("worker-", i), Scopes: []string{"scrape"}})
		c, err := srv.NewClient(k)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseIdleConnections()
		ks[i] = keyed{k, info.ID, c}
	}
	sent := make([]int64, nKeys)
	for i := range nCalls {
		sent[i%nKeys]++
	}

	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(1)
	go func() { // readers and writers of other state
		defer bg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_ = srv.Requests()
			_ = srv.Balance()
			_, _ = srv.Usage(ks[i%nKeys].id)
			_, _ = srv.Key(ks[i%nKeys].id)
			_, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "bystander"})
			_ = srv.RevokeKey(info.ID, "")
			clock.Advance(time.Millisecond)
			_ = clock.Now()
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, nCalls)
	for i := range nCalls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := ks[i%nKeys]
			if i%2 == 0 {
				errs <- k.c.Do(context.Background(), "GET", "/v1/scrape?url=x", nil, nil)
				return
			}
			req, _ := http.NewRequest("GET", srv.URL+"/v1/scrape?url=x", nil)
			req.Header.Set("Authorization", "Bearer "+k.key.Reveal())
			resp, err := srv.HTTPClient().Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(stop)
	bg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}

	var total int64
	for i, k := range ks {
		u, _ := srv.Usage(k.id)
		if u.Requests != sent[i] || u.Credits != sent[i] {
			t.Errorf("key %d: usage %+v, want %d requests and credits", i, u, sent[i])
		}
		total += u.Requests
	}
	if total != nCalls || srv.Balance() != 1_000_000-nCalls {
		t.Errorf("total %d requests, balance %d; want %d and %d", total, srv.Balance(), nCalls, 1_000_000-nCalls)
	}
	var logged int
	for _, r := range srv.Requests() {
		if r.Path == "/v1/scrape" && r.Status == 200 {
			logged++
		}
	}
	if logged != nCalls {
		t.Errorf("%d scrapes in the log, want %d", logged, nCalls)
	}
	if n := srv.Connections(); n > nCalls {
		t.Errorf("%d connections for %d requests", n, nCalls)
	}
}

// TestConcurrentRateLimit: 50 goroutines on one key limited to 7 per
// second: exactly 7 pass in the fake-clock second, the rest are 429.
func TestConcurrentRateLimit(t *testing.T) {
	srv, _ := newServer(t, client.HopX)
	k, info := issue(t, srv, clienttest.KeyParams{RateLimitPerSecond: 7})
	statuses := make(chan int, 50)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", srv.URL+"/v1/scrape?url=x", nil)
			req.Header.Set("X-API-Key", k.Reveal())
			resp, err := srv.HTTPClient().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[200] != 7 || count[429] != 43 {
		t.Errorf("statuses %v, want 7 x 200 and 43 x 429", count)
	}
	if u, _ := srv.Usage(info.ID); u.Requests != 50 || u.Credits != 7 {
		t.Errorf("usage %+v, want 50 requests, 7 credits", u)
	}
}

// TestTLS: WithTLS serves HTTPS that HTTPClient and NewClient trust.
func TestTLS(t *testing.T) {
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithTLS())
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "https://") || srv.Service().BaseURL != srv.URL {
		t.Fatalf("URL %q, Service().BaseURL %q", srv.URL, srv.Service().BaseURL)
	}
	k, _ := issue(t, srv, clienttest.KeyParams{})
	if a := scrape(t, srv, k.Reveal()); a.Resp.StatusCode != 200 || a.Resp.TLS == nil {
		t.Errorf("plain HTTPS: %d", a.Resp.StatusCode)
	}
	c, err := srv.NewClient(k)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	if _, err := c.Verify(context.Background()); err != nil {
		t.Errorf("SDK over TLS: %v", err)
	}
}

// TestIssueKeyValidation: IssueKey refuses unknown scopes and bad CIDRs,
// accepts a single IP, and stores what it was given.
func TestIssueKeyValidation(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	if _, _, err := srv.IssueKey(clienttest.KeyParams{Name: "x", Scopes: []string{"everything"}}); err == nil || !strings.Contains(err.Error(), "everything") {
		t.Errorf("unknown scope: %v", err)
	}
	if _, _, err := srv.IssueKey(clienttest.KeyParams{Name: "x", AllowedIPs: []string{"10.0.0.0/33"}}); err == nil {
		t.Error("a bad CIDR was accepted")
	}
	k, info := issue(t, srv, clienttest.KeyParams{AllowedIPs: []string{"127.0.0.1"}, Scopes: clienttest.AllScopes()})
	if a := scrape(t, srv, k.Reveal()); a.Resp.StatusCode != 200 {
		t.Errorf("a key allowed from 127.0.0.1: %d", a.Resp.StatusCode)
	}
	got, ok := srv.Key(info.ID)
	if !ok || got.CreditsUsed != 1 || got.LastUsedAt == nil || len(got.Scopes) != 7 || got.Environment != "live" || !strings.HasPrefix(got.Redacted, "hd_live_") {
		t.Errorf("Key: %+v %v", got, ok)
	}
	if _, ok := srv.Key("key_nope"); ok {
		t.Error("Key found an unknown id")
	}
	if _, ok := srv.Usage("key_nope"); ok {
		t.Error("Usage found an unknown id")
	}
	if err := srv.RevokeKey("key_nope", ""); err == nil {
		t.Error("RevokeKey of an unknown id succeeded")
	}
}
