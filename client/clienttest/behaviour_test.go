package clienttest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/keys"
)

// TestTestKeysEveryDialect: test keys are never charged (not even against an
// empty balance or a ceiling), in every dialect. Hypedata's also say
// X-Hd-Mode: test and are capped at 10 requests per fake-clock second, as
// its page says; the other services document neither, so their test keys
// carry no such header and no cap.
func TestTestKeysEveryDialect(t *testing.T) {
	for _, svc := range allServices {
		t.Run(svc.Name, func(t *testing.T) {
			hd := svc.Dialect == client.DialectHypedata
			mode := map[bool]string{true: "test"}[hd]
			srv, clock := newServer(t, svc, clienttest.WithBalance(0))
			k, info := issue(t, srv, clienttest.KeyParams{Env: keys.EnvTest, CreditCeiling: 1})
			live, _ := issue(t, srv, clienttest.KeyParams{})
			clock.Advance(250 * time.Millisecond) // mid-second: the window still ends on the second
			for i := 1; i <= 10; i++ {
				a := scrape(t, srv, k.Reveal())
				if a.Resp.StatusCode != 200 || a.Resp.Header.Get("X-Hd-Mode") != mode {
					t.Fatalf("call %d: %d, X-Hd-Mode %q: %s", i, a.Resp.StatusCode, a.Resp.Header.Get("X-Hd-Mode"), a.Body)
				}
				if hd {
					wantHeaders(t, fmt.Sprint("call ", i), a.Resp.Header, map[string]string{"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": strconv.Itoa(10 - i), "X-RateLimit-Reset": "1"})
				}
			}
			a := scrape(t, srv, k.Reveal())
			if !hd {
				if a.Resp.StatusCode != 200 || a.Resp.Header.Get("X-RateLimit-Limit") != "" {
					t.Fatalf("11th call in the second: %d %v, want 200 and no limit (only Hypedata caps test keys)", a.Resp.StatusCode, a.Resp.Header)
				}
			} else {
				if a.Resp.StatusCode != 429 || a.Resp.Header.Get("X-Hd-Mode") != "test" {
					t.Fatalf("11th call in the second: %d, want 429", a.Resp.StatusCode)
				}
				wantHeaders(t, "11th call", a.Resp.Header, map[string]string{"Retry-After": "1", "X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0"})
			}
			clock.Advance(750 * time.Millisecond)
			if a := scrape(t, srv, k.Reveal()); a.Resp.StatusCode != 200 {
				t.Errorf("first call of the next second: %d", a.Resp.StatusCode)
			}
			if srv.Balance() != 0 {
				t.Errorf("balance %d: a test key was charged", srv.Balance())
			}
			if u, _ := srv.Usage(info.ID); u.Requests != 12 || u.Credits != 0 {
				t.Errorf("usage %+v, want 12 requests and no credits", u)
			}
			// A live key on the same server is charged, and here refused.
			if a := scrape(t, srv, live.Reveal()); a.Resp.StatusCode != 402 || a.Resp.Header.Get("X-Hd-Mode") != "" {
				t.Errorf("live key with no balance: %d, X-Hd-Mode %q", a.Resp.StatusCode, a.Resp.Header.Get("X-Hd-Mode"))
			}
		})
	}
}

// TestTestKeyCapBelowSoftCap: a test key's own lower limit applies; a higher
// one is capped at 10.
func TestTestKeyCapBelowSoftCap(t *testing.T) {
	for _, tc := range []struct{ perSecond, want int }{{3, 3}, {50, 10}} {
		srv, _ := newServer(t, client.Hypedata)
		k, _ := issue(t, srv, clienttest.KeyParams{Env: keys.EnvTest, RateLimitPerSecond: tc.perSecond})
		ok := 0
		for range 20 {
			if scrape(t, srv, k.Reveal()).Resp.StatusCode == 200 {
				ok++
			}
		}
		if ok != tc.want {
			t.Errorf("limit %d: %d calls passed in one second, want %d", tc.perSecond, ok, tc.want)
		}
	}
}

// TestLiveCharges: live keys pay each endpoint's cost from the balance and
// into the key's credits.
func TestLiveCharges(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata, clienttest.WithBalance(10))
	k, info := issue(t, srv, clienttest.KeyParams{})
	scrape(t, srv, k.Reveal())                                                                // 1
	fetch(t, srv, "GET", "/v1/serp?q=go", k.Reveal(), nil, "")                                // 2
	fetch(t, srv, "POST", "/v1/parse", k.Reveal(), nil, `{"b":1,"a":[2]}`)                    // 1
	fetch(t, srv, "POST", "/v1/jobs", k.Reveal(), nil, `{}`)                                  // 1
	fetch(t, srv, "GET", "/v1/whoami", k.Reveal(), nil, "")                                   // 0
	a := fetch(t, srv, "GET", "/v1/billing", k.Reveal(), nil, "")                             // 0
	if bill := jsonObject(t, a.Body); bill["balance"] != 5.0 || bill["credits_used"] != 5.0 { // 10 - 5
		t.Errorf("billing %v", bill)
	}
	if u, _ := srv.Usage(info.ID); u.Credits != 5 || u.Requests != 6 || srv.Balance() != 5 {
		t.Errorf("usage %+v, balance %d", u, srv.Balance())
	}
}

// TestEndpoints: the resource endpoints answer as PROTOCOL.md says.
func TestEndpoints(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	k, _ := issue(t, srv, clienttest.KeyParams{})
	a := fetch(t, srv, "POST", "/v1/parse", k.Reveal(), nil, `{"zeta":1,"alpha":{"x":2}}`)
	var parsed struct {
		Bytes  int      `json:"bytes"`
		Fields []string `json:"fields"`
	}
	if err := json.Unmarshal(a.Body, &parsed); err != nil || a.Resp.StatusCode != 200 || parsed.Bytes != 26 || fmt.Sprint(parsed.Fields) != "[alpha zeta]" {
		t.Errorf("parse: %d %s", a.Resp.StatusCode, a.Body)
	}
	if a := fetch(t, srv, "POST", "/v1/parse", k.Reveal(), nil, `[1]`); a.Resp.StatusCode != 400 {
		t.Errorf("parse of a non-object: %d", a.Resp.StatusCode)
	}
	if a := fetch(t, srv, "GET", "/v1/scrape", k.Reveal(), nil, ""); a.Resp.StatusCode != 400 {
		t.Errorf("scrape without url: %d", a.Resp.StatusCode)
	}
	a = fetch(t, srv, "GET", "/v1/serp?q=go", k.Reveal(), nil, "")
	var serp struct {
		Query   string `json:"query"`
		Results []struct{ Title, URL string }
	}
	if err := json.Unmarshal(a.Body, &serp); err != nil || serp.Query != "go" || len(serp.Results) == 0 {
		t.Errorf("serp: %s", a.Body)
	}
	a = fetch(t, srv, "POST", "/v1/jobs", k.Reveal(), nil, `{}`)
	if job := jsonObject(t, a.Body); a.Resp.StatusCode != 201 || job["status"] != "queued" {
		t.Errorf("jobs: %d %s", a.Resp.StatusCode, a.Body)
	}
	if a := fetch(t, srv, "DELETE", "/v1/scrape", k.Reveal(), nil, ""); a.Resp.StatusCode != 404 {
		t.Errorf("DELETE /v1/scrape: %d", a.Resp.StatusCode)
	}
}

// TestIdempotency: a repeated Idempotency-Key on POST /v1/jobs replays the
// first answer without creating a job; no key, or another API key, is a new
// job each time.
func TestIdempotency(t *testing.T) {
	post := func(t *testing.T, srv *clienttest.Server, key, idem string) (int, string) {
		t.Helper()
		h := http.Header{}
		if idem != "" {
			h.Set("Idempotency-Key", idem)
		}
		a := fetch(t, srv, "POST", "/v1/jobs", key, h, `{"url":"https://example.com"}`)
		id, _ := jsonObject(t, a.Body)["id"].(string)
		return a.Resp.StatusCode, id
	}
	t.Run("same key twice", func(t *testing.T) {
		srv, _ := newServer(t, client.Hypedata)
		k, _ := issue(t, srv, clienttest.KeyParams{})
		s1, id1 := post(t, srv, k.Reveal(), "order-42")
		s2, id2 := post(t, srv, k.Reveal(), "order-42")
		if s1 != 201 || s2 != 201 || id1 == "" || id1 != id2 {
			t.Errorf("answers %d %q and %d %q, want the same 201 job", s1, id1, s2, id2)
		}
		if n := srv.JobsProcessed(); n != 1 {
			t.Errorf("JobsProcessed %d, want 1", n)
		}
		if _, id3 := post(t, srv, k.Reveal(), "order-43"); id3 == id1 || srv.JobsProcessed() != 2 {
			t.Errorf("another idempotency key: job %q, processed %d", id3, srv.JobsProcessed())
		}
	})
	t.Run("no key twice", func(t *testing.T) {
		srv, _ := newServer(t, client.Hypedata)
		k, _ := issue(t, srv, clienttest.KeyParams{})
		_, id1 := post(t, srv, k.Reveal(), "")
		_, id2 := post(t, srv, k.Reveal(), "")
		if id1 == id2 || srv.JobsProcessed() != 2 {
			t.Errorf("jobs %q and %q, processed %d, want 2 different jobs", id1, id2, srv.JobsProcessed())
		}
	})
	t.Run("per API key", func(t *testing.T) {
		srv, _ := newServer(t, client.Hypedata)
		k1, _ := issue(t, srv, clienttest.KeyParams{})
		k2, _ := issue(t, srv, clienttest.KeyParams{})
		_, id1 := post(t, srv, k1.Reveal(), "same")
		_, id2 := post(t, srv, k2.Reveal(), "same")
		if id1 == id2 || srv.JobsProcessed() != 2 {
			t.Errorf("two API keys sharing an idempotency key got %q and %q", id1, id2)
		}
	})
	t.Run("SDK retry after a 503", func(t *testing.T) {
		srv, _ := newServer(t, client.Hypedata)
		k, _ := issue(t, srv, clienttest.KeyParams{})
		attempts := 1
		c, _ := srv.NewClient(k, client.WithRetryWait(time.Millisecond, time.Millisecond), client.WithRetryHook(func(client.RetryEvent) { attempts++ }))
		defer c.CloseIdleConnections()
		srv.FailNext(1, 503, 0)
		var job struct{ ID string }
		err := c.DoWith(context.Background(), "POST", "/v1/jobs", map[string]string{"url": "x"}, &job, client.WithIdempotencyKey("retry-me"))
		if err != nil || job.ID == "" || attempts != 2 || srv.JobsProcessed() != 1 {
			t.Errorf("err %v, job %q, attempts %d, processed %d", err, job.ID, attempts, srv.JobsProcessed())
		}
		// The same call again is a replay.
		var again struct{ ID string }
		_ = c.DoWith(context.Background(), "POST", "/v1/jobs", map[string]string{"url": "x"}, &again, client.WithIdempotencyKey("retry-me"))
		if again.ID != job.ID || srv.JobsProcessed() != 1 {
			t.Errorf("replay gave %q (first %q), processed %d", again.ID, job.ID, srv.JobsProcessed())
		}
	})
}

// TestIdempotentReplayIsFree: a replay does not process the job again, so
// it should not charge its credit again either.
func TestIdempotentReplayIsFree(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata, clienttest.WithBalance(1000))
	k, info := issue(t, srv, clienttest.KeyParams{})
	h := http.Header{"Idempotency-Key": {"once"}}
	fetch(t, srv, "POST", "/v1/jobs", k.Reveal(), h, `{}`)
	fetch(t, srv, "POST", "/v1/jobs", k.Reveal(), h, `{}`)
	u, _ := srv.Usage(info.ID)
	if srv.JobsProcessed() != 1 || u.Credits != 1 || srv.Balance() != 999 {
		t.Errorf("jobs %d, credits %d, balance %d after one job and its replay, want 1, 1 and 999 (a replay must not be charged again)",
			srv.JobsProcessed(), u.Credits, srv.Balance())
	}
}

// TestMonthlyLimitHeaders: PROTOCOL.md says every 429 carries Retry-After
// and the X-RateLimit-* headers.
func TestMonthlyLimitHeaders(t *testing.T) {
	srv, _ := newServer(t, client.Hypersave)
	k, _ := issue(t, srv, clienttest.KeyParams{MonthlyRequestLimit: 1})
	if a := scrape(t, srv, k.Reveal()); a.Resp.StatusCode != 200 {
		t.Fatalf("first call: %d", a.Resp.StatusCode)
	}
	a := scrape(t, srv, k.Reveal())
	if a.Resp.StatusCode != 429 || a.Resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over the monthly limit: %d, Retry-After %q", a.Resp.StatusCode, a.Resp.Header.Get("Retry-After"))
	}
	wantHeaders(t, "monthly 429", a.Resp.Header, map[string]string{"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0"})
}

// TestHypersaveSuccessBody: PROTOCOL.md says Hypersave success bodies carry
// "success": true at top level.
func TestHypersaveSuccessBody(t *testing.T) {
	srv, _ := newServer(t, client.Hypersave)
	k, _ := issue(t, srv, clienttest.KeyParams{})
	a := fetch(t, srv, "GET", "/v1/memories", k.Reveal(), nil, "")
	if a.Resp.StatusCode != 200 {
		t.Fatalf("memories: %d", a.Resp.StatusCode)
	}
	if body := jsonObject(t, a.Body); body["success"] != true {
		t.Errorf("Hypersave success body lacks \"success\": true (PROTOCOL.md, first paragraph): %s", a.Body)
	}
}

// TestDefaultBalanceIsUnlimited: a test that loops (thousands of live-key
// calls, each costing credits) never meets 402 workspace_balance unless it
// asked for a balance; SetBalance sets one and SetBalance(Unlimited) lifts it.
func TestDefaultBalanceIsUnlimited(t *testing.T) {
	srv, _ := newServer(t, client.Hypedata)
	k, info := issue(t, srv, clienttest.KeyParams{})
	for i := range 1200 { // serp costs 2: 2,400 credits, over the old default of 1000
		if a := fetch(t, srv, "GET", "/v1/serp?q=go", k.Reveal(), nil, ""); a.Resp.StatusCode != 200 {
			t.Fatalf("call %d: %d %s, want 200 with no balance set", i, a.Resp.StatusCode, a.Body)
		}
	}
	if u, _ := srv.Usage(info.ID); u.Credits != 2400 || srv.Balance() != clienttest.Unlimited {
		t.Errorf("credits %d, balance %d; want 2400 charged to the key and the balance still Unlimited", u.Credits, srv.Balance())
	}
	srv.SetBalance(1)
	if a := fetch(t, srv, "GET", "/v1/serp?q=go", k.Reveal(), nil, ""); a.Resp.StatusCode != 402 {
		t.Errorf("with a balance of 1: %d %s, want 402", a.Resp.StatusCode, a.Body)
	}
	srv.SetBalance(clienttest.Unlimited)
	if a := fetch(t, srv, "GET", "/v1/serp?q=go", k.Reveal(), nil, ""); a.Resp.StatusCode != 200 || srv.Balance() != clienttest.Unlimited {
		t.Errorf("after SetBalance(Unlimited): %d %s, balance %d", a.Resp.StatusCode, a.Body, srv.Balance())
	}
}
