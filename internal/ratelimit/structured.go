package ratelimit

import (
	"net/http"
	"strings"
	"time"
)

// policy is one policy of draft-ietf-httpapi-ratelimit-headers.
type policy struct {
	name      string
	quota     int           // q
	window    time.Duration // w; the draft's default is none
	remaining int           // r of the RateLimit field naming it; -1 when absent
	reset     time.Duration // t
	hasReset  bool
}

// structured reads the IETF draft's structured fields:
//
//	RateLimit-Policy: "burst";q=100;w=60, "daily";q=1000;w=86400
//	RateLimit: "burst";r=50;t=30
//
// Several policies: the one that is spent (r=0) and resets last, else the
// tightest (the least quota per second) of those a pacer spreads evenly
// (windows up to shortWindow), else the tightest of all.
func structured(h http.Header) (Quota, bool) {
	pv := joined(h, "Ratelimit-Policy")
	if pv == "" {
		return Quota{}, false
	}
	var ps []policy
	for _, it := range splitList(pv) {
		name, ok := itemName(it)
		if !ok {
			continue
		}
		qv, ok := param(it, "q")
		if !ok {
			continue
		}
		q, ok := count(qv)
		if !ok || q == 0 {
			continue
		}
		p := policy{name: name, quota: q, remaining: -1}
		if wv, ok := param(it, "w"); ok {
			if w, ok := count(wv); ok && w > 0 {
				p.window = secondsDuration(w)
			}
		}
		ps = append(ps, p)
		if len(ps) == 16 {
			break
		}
	}
	if len(ps) == 0 {
		return Quota{}, false
	}
	for _, it := range splitList(joined(h, "Ratelimit")) {
		name, ok := itemName(it)
		if !ok {
			continue
		}
		for i := range ps {
			if ps[i].name != name {
				continue
			}
			if rv, ok := param(it, "r"); ok {
				if r, ok := count(rv); ok {
					ps[i].remaining = r
				}
			}
			if tv, ok := param(it, "t"); ok {
				if t, ok := count(tv); ok {
					ps[i].reset, ps[i].hasReset = secondsDuration(t), true
				}
			}
		}
	}
	best := -1
	for i, p := range ps {
		switch {
		case best < 0:
			best = i
		case p.remaining == 0 && (ps[best].remaining != 0 || p.reset > ps[best].reset):
			best = i
		case ps[best].remaining == 0:
		case tighter(p, ps[best]):
			best = i
		}
	}
	p := ps[best]
	q := Quota{Limit: p.quota, Remaining: p.remaining, Window: p.window, Dialect: "RateLimit-Policy"}
	if p.hasReset {
		q.Reset, q.Precision = p.reset, time.Second
	}
	return q, true
}

// shortWindow is the longest window a pacer spreads evenly (a longer one is
// a quota, kept by its gate when spent): such a policy paces before any
// longer one.
const shortWindow = 10 * time.Second

// tighter reports whether a allows fewer requests a second than b (a
// policy without a window counts as the widest; a short window before a
// long one).
func tighter(a, b policy) bool {
	if as, bs := a.window > 0 && a.window <= shortWindow, b.window > 0 && b.window <= shortWindow; as != bs {
		return as
	}
	if a.window == 0 || b.window == 0 {
		return a.window != 0 && b.window == 0
	}
	// a.quota / a.window < b.quota / b.window, without division.
	return float64(a.quota)*b.window.Seconds() < float64(b.quota)*a.window.Seconds()
}

// itemName is a list member's leading name: a quoted string or a token.
func itemName(it string) (string, bool) {
	it = strings.TrimSpace(it)
	head, _, _ := strings.Cut(it, ";")
	head = strings.TrimSpace(head)
	if strings.ContainsAny(head, "= \t") {
		return "", false // a dictionary member (limit=5), not a named item
	}
	if len(head) >= 2 && head[0] == '"' && head[len(head)-1] == '"' {
		head = head[1 : len(head)-1]
	}
	if head == "" || strings.ContainsAny(head, `"\`) {
		return "", false
	}
	return head, true
}

// dictionary reads "limit=100, remaining=50, reset=30" (one RateLimit
// header, draft 03).
func dictionary(v string) (Quota, bool) {
	if v == "" {
		return Quota{}, false
	}
	q := Quota{Remaining: -1, Dialect: "RateLimit"}
	found := false
	for _, m := range splitList(v) {
		k, val, ok := strings.Cut(m, "=")
		if !ok {
			continue
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "limit":
			if n, ok := count(leading(val)); ok && n > 0 {
				q.Limit, found = n, true
			}
		case "remaining":
			if n, ok := count(leading(val)); ok {
				q.Remaining, found = n, true
			}
		case "reset":
			if n, ok := count(leading(val)); ok {
				q.Reset, q.Precision = secondsDuration(n), time.Second
			}
		}
	}
	return q, found
}

// splitList splits a structured-field list at commas outside quotes, at
// most 64 members.
func splitList(v string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(v) && len(out) < 64; i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case '\\':
			i++
		case ',':
			if !quoted {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	if start < len(v) && len(out) < 64 {
		out = append(out, v[start:])
	}
	return out
}

// joined is every value of the header name joined as one list, at most
// 4 KiB of it.
func joined(h http.Header, name string) string {
	v := strings.Join(h[http.CanonicalHeaderKey(name)], ", ")
	if len(v) > 4096 {
		v = v[:4096]
	}
	return strings.TrimSpace(v)
}
