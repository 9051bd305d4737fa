package clienttest

import (
	"crypto/sha256"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/keys"
)

// apiError is a failure before the endpoint runs, in canonical terms; the
// dialect writer renders it as the service would.
type apiError struct {
	status        int
	code          string
	message       string
	revokedAt     *time.Time
	reason        string
	requiredScope string
	retryAfter    time.Duration
}

// testKeySoftCap is the per-second cap on Hypedata's test keys ("Soft cap
// (10 RPS)" on its page).
const testKeySoftCap = 10

// presentedKey finds the key in the request where the service reads it:
// the bearer token always; a key header only where the profile names one
// (HopX's X-API-Key) or sends keys in one; a query parameter only where the
// profile names one (Hypedata's api_key) or sends keys in one. A key
// anywhere else is not seen, as the real service would not see it.
func (s *Server) presentedKey(r *http.Request) (key, via string) {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok), "bearer"
		}
		return "", ""
	}
	if name := s.svc.HeaderName; name != "" || s.svc.Auth == client.AuthHeader {
		if name == "" {
			name = "X-API-Key"
		}
		if h := r.Header.Get(name); h != "" {
			return h, "header"
		}
	}
	if param := s.svc.QueryParam; param != "" || s.svc.Auth == client.AuthQuery {
		if param == "" {
			param = "api_key"
		}
		if q := r.URL.Query().Get(param); q != "" {
			return q, "query"
		}
	}
	return "", ""
}

// authenticate runs the checks of docs/PROTOCOL.md in order for the route
// and, when they pass, charges its cost. A keyless request passes (with a nil
// key) only on a route that allows it, on a server that allows it
// (AllowKeyless). The caller holds s.mu.
func (s *Server) authenticate(r *http.Request, rt *route, rl http.Header) (*keyState, *apiError) {
	scope, cost := rt.scope, rt.cost
	raw, _ := s.presentedKey(r)
	if raw == "" {
		if rt.keyless && s.keyless.allowed {
			return nil, s.keylessRateLimit(s.clock.Now(), rl)
		}
		return nil, &apiError{status: 401, code: "missing_credentials", message: "No API key provided. Send it as Authorization: Bearer <key>."}
	}
	f := s.svc.KeyFormat
	if f == nil {
		f = keys.Opaque
	}
	if _, err := f.Parse(raw); err != nil {
		return nil, &apiError{status: 401, code: "malformed_token", message: "The API key is not in this service's format: " + strings.TrimPrefix(err.Error(), f.Name+" key: ")}
	}
	ks, ok := s.byHash[sha256Sum(raw)]
	if !ok {
		return nil, &apiError{status: 401, code: "unknown_key", message: "Invalid API key provided"}
	}
	now := s.clock.Now()
	if ks.info.RevokedAt != nil {
		return ks, &apiError{status: 401, code: "revoked", message: "API key has been revoked", revokedAt: ks.info.RevokedAt, reason: ks.info.RevokedReason}
	}
	if !ks.expires.IsZero() && !now.Before(ks.expires) {
		return ks, &apiError{status: 401, code: "expired", message: "API key has expired"}
	}
	ks.requests++
	t := now.UTC()
	ks.info.LastUsedAt = &t
	if len(ks.nets) > 0 && !ipAllowed(ks.nets, r.RemoteAddr) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		return ks, &apiError{status: 403, code: "unauthorized_ip", message: fmt.Sprintf("IP %s is not on this key's allow-list", host)}
	}
	if scope != "" && len(ks.info.Scopes) > 0 && !contains(ks.info.Scopes, scope) {
		return ks, &apiError{status: 403, code: "insufficient_scope", message: fmt.Sprintf("This key lacks the %q scope", scope), requiredScope: scope}
	}
	live := ks.env != keys.EnvTest
	if live && cost > 0 {
		if c := ks.info.CreditCeiling; c > 0 && ks.credits+cost > c {
			return ks, &apiError{status: 402, code: "key_ceiling_exceeded", message: fmt.Sprintf("This key's credit ceiling of %d is reached", c)}
		}
		if s.balance != Unlimited && s.balance < cost {
			return ks, &apiError{status: 402, code: "workspace_balance", message: "The workspace balance is exhausted; top it up"}
		}
	}
	if e := s.rateLimit(ks, now, rl); e != nil {
		return ks, e
	}
	if live && cost > 0 {
		ks.credits += cost
		if s.balance != Unlimited {
			s.balance -= cost
		}
	}
	return ks, nil
}

// rateLimit applies the per-second, per-hour and monthly limits in fixed
// windows of the server's clock, counting this request if it passes, and
// fills the X-RateLimit-* headers.
func (s *Server) rateLimit(ks *keyState, now time.Time, h http.Header) *apiError {
	perSecond := ks.info.RateLimitPerSecond
	if ks.env == keys.EnvTest && s.svc.Dialect == client.DialectHypedata && (perSecond == 0 || perSecond > testKeySoftCap) {
		perSecond = testKeySoftCap
	}
	type limit struct {
		n      int
		w      *window
		length time.Duration
		what   string
	}
	limits := []limit{
		{perSecond, &ks.second, time.Second, "per second"},
		{ks.info.RateLimitPerHour, &ks.hour, time.Hour, "per hour"},
	}
	var shown *limit
	for i := range limits {
		l := &limits[i]
		if l.n <= 0 {
			continue
		}
		if now.Sub(l.w.start) >= l.length || now.Before(l.w.start) {
			l.w.start, l.w.count = now.Truncate(l.length), 0
		}
		reset := l.w.start.Add(l.length).Sub(now)
		if shown == nil {
			shown = l
		}
		if l.w.count >= l.n {
			setRateHeaders(h, l.n, 0, reset)
			return &apiError{status: 429, code: "rate_limited", message: fmt.Sprintf("Rate limit of %d requests %s reached", l.n, l.what), retryAfter: reset}
		}
	}
	if m := ks.info.MonthlyRequestLimit; m > 0 {
		periodEnd := ks.period.AddDate(0, 1, 0)
		if !now.Before(periodEnd) {
			ks.period, ks.month = now.UTC(), 0
			periodEnd = ks.period.AddDate(0, 1, 0)
		}
		if ks.month >= int64(m) {
			setRateHeaders(h, m, 0, periodEnd.Sub(now))
			return &apiError{status: 429, code: "rate_limited", message: fmt.Sprintf("Monthly limit of %d requests reached", m), retryAfter: periodEnd.Sub(now)}
		}
	}
	for i := range limits {
		if limits[i].n > 0 {
			limits[i].w.count++
		}
	}
	ks.month++
	if shown != nil {
		setRateHeaders(h, shown.n, shown.n-shown.w.count, shown.w.start.Add(shown.length).Sub(now))
	}
	return nil
}

func setRateHeaders(h http.Header, limit, remaining int, reset time.Duration) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
	h.Set("X-RateLimit-Reset", strconv.Itoa(ceilSeconds(reset)))
}

// ceilSeconds rounds d up to whole seconds (a hint must never be short).
func ceilSeconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}

func ipAllowed(nets []*net.IPNet, remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func sha256Sum(secret string) [32]byte { return sha256.Sum256([]byte(secret)) }
