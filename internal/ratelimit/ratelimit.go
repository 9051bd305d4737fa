// Package ratelimit reads what an HTTP answer says about the caller's rate
// limit, in every common header dialect, into one Quota: the client reads
// headers here and nowhere else.
//
// The dialects, tried in this order (the first that states a limit wins):
//
//   - a service's own header names (Names), with any reset format below;
//   - draft-ietf-httpapi-ratelimit-headers, structured fields:
//     RateLimit-Policy: "default";q=100;w=60 and RateLimit: "default";r=50;t=30
//     (several policies: the tightest one paces);
//   - RateLimit: limit=100, remaining=50, reset=30 (one header, draft 03's
//     dictionary);
//   - RateLimit-Limit, -Remaining, -Reset (drafts 03–06; GitLab, Kong), the
//     limit possibly "100, 100;w=60";
//   - OpenAI's x-ratelimit-{limit,remaining,reset}-requests, the reset a Go
//     duration ("1s", "6m0s", "20ms");
//   - Anthropic's anthropic-ratelimit-requests-{limit,remaining,reset}, the
//     reset an RFC 3339 time;
//   - X-RateLimit-Limit, -Remaining, -Reset (and X-Rate-Limit-*), the reset
//     seconds from now, a Unix time in seconds or milliseconds, or an
//     HTTP-date; the answer's Date tells a Unix time from a count of seconds
//     and corrects for a server clock that is off.
//
// A reset given in whole seconds is imprecise by up to a second: Quota's
// Precision says so, and a pacer must not reopen a gate before Reset +
// Precision (the window has surely ended by then).
package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Max bounds every duration this package returns (a reset in year 9999 is
// read as Max, a year, so that arithmetic on it never overflows).
const Max = 365 * 24 * time.Hour

// maxCount bounds a limit or a remaining count.
const maxCount = 1 << 40

// Names are the headers a service announces its limit in when they are not
// one of the dialects read by default. Empty names are not read; the zero
// Names reads the default dialects only.
type Names struct {
	Limit, Remaining, Reset string
}

// IsZero reports whether n names no header.
func (n Names) IsZero() bool { return n == Names{} }

// Quota is what one answer says about the caller's limit.
type Quota struct {
	// Limit is how many requests the window allows; 0 when not stated.
	Limit int
	// Remaining is how many are left in it; -1 when not stated.
	Remaining int
	// Reset is the time from the answer until the window resets; 0 when
	// not stated.
	Reset time.Duration
	// ResetAt is when the window resets, when the answer gave a point in
	// time (a Unix time, an HTTP-date, RFC 3339), on the local clock; zero
	// when it gave a count of seconds from now.
	ResetAt time.Time
	// Precision is how coarse Reset is: time.Second for whole seconds (the
	// window may end up to a second after Reset), 0 when exact.
	Precision time.Duration
	// Window is the policy's window when the answer states it (the IETF
	// draft's w=); 0 when not.
	Window time.Duration
	// Dialect names the headers read, e.g. "X-RateLimit".
	Dialect string
}

// Stated reports whether the answer stated a limit.
func (q Quota) Stated() bool { return q.Limit > 0 }

// Parse reads the quota an answer's headers state, received at now on the
// local clock. ok is false when no dialect states a limit or a count left.
func Parse(h http.Header, now time.Time, names Names) (q Quota, ok bool) {
	if len(h) == 0 {
		return Quota{Remaining: -1}, false
	}
	if !names.IsZero() {
		if q, ok := triple(h, now, names.Limit, names.Remaining, names.Reset, "custom", resetAuto); ok {
			return q, true
		}
	}
	if q, ok := structured(h); ok {
		return q, true
	}
	if q, ok := dictionary(first(h, "Ratelimit")); ok {
		return q, true
	}
	for _, d := range dialects {
		if q, ok := triple(h, now, d.limit, d.remaining, d.reset, d.name, d.kind); ok {
			return q, true
		}
	}
	return Quota{Remaining: -1}, false
}

type resetKind int

const (
	resetAuto     resetKind = iota // seconds, Unix s or ms, HTTP-date, RFC 3339, Go duration
	resetSeconds                   // seconds from now (IETF drafts)
	resetDuration                  // a Go duration (OpenAI)
	resetRFC3339                   // a point in time (Anthropic)
)

var dialects = []struct {
	name                    string
	limit, remaining, reset string
	kind                    resetKind
}{
	{"RateLimit-Limit", "Ratelimit-Limit", "Ratelimit-Remaining", "Ratelimit-Reset", resetSeconds},
	{"OpenAI", "X-Ratelimit-Limit-Requests", "X-Ratelimit-Remaining-Requests", "X-Ratelimit-Reset-Requests", resetDuration},
	{"Anthropic", "Anthropic-Ratelimit-Requests-Limit", "Anthropic-Ratelimit-Requests-Remaining", "Anthropic-Ratelimit-Requests-Reset", resetRFC3339},
	{"X-RateLimit", "X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset", resetAuto},
	{"X-Rate-Limit", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", resetAuto},
}

// first is the first non-blank value of the header name (canonical form).
func first(h http.Header, name string) string {
	for _, v := range h[http.CanonicalHeaderKey(name)] {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// serverDate is the answer's Date, when it parses and is within a year of
// now; the zero time otherwise.
func serverDate(h http.Header, now time.Time) time.Time {
	v := first(h, "Date")
	if v == "" {
		return time.Time{}
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}
	}
	if d := t.Sub(now); d > Max || d < -Max {
		return time.Time{}
	}
	return t
}

// triple reads a limit / remaining / reset header set.
func triple(h http.Header, now time.Time, ln, rn, zn, dialect string, kind resetKind) (Quota, bool) {
	q := Quota{Remaining: -1, Dialect: dialect}
	var found bool
	if ln != "" {
		if v := first(h, ln); v != "" {
			n, w, ok := limitValue(v)
			if ok {
				q.Limit, q.Window, found = n, w, true
			}
		}
	}
	if rn != "" {
		if n, ok := count(leading(first(h, rn))); ok {
			q.Remaining, found = n, true
		}
	}
	if !found {
		return Quota{Remaining: -1}, false
	}
	if zn != "" {
		if v := first(h, zn); v != "" {
			// The answer's Date only when there is a reset to read (the
			// success path of an answer without one parses nothing).
			q.Reset, q.ResetAt, q.Precision, _ = reset(v, now, serverDate(h, now), kind)
		}
	}
	return q, true
}

// limitValue reads "100", "100, 100;w=60" or "100;w=60": the first count,
// and the window of the first item that states one.
func limitValue(v string) (n int, window time.Duration, ok bool) {
	items := strings.Split(v, ",")
	n, ok = count(leading(items[0]))
	if !ok || n == 0 {
		return 0, 0, false
	}
	for _, it := range items {
		if w, ok := param(it, "w"); ok {
			if s, ok := count(w); ok && s > 0 {
				window = secondsDuration(s)
			}
			break
		}
	}
	return n, window, true
}

// leading is v up to its first ';', ',' or space.
func leading(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, ";, \t"); i >= 0 {
		v = v[:i]
	}
	return v
}

// count reads a non-negative decimal count, at most maxCount.
func count(v string) (int, bool) {
	n, ok := digits(v)
	if !ok || n > maxCount {
		return 0, false
	}
	return int(n), true
}

// digits reads up to 15 decimal digits.
func digits(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 15 {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func secondsDuration(s int) time.Duration {
	if int64(s) >= int64(Max/time.Second) {
		return Max
	}
	return time.Duration(s) * time.Second
}

// param finds ;key=value in an item: the value with quotes removed.
func param(item, key string) (string, bool) {
	parts := strings.Split(item, ";")
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), key) {
			return strings.Trim(strings.TrimSpace(v), `"`), true
		}
	}
	return "", false
}

// The Unix-time ranges a numeric reset is read in: seconds from about
// 2001 to 5138, milliseconds from 2001 on. Below, a count of seconds.
const (
	unixSecondsFrom = 1_000_000_000
	unixMillisFrom  = 100_000_000_000
)

// reset reads a reset value.
func reset(v string, now, date time.Time, kind resetKind) (d time.Duration, at time.Time, precision time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	switch kind {
	case resetSeconds:
		n, ok := count(leading(v))
		if !ok {
			return 0, time.Time{}, 0, false
		}
		return secondsDuration(n), time.Time{}, time.Second, true
	case resetDuration:
		return goDuration(v)
	case resetRFC3339:
		return rfc3339(v, now, date)
	}
	if d, at, p, ok := numeric(v, now, date); ok {
		return d, at, p, true
	}
	if t, err := http.ParseTime(v); err == nil {
		at := toLocal(t, now, date)
		return until(at, now), at, time.Second, true
	}
	if d, at, p, ok := rfc3339(v, now, date); ok {
		return d, at, p, true
	}
	return goDuration(v)
}

// numeric reads seconds from now, a Unix time in seconds or in
// milliseconds, with an optional fraction. The answer's Date, when sent,
// decides: a value near it is a Unix time.
func numeric(v string, now, date time.Time) (time.Duration, time.Time, time.Duration, bool) {
	whole, frac, hasFrac := strings.Cut(v, ".")
	n64, ok := digits(whole)
	if !ok || (hasFrac && frac == "") || len(frac) > 9 {
		return 0, time.Time{}, 0, false
	}
	var fracNs int64
	precision := time.Second
	if hasFrac {
		f, ok := count(frac)
		if !ok {
			return 0, time.Time{}, 0, false
		}
		scale := int64(1)
		for range 9 - len(frac) {
			scale *= 10
		}
		fracNs = int64(f) * scale
		precision = time.Duration(scale)
	}
	ref := now
	if !date.IsZero() {
		ref = date
	}
	refS := ref.Unix()
	n := n64
	switch {
	case int64(n) >= unixMillisFrom || (!date.IsZero() && near(int64(n)/1000, refS)):
		if !hasFrac {
			precision = time.Millisecond
		} else {
			precision = max(precision/1000, 1)
		}
		t := time.UnixMilli(int64(n)).Add(time.Duration(fracNs / 1000))
		at := toLocal(t, now, date)
		return until(at, now), at, precision, true
	case int64(n) >= unixSecondsFrom || (!date.IsZero() && near(int64(n), refS)):
		t := time.Unix(int64(n), fracNs)
		at := toLocal(t, now, date)
		return until(at, now), at, precision, true
	}
	d := secondsDuration(int(n)) + time.Duration(fracNs)
	return min(d, Max), time.Time{}, precision, true
}

// near reports whether a Unix time u lies within a day of ref.
func near(u, ref int64) bool {
	const day = 86400
	return u > ref-day && u < ref+day
}

// toLocal moves a point in time on the server's clock onto the local one,
// when the answer's Date shows the two clocks apart by more than Date's
// own second of precision.
func toLocal(t, now, date time.Time) time.Time {
	if date.IsZero() {
		return t
	}
	if skew := now.Sub(date); skew > 2*time.Second || skew < -2*time.Second {
		return t.Add(skew)
	}
	return t
}

func until(t, now time.Time) time.Duration {
	d := t.Sub(now)
	switch {
	case d < 0:
		return 0
	case d > Max:
		return Max
	}
	return d
}

// goDuration reads a Go duration such as "1s", "6m0s", "20ms", "1.5s".
func goDuration(v string) (time.Duration, time.Time, time.Duration, bool) {
	if v == "" || len(v) > 40 || v[0] < '0' || v[0] > '9' {
		return 0, time.Time{}, 0, false
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, time.Time{}, 0, false
	}
	return min(d, Max), time.Time{}, 0, true
}

// rfc3339 reads a point in time such as "2024-06-01T12:00:30Z".
func rfc3339(v string, now, date time.Time) (time.Duration, time.Time, time.Duration, bool) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0, time.Time{}, 0, false
	}
	precision := time.Second
	if strings.Contains(v, ".") {
		precision = time.Millisecond
	}
	at := toLocal(t, now, date)
	return until(at, now), at, precision, true
}
