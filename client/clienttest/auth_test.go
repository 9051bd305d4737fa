package clienttest_test

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// authCheck is one row of PROTOCOL.md's check table: the canonical code the
// server answers when the check fails, the documented status, and how to
// make a request fail that check (and no earlier one).
type authCheck struct {
	code   string
	status int
	// prepare sets the stage and returns the key to present and its id ("" for
	// a key the server does not know).
	prepare func(t *testing.T, e *authEnv) (key, id string)
	// after, when set, runs once the failing request was checked.
	after func(t *testing.T, e *authEnv, key string)
}

type authEnv struct {
	svc   client.Service
	srv   *clienttest.Server
	clock *clienttest.FakeClock
}

const revokeReason = "leaked in a CI log"

// authChecks are in PROTOCOL.md's order.
var authChecks = []authCheck{
	{code: "missing_credentials", status: 401, prepare: func(*testing.T, *authEnv) (string, string) { return "", "" }},
	{code: "malformed_token", status: 401, prepare: func(*testing.T, *authEnv) (string, string) { return "not-a-key", "" }},
	{code: "unknown_key", status: 401, prepare: func(t *testing.T, e *authEnv) (string, string) {
		k, err := e.svc.KeyFormat.Generate(keys.EnvLive, nil)
		if err != nil {
			t.Fatal(err)
		}
		return k.Reveal(), ""
	}},
	{code: "revoked", status: 401, prepare: func(t *testing.T, e *authEnv) (string, string) {
		k, info := issue(t, e.srv, clienttest.KeyParams{})
		if err := e.srv.RevokeKey(info.ID, revokeReason); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute) // the revocation time is start, not "now"
		return k.Reveal(), info.ID
	}},
	{code: "expired", status: 401, prepare: func(t *testing.T, e *authEnv) (string, string) {
		k, info := issue(t, e.srv, clienttest.KeyParams{ExpiresAt: start.Add(time.Hour)})
		if a := scrape(t, e.srv, k.Reveal()); a.Resp.StatusCode != 200 {
			t.Fatalf("before expiry: %d %s", a.Resp.StatusCode, a.Body)
		}
		e.clock.Advance(time.Hour) // expires_at is reached: expired
		return k.Reveal(), info.ID
	}},
	{code: "unauthorized_ip", status: 403, prepare: func(t *testing.T, e *authEnv) (string, string) {
		k, info := issue(t, e.srv, clienttest.KeyParams{AllowedIPs: []string{"10.0.0.0/8"}})
		return k.Reveal(), info.ID
	}},
	{code: "insufficient_scope", status: 403, prepare: func(t *testing.T, e *authEnv) (string, string) {
		k, info := issue(t, e.srv, clienttest.KeyParams{Scopes: []string{"serp", "jobs"}})
		return k.Reveal(), info.ID
	}},
	{code: "key_ceiling_exceeded", status: 402, prepare: func(t *testing.T, e *authEnv) (string, string) {
		k, info := issue(t, e.srv, clienttest.KeyParams{CreditCeiling: 1})
		if a := scrape(t, e.srv, k.Reveal()); a.Resp.StatusCode != 200 {
			t.Fatalf("first call under the ceiling: %d %s", a.Resp.StatusCode, a.Body)
		}
		return k.Reveal(), info.ID
	}},
	{code: "workspace_balance", status: 402, prepare: func(t *testing.T, e *authEnv) (string, string) {
		k, info := issue(t, e.srv, clienttest.KeyParams{})
		e.srv.SetBalance(0)
		return k.Reveal(), info.ID
	}},
	{code: "rate_limited", status: 429,
		prepare: func(t *testing.T, e *authEnv) (string, string) {
			k, info := issue(t, e.srv, clienttest.KeyParams{RateLimitPerSecond: 1})
			a := scrape(t, e.srv, k.Reveal())
			if a.Resp.StatusCode != 200 {
				t.Fatalf("first call in the second: %d %s", a.Resp.StatusCode, a.Body)
			}
			wantHeaders(t, "first call", a.Resp.Header, map[string]string{"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"})
			return k.Reveal(), info.ID
		},
		after: func(t *testing.T, e *authEnv, key string) {
			e.clock.Advance(time.Second)
			a := scrape(t, e.srv, key)
			if a.Resp.StatusCode != 200 {
				t.Fatalf("after the window: %d %s", a.Resp.StatusCode, a.Body)
			}
			wantHeaders(t, "after the window", a.Resp.Header, map[string]string{"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"})
		}},
}

// lossy lists, per dialect, the checks whose canonical code the dialect
// cannot carry, and what the SDK's decoder makes of them instead.
var lossy = map[client.Dialect]map[string]apierrors.Code{
	client.DialectHypersave: {
		"malformed_token":      apierrors.CodeUnknownKey, // "Invalid API key provided" for both
		"unauthorized_ip":      apierrors.CodePermissionDenied,
		"insufficient_scope":   apierrors.CodePermissionDenied,
		"key_ceiling_exceeded": apierrors.CodePaymentRequired,
		"workspace_balance":    apierrors.CodePaymentRequired,
	},
	client.DialectWeb3: {
		"malformed_token": apierrors.CodeMalformedToken,   // ERROR_MALFORMED_TOKEN
		"revoked":         apierrors.CodePermissionDenied, // 403 ERROR_TOKEN_BLOCKED
		"expired":         apierrors.CodePermissionDenied, // 403 ERROR_TOKEN_BLOCKED
	},
	// HyperSync's plain text leads with the code ("revoked: …"): nothing
	// is lost.
}

// codeSentinels maps canonical codes to their sentinels.
var codeSentinels = map[apierrors.Code]error{
	apierrors.CodeMissingCredentials: apierrors.ErrMissingCredentials,
	apierrors.CodeMalformedToken:     apierrors.ErrMalformedToken,
	apierrors.CodeUnknownKey:         apierrors.ErrUnknownKey,
	apierrors.CodeRevoked:            apierrors.ErrRevoked,
	apierrors.CodeExpired:            apierrors.ErrExpired,
	apierrors.CodeUnauthorizedIP:     apierrors.ErrUnauthorizedIP,
	apierrors.CodeInsufficientScope:  apierrors.ErrInsufficientScope,
	apierrors.CodeKeyCeilingExceeded: apierrors.ErrKeyCeilingExceeded,
	apierrors.CodeWorkspaceBalance:   apierrors.ErrWorkspaceBalance,
	apierrors.CodeRateLimited:        apierrors.ErrRateLimited,
}

var classSentinels = map[int]error{
	401: apierrors.ErrAuthentication,
	403: apierrors.ErrPermission,
	402: apierrors.ErrPayment,
	429: apierrors.ErrRateLimited,
}

var requestIDPattern = regexp.MustCompile(`^req_[A-Za-z0-9]{10}$`)

func TestAuthChecksHypedata(t *testing.T)    { runAuthChecks(t, client.Hypedata) }
func TestAuthChecksHypersave(t *testing.T)   { runAuthChecks(t, client.Hypersave) }
func TestAuthChecksHopX(t *testing.T)        { runAuthChecks(t, client.HopX) }
func TestAuthChecksWeb3Storage(t *testing.T) { runAuthChecks(t, client.Web3Storage) }
func TestAuthChecksHyperSync(t *testing.T)   { runAuthChecks(t, client.HyperSync) }

// runAuthChecks makes each check of PROTOCOL.md fail in turn, on a fresh
// server, with plain net/http requests, and checks the status, the dialect's
// body and headers, what apierrors.FromResponse makes of the answer, and
// that the failed request charged nothing and was counted only from check 6
// on.
func runAuthChecks(t *testing.T, svc client.Service) {
	for _, chk := range authChecks {
		t.Run(chk.code, func(t *testing.T) {
			srv, clock := newServer(t, svc)
			e := &authEnv{svc: svc, srv: srv, clock: clock}
			key, id := chk.prepare(t, e)

			balance := srv.Balance()
			var before client.KeyUsage
			if id != "" {
				before, _ = srv.Usage(id)
			}
			a := scrape(t, srv, key)

			status := chk.status
			if svc.Dialect == client.DialectWeb3 && (chk.code == "revoked" || chk.code == "expired") {
				status = http.StatusForbidden // ERROR_TOKEN_BLOCKED
			}
			if a.Resp.StatusCode != status {
				t.Fatalf("status %d, want %d: %s", a.Resp.StatusCode, status, a.Body)
			}
			reqID := a.Resp.Header.Get("X-Request-ID")
			if !requestIDPattern.MatchString(reqID) {
				t.Errorf("X-Request-ID %q, want req_ and 10 letters or digits", reqID)
			}
			if len(key) > 8 && strings.Contains(string(a.Body)+fmt.Sprint(a.Resp.Header), key) {
				t.Error("the answer echoes the key")
			}
			if status == http.StatusTooManyRequests {
				wantHeaders(t, "429", a.Resp.Header, map[string]string{"Retry-After": "1", "X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"})
			}
			checkDialectBody(t, svc.Dialect, chk.code, status, a)
			checkDecoded(t, svc.Dialect, chk.code, status, a)

			if got := srv.Balance(); got != balance {
				t.Errorf("the failed request changed the balance: %d -> %d", balance, got)
			}
			if id != "" {
				after, _ := srv.Usage(id)
				want := before.Requests
				if chk.status != 401 { // rejected from check 6 on: counted
					want++
				}
				if after.Requests != want || after.Credits != before.Credits {
					t.Errorf("usage %+v -> %+v, want %d requests and no credits charged", before, after, want)
				}
			}
			recs := srv.Requests()
			last := recs[len(recs)-1]
			if last.Status != status || last.Code != chk.code || last.KeyID != id {
				t.Errorf("request log %+v, want status %d, code %s, key id %q", last, status, chk.code, id)
			}
			if chk.after != nil {
				chk.after(t, e, key)
			}
		})
	}
}

// checkDialectBody checks the error body and headers as PROTOCOL.md
// documents them for the dialect.
func checkDialectBody(t *testing.T, d client.Dialect, code string, status int, a answer) {
	t.Helper()
	reqID := a.Resp.Header.Get("X-Request-ID")
	ct := a.Resp.Header.Get("Content-Type")
	if d == client.DialectHyperSync {
		if !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type %q, want text/plain", ct)
		}
		if b := strings.TrimSpace(string(a.Body)); b == "" || strings.HasPrefix(b, "{") {
			t.Errorf("body %q, want plain text", a.Body)
		}
		return
	}
	if !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	body := jsonObject(t, a.Body)
	switch d {
	case client.DialectHypedata:
		inner := object(t, body, "error")
		if inner["code"] != code || inner["message"] == "" || inner["message"] == nil {
			t.Errorf("error %v, want code %s and a message", inner, code)
		}
		if body["request_id"] != reqID {
			t.Errorf("request_id %v, want the X-Request-ID %s", body["request_id"], reqID)
		}
		www := a.Resp.Header.Get("WWW-Authenticate")
		switch status {
		case 401, 402, 403:
			for _, want := range []string{`Bearer realm="hypedata"`, `error="` + code + `"`, `error_description="`} {
				if !strings.Contains(www, want) {
					t.Errorf("WWW-Authenticate %q lacks %s", www, want)
				}
			}
		default:
			if www != "" {
				t.Errorf("WWW-Authenticate %q on a %d", www, status)
			}
		}
		switch code {
		case "revoked":
			if inner["revoked_at"] != start.Format(time.RFC3339) || inner["reason"] != revokeReason {
				t.Errorf("revoked: revoked_at %v, reason %v", inner["revoked_at"], inner["reason"])
			}
		case "insufficient_scope":
			if inner["required_scope"] != "scrape" || !strings.Contains(www, `scope="scrape"`) {
				t.Errorf("required_scope %v, WWW-Authenticate %q", inner["required_scope"], www)
			}
		case "rate_limited":
			if inner["retry_after"] != 1.0 {
				t.Errorf("retry_after %v, want 1", inner["retry_after"])
			}
		}
	case client.DialectHypersave:
		word := map[int]string{401: "UNAUTHORIZED", 403: "FORBIDDEN", 402: "PAYMENT_REQUIRED", 429: "RATE_LIMITED"}[status]
		if body["success"] != false || body["error"] != word {
			t.Errorf("body %v, want success false and error %s", body, word)
		}
		msg, _ := body["message"].(string)
		wantMsg := map[string]string{
			"malformed_token": "Invalid API key provided",
			"unknown_key":     "Invalid API key provided",
			"expired":         "API key has expired",
			"revoked":         "API key has been revoked",
		}[code]
		switch {
		case code == "missing_credentials":
			// PROTOCOL.md's full sentence is checked in
			// TestHypersaveMissingKeyMessage.
			if !strings.HasPrefix(msg, "No API key provided.") {
				t.Errorf("message %q", msg)
			}
		case wantMsg != "" && msg != wantMsg:
			t.Errorf("message %q, want %q", msg, wantMsg)
		case msg == "":
			t.Error("no message")
		}
		if code == "rate_limited" && body["retryAfter"] != 1.0 {
			t.Errorf("retryAfter %v, want 1", body["retryAfter"])
		}
	case client.DialectHopX:
		inner := object(t, body, "error")
		if inner["code"] != code || inner["message"] == "" || inner["request_id"] != reqID {
			t.Errorf("error %v, want code %s, a message and request_id %s", inner, code, reqID)
		}
		switch code {
		case "insufficient_scope":
			if details := object(t, inner, "details"); details["required_scope"] != "scrape" {
				t.Errorf("details %v, want required_scope scrape", details)
			}
		case "rate_limited":
			if details := object(t, inner, "details"); details["retry_after_seconds"] != 1.0 {
				t.Errorf("details %v, want retry_after_seconds 1", details)
			}
		}
	case client.DialectWeb3:
		want := map[string]string{
			"missing_credentials": "ERROR_NO_TOKEN",
			"malformed_token":     "ERROR_MALFORMED_TOKEN",
			"unknown_key":         "ERROR_TOKEN_NOT_FOUND",
			"revoked":             "ERROR_TOKEN_BLOCKED",
			"expired":             "ERROR_TOKEN_BLOCKED",
		}[code]
		if want == "" {
			want = "ERROR_" + strings.ToUpper(code)
		}
		if body["code"] != want || body["message"] == "" || body["message"] == nil {
			t.Errorf("body %v, want code %s and a message", body, want)
		}
	}
}

// checkDecoded checks what apierrors.FromResponse makes of the answer: the
// canonical code where the dialect carries it, the sentinels, and the
// details (request id, wait, scope, revocation).
func checkDecoded(t *testing.T, d client.Dialect, code string, status int, a answer) {
	t.Helper()
	err := apierrors.FromResponse(a.Resp)
	var ae *apierrors.Error
	if !errors.As(err, &ae) {
		t.Fatalf("FromResponse: %T %v, want *apierrors.Error", err, err)
	}
	want, isLossy := lossy[d][code]
	if !isLossy {
		want = apierrors.Code(code)
	}
	if ae.StatusCode != status || ae.Code != want {
		t.Errorf("decoded status %d code %s (raw %q), want %d %s", ae.StatusCode, ae.Code, ae.RawCode, status, want)
	}
	class := classSentinels[status]
	if !errors.Is(err, class) {
		t.Errorf("errors.Is(%v, %v) is false", err, class)
	}
	for c, s := range codeSentinels {
		if got := errors.Is(err, s); got != (c == want) && s != class {
			t.Errorf("errors.Is(err, %v) = %v", s, got)
		}
	}
	for st, s := range classSentinels {
		if st != status && errors.Is(err, s) {
			t.Errorf("a %d matches the class %v", status, s)
		}
	}
	if d != client.DialectHyperSync && d != client.DialectWeb3 && d != client.DialectHypersave && ae.RequestID != a.Resp.Header.Get("X-Request-ID") {
		t.Errorf("RequestID %q, want %q", ae.RequestID, a.Resp.Header.Get("X-Request-ID"))
	}
	if ae.RequestID == "" {
		t.Error("no RequestID")
	}
	if code == "rate_limited" && ae.RetryAfter != time.Second {
		t.Errorf("RetryAfter %v, want 1s", ae.RetryAfter)
	}
	if code == "insufficient_scope" && (d == client.DialectHypedata || d == client.DialectHopX) && ae.RequiredScope != "scrape" {
		t.Errorf("RequiredScope %q, want scrape", ae.RequiredScope)
	}
	if code == "revoked" && d == client.DialectHypedata && (!ae.RevokedAt.Equal(start) || ae.Reason != revokeReason) {
		t.Errorf("RevokedAt %v, Reason %q", ae.RevokedAt, ae.Reason)
	}
	if strings.Contains(err.Error(), "not-a-key") {
		t.Errorf("the error quotes the key: %v", err)
	}
}

func wantHeaders(t *testing.T, what string, h http.Header, want map[string]string) {
	t.Helper()
	for name, v := range want {
		if got := h.Get(name); got != v {
			t.Errorf("%s: %s %q, want %q", what, name, got, v)
		}
	}
}

// TestCheckPrecedence gives keys that fail several checks at once: the
// first failing check in PROTOCOL.md's order answers, in every dialect (the
// request log's Code is the canonical one whatever the dialect says).
func TestCheckPrecedence(t *testing.T) {
	scenarios := []struct {
		name string
		want string
		run  func(t *testing.T, srv *clienttest.Server, clock *clienttest.FakeClock) answer
	}{
		{"revoked before expired, IP and scope", "revoked", func(t *testing.T, srv *clienttest.Server, clock *clienttest.FakeClock) answer {
			k, info := issue(t, srv, clienttest.KeyParams{ExpiresAt: start.Add(time.Minute), AllowedIPs: []string{"10.0.0.0/8"}, Scopes: []string{"serp"}})
			_ = srv.RevokeKey(info.ID, "")
			clock.Advance(time.Hour)
			return scrape(t, srv, k.Reveal())
		}},
		{"expired before IP and scope", "expired", func(t *testing.T, srv *clienttest.Server, clock *clienttest.FakeClock) answer {
			k, _ := issue(t, srv, clienttest.KeyParams{ExpiresAt: start.Add(time.Minute), AllowedIPs: []string{"10.0.0.0/8"}, Scopes: []string{"serp"}})
			clock.Advance(time.Hour)
			return scrape(t, srv, k.Reveal())
		}},
		{"IP before scope and balance", "unauthorized_ip", func(t *testing.T, srv *clienttest.Server, _ *clienttest.FakeClock) answer {
			k, _ := issue(t, srv, clienttest.KeyParams{AllowedIPs: []string{"10.0.0.0/8", "192.168.1.7"}, Scopes: []string{"serp"}})
			srv.SetBalance(0)
			return scrape(t, srv, k.Reveal())
		}},
		{"scope before ceiling and balance", "insufficient_scope", func(t *testing.T, srv *clienttest.Server, _ *clienttest.FakeClock) answer {
			k, _ := issue(t, srv, clienttest.KeyParams{Scopes: []string{"serp"}, CreditCeiling: 1})
			srv.SetBalance(0)
			return scrape(t, srv, k.Reveal())
		}},
		{"ceiling before balance and rate limit", "key_ceiling_exceeded", func(t *testing.T, srv *clienttest.Server, _ *clienttest.FakeClock) answer {
			k, _ := issue(t, srv, clienttest.KeyParams{CreditCeiling: 1, RateLimitPerSecond: 1})
			if a := scrape(t, srv, k.Reveal()); a.Resp.StatusCode != 200 {
				t.Fatalf("first call: %d", a.Resp.StatusCode)
			}
			srv.SetBalance(0)
			return scrape(t, srv, k.Reveal())
		}},
		{"ceiling counts the endpoint's cost", "key_ceiling_exceeded", func(t *testing.T, srv *clienttest.Server, _ *clienttest.FakeClock) answer {
			k, _ := issue(t, srv, clienttest.KeyParams{CreditCeiling: 1})
			return fetch(t, srv, "GET", "/v1/serp?q=go", k.Reveal(), nil, "") // costs 2
		}},
		{"balance before rate limit", "workspace_balance", func(t *testing.T, srv *clienttest.Server, _ *clienttest.FakeClock) answer {
			k, _ := issue(t, srv, clienttest.KeyParams{RateLimitPerSecond: 1})
			if a := scrape(t, srv, k.Reveal()); a.Resp.StatusCode != 200 {
				t.Fatalf("first call: %d", a.Resp.StatusCode)
			}
			srv.SetBalance(0)
			return scrape(t, srv, k.Reveal())
		}},
		{"balance covers the endpoint's cost", "workspace_balance", func(t *testing.T, srv *clienttest.Server, _ *clienttest.FakeClock) answer {
			k, _ := issue(t, srv, clienttest.KeyParams{})
			srv.SetBalance(1)
			return fetch(t, srv, "GET", "/v1/serp?q=go", k.Reveal(), nil, "") // costs 2
		}},
		{"the hourly limit", "rate_limited", func(t *testing.T, srv *clienttest.Server, clock *clienttest.FakeClock) answer {
			k, _ := issue(t, srv, clienttest.KeyParams{RateLimitPerSecond: 5, RateLimitPerHour: 2})
			for range 2 {
				if a := scrape(t, srv, k.Reveal()); a.Resp.StatusCode != 200 {
					t.Fatalf("call under the limit: %d", a.Resp.StatusCode)
				}
				clock.Advance(10 * time.Second)
			}
			a := scrape(t, srv, k.Reveal())
			// Windows are fixed and aligned to the clock: this one is
			// 09:00-10:00 and it is 09:30:20, so 1780 s to go.
			wantHeaders(t, "hourly 429", a.Resp.Header, map[string]string{"Retry-After": "1780", "X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1780"})
			return a
		}},
	}
	for _, svc := range allServices {
		for _, sc := range scenarios {
			t.Run(svc.Name+"/"+sc.name, func(t *testing.T) {
				srv, clock := newServer(t, svc)
				a := sc.run(t, srv, clock)
				recs := srv.Requests()
				if got := recs[len(recs)-1].Code; got != sc.want {
					t.Errorf("code %q (status %d, %s), want %s", got, a.Resp.StatusCode, a.Body, sc.want)
				}
			})
		}
	}
}

// TestKeyTransports: the key is read where the service reads it — a bearer
// token everywhere, X-API-Key where the page documents it (HopX), ?api_key
// where the page documents it (Hypedata) — and the request log says which.
// Anywhere else the server does not see it (401 missing_credentials), as
// the real service would not.
func TestKeyTransports(t *testing.T) {
	for _, svc := range allServices {
		t.Run(svc.Name, func(t *testing.T) {
			srv, _ := newServer(t, svc)
			k, info := issue(t, srv, clienttest.KeyParams{})
			for _, tc := range []struct {
				via      string
				accepted bool
				send     func() answer
			}{
				{"bearer", true, func() answer { return scrape(t, srv, k.Reveal()) }},
				{"header", svc.Dialect == client.DialectHopX, func() answer {
					return fetch(t, srv, "GET", "/v1/scrape?url=x", "", http.Header{"X-Api-Key": {k.Reveal()}}, "")
				}},
				{"query", svc.Dialect == client.DialectHypedata, func() answer {
					return fetch(t, srv, "GET", "/v1/scrape?url=x&api_key="+k.Reveal(), "", nil, "")
				}},
			} {
				a := tc.send()
				recs := srv.Requests()
				rec := recs[len(recs)-1]
				switch {
				case tc.accepted && (a.Resp.StatusCode != 200 || rec.AuthVia != tc.via || rec.KeyID != info.ID):
					t.Errorf("%s: status %d, log %+v", tc.via, a.Resp.StatusCode, rec)
				case !tc.accepted && (a.Resp.StatusCode != 401 || rec.Code != "missing_credentials" || rec.AuthVia != ""):
					t.Errorf("%s, which %s does not read: status %d, log %+v, want 401 missing_credentials", tc.via, svc.Name, a.Resp.StatusCode, rec)
				}
			}
			// A bearer token wins over the other places.
			a := fetch(t, srv, "GET", "/v1/scrape?url=x&api_key="+k.Reveal(), "not-a-key", http.Header{"X-Api-Key": {k.Reveal()}}, "")
			if a.Resp.StatusCode != 401 {
				t.Errorf("a malformed bearer token with a good X-API-Key: %d", a.Resp.StatusCode)
			}
		})
	}
}

// TestHypersaveMissingKeyMessage: PROTOCOL.md gives Hypersave's exact
// message for a request without a key.
func TestHypersaveMissingKeyMessage(t *testing.T) {
	srv, _ := newServer(t, client.Hypersave)
	a := scrape(t, srv, "")
	body := jsonObject(t, a.Body)
	if want := "No API key provided. Include your API key in the Authorization header."; body["message"] != want {
		t.Errorf("message %q, want %q", body["message"], want)
	}
}

// TestWeb3MalformedKeyCode: PROTOCOL.md names the web3 codes for a missing,
// unknown, revoked and expired key and spells every other code
// ERROR_<UPPER_SNAKE_CODE>, so a malformed key is ERROR_MALFORMED_TOKEN.
func TestWeb3MalformedKeyCode(t *testing.T) {
	srv, _ := newServer(t, client.Web3Storage)
	a := scrape(t, srv, "not-a-key")
	if body := jsonObject(t, a.Body); a.Resp.StatusCode != 401 || body["code"] != "ERROR_MALFORMED_TOKEN" {
		t.Errorf("%d %v, want 401 ERROR_MALFORMED_TOKEN", a.Resp.StatusCode, body)
	}
	if err := apierrors.FromResponse(a.Resp); !errors.Is(err, apierrors.ErrMalformedToken) {
		t.Errorf("decoded %v, want ErrMalformedToken", err)
	}
}
