package ratelimit

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// now is a fixed moment: 2023-08-09T14:29:23Z, Unix 1691591363.
var now = time.Unix(1691591363, 0).UTC()

// TestParseDocumentedExamples reads each dialect's examples as its own
// documentation gives them.
func TestParseDocumentedExamples(t *testing.T) {
	cases := []struct {
		name string
		h    http.Header
		want Quota
	}{
		{ // GitHub REST API docs: x-ratelimit-reset is "the time at which the current rate limit window resets, in UTC epoch seconds".
			"GitHub, Unix seconds", hdr("X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "4999", "X-RateLimit-Reset", "1691591423"),
			Quota{Limit: 5000, Remaining: 4999, Reset: time.Minute, ResetAt: time.Unix(1691591423, 0), Precision: time.Second, Dialect: "X-RateLimit"},
		},
		{ // throttled/throttled v2: X-RateLimit-Reset is ceil(seconds until the bucket empties).
			"throttled, delta seconds", hdr("X-RateLimit-Limit", "1", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "1"),
			Quota{Limit: 1, Remaining: 0, Reset: time.Second, Precision: time.Second, Dialect: "X-RateLimit"},
		},
		{ // Unix milliseconds.
			"Unix milliseconds", hdr("X-RateLimit-Limit", "10", "X-RateLimit-Remaining", "3", "X-RateLimit-Reset", "1691591363250"),
			Quota{Limit: 10, Remaining: 3, Reset: 250 * time.Millisecond, ResetAt: time.UnixMilli(1691591363250), Precision: time.Millisecond, Dialect: "X-RateLimit"},
		},
		{ // Discord: epoch seconds with a fraction.
			"Unix seconds with a fraction", hdr("X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "1", "X-RateLimit-Reset", "1691591364.5"),
			Quota{Limit: 5, Remaining: 1, Reset: 1500 * time.Millisecond, ResetAt: time.Unix(1691591364, 5e8), Precision: 100 * time.Millisecond, Dialect: "X-RateLimit"},
		},
		{ // An HTTP-date (RFC 9110 IMF-fixdate).
			"HTTP-date", hdr("X-RateLimit-Limit", "100", "X-RateLimit-Reset", "Wed, 09 Aug 2023 14:29:53 GMT"),
			Quota{Limit: 100, Remaining: -1, Reset: 30 * time.Second, ResetAt: time.Unix(1691591393, 0).UTC(), Precision: time.Second, Dialect: "X-RateLimit"},
		},
		{ // draft-ietf-httpapi-ratelimit-headers-03: RateLimit-Limit: 10 / -Remaining: 1 / -Reset: 7.
			"RateLimit-Limit, draft 03", hdr("RateLimit-Limit", "10", "RateLimit-Remaining", "1", "RateLimit-Reset", "7"),
			Quota{Limit: 10, Remaining: 1, Reset: 7 * time.Second, Precision: time.Second, Dialect: "RateLimit-Limit"},
		},
		{ // draft 03, a limit with its policies: RateLimit-Limit: 10, 10;w=1, 1000;w=3600.
			"RateLimit-Limit with windows", hdr("RateLimit-Limit", "10, 10;w=1, 1000;w=3600", "RateLimit-Remaining", "9", "RateLimit-Reset", "1"),
			Quota{Limit: 10, Remaining: 9, Reset: time.Second, Precision: time.Second, Window: time.Second, Dialect: "RateLimit-Limit"},
		},
		{ // draft 07: one RateLimit field, RateLimit: limit=10, remaining=1, reset=7.
			"RateLimit dictionary", hdr("RateLimit", "limit=10, remaining=1, reset=7"),
			Quota{Limit: 10, Remaining: 1, Reset: 7 * time.Second, Precision: time.Second, Dialect: "RateLimit"},
		},
		{ // draft 08+: RateLimit-Policy: "default";q=100;w=10 / RateLimit: "default";r=50;t=30.
			"IETF structured", hdr("RateLimit-Policy", `"default";q=100;w=10`, "RateLimit", `"default";r=50;t=30`),
			Quota{Limit: 100, Remaining: 50, Reset: 30 * time.Second, Precision: time.Second, Window: 10 * time.Second, Dialect: "RateLimit-Policy"},
		},
		{ // The gateway: "default";q=5;w=1 and "default";r=2;t=1.
			"IETF structured, 5 per second", hdr("RateLimit-Policy", `"default";q=5;w=1`, "RateLimit", `"default";r=2;t=1`),
			Quota{Limit: 5, Remaining: 2, Reset: time.Second, Precision: time.Second, Window: time.Second, Dialect: "RateLimit-Policy"},
		},
		{ // draft 08's example of two policies: the tightest paces.
			"IETF structured, two policies", hdr("RateLimit-Policy", `"burst";q=100;w=60,"daily";q=1000;w=86400`, "RateLimit", `"burst";r=40;t=20, "daily";r=900;t=7200`),
			Quota{Limit: 1000, Remaining: 900, Reset: 2 * time.Hour, Precision: time.Second, Window: 24 * time.Hour, Dialect: "RateLimit-Policy"},
		},
		{ // A short window paces before a long one, however tight.
			"IETF structured, per second and per hour", hdr("RateLimit-Policy", `"hour";q=1000;w=3600, "second";q=5;w=1`, "RateLimit", `"second";r=4;t=1, "hour";r=999;t=3000`),
			Quota{Limit: 5, Remaining: 4, Reset: time.Second, Precision: time.Second, Window: time.Second, Dialect: "RateLimit-Policy"},
		},
		{ // A spent policy wins over a tighter one that is not spent.
			"IETF structured, one spent", hdr("RateLimit-Policy", `"burst";q=100;w=60,"daily";q=1000;w=86400`, "RateLimit", `"burst";r=40;t=20, "daily";r=0;t=7200`),
			Quota{Limit: 1000, Remaining: 0, Reset: 2 * time.Hour, Precision: time.Second, Window: 24 * time.Hour, Dialect: "RateLimit-Policy"},
		},
		{ // OpenAI docs: x-ratelimit-reset-requests: 1s, x-ratelimit-reset-tokens: 6m0s.
			"OpenAI", hdr("X-RateLimit-Limit-Requests", "60", "X-RateLimit-Remaining-Requests", "59", "X-RateLimit-Reset-Requests", "1s",
				"X-RateLimit-Limit-Tokens", "150000", "X-RateLimit-Reset-Tokens", "6m0s"),
			Quota{Limit: 60, Remaining: 59, Reset: time.Second, Dialect: "OpenAI"},
		},
		{
			"OpenAI, milliseconds", hdr("X-RateLimit-Limit-Requests", "5000", "X-RateLimit-Remaining-Requests", "4999", "X-RateLimit-Reset-Requests", "20ms"),
			Quota{Limit: 5000, Remaining: 4999, Reset: 20 * time.Millisecond, Dialect: "OpenAI"},
		},
		{ // Anthropic docs: anthropic-ratelimit-requests-reset is an RFC 3339 time.
			"Anthropic", hdr("Anthropic-Ratelimit-Requests-Limit", "50", "Anthropic-Ratelimit-Requests-Remaining", "49", "Anthropic-Ratelimit-Requests-Reset", "2023-08-09T14:29:25Z"),
			Quota{Limit: 50, Remaining: 49, Reset: 2 * time.Second, ResetAt: time.Unix(1691591365, 0).UTC(), Precision: time.Second, Dialect: "Anthropic"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Parse(tc.h, now, Names{})
			if !ok {
				t.Fatalf("Parse = not ok, want %+v", tc.want)
			}
			if !got.ResetAt.Equal(tc.want.ResetAt) {
				t.Errorf("ResetAt = %v, want %v", got.ResetAt, tc.want.ResetAt)
			}
			got.ResetAt, tc.want.ResetAt = time.Time{}, time.Time{}
			if got != tc.want {
				t.Errorf("Parse =\n %+v, want\n %+v", got, tc.want)
			}
		})
	}
}

func TestParseDateDisambiguates(t *testing.T) {
	// A server whose clock is 10 minutes behind: its Unix-time reset is
	// 5 s after its Date, so 5 s from now on the local clock.
	server := now.Add(-10 * time.Minute)
	h := hdr("Date", server.Format(http.TimeFormat), "X-RateLimit-Limit", "5", "X-RateLimit-Reset", itoa(server.Unix()+5))
	q, ok := Parse(h, now, Names{})
	if !ok || q.Reset != 5*time.Second {
		t.Errorf("skewed server: Reset = %v, %v; want 5s", q.Reset, ok)
	}
	// Without Date, a small number is seconds from now.
	q, _ = Parse(hdr("X-RateLimit-Limit", "5", "X-RateLimit-Reset", "30"), now, Names{})
	if q.Reset != 30*time.Second || !q.ResetAt.IsZero() {
		t.Errorf("delta: %+v", q)
	}
}

func TestParseCustomNames(t *testing.T) {
	names := Names{Limit: "X-Quota-Max", Remaining: "X-Quota-Left", Reset: "X-Quota-Reset"}
	q, ok := Parse(hdr("X-Quota-Max", "20", "X-Quota-Left", "4", "X-Quota-Reset", "2s",
		"X-RateLimit-Limit", "999"), now, names)
	if !ok || q.Limit != 20 || q.Remaining != 4 || q.Reset != 2*time.Second || q.Dialect != "custom" {
		t.Errorf("custom names: %+v, %v", q, ok)
	}
	// A service's names that are absent leave the default dialects.
	q, ok = Parse(hdr("X-RateLimit-Limit", "999"), now, names)
	if !ok || q.Limit != 999 {
		t.Errorf("fallback: %+v, %v", q, ok)
	}
}

func TestParseRefusesNonsense(t *testing.T) {
	for _, h := range []http.Header{
		nil, {},
		hdr("X-RateLimit-Limit", "-5"), hdr("X-RateLimit-Limit", "0"), hdr("X-RateLimit-Limit", "abc"),
		hdr("X-RateLimit-Limit", "1e3"), hdr("X-RateLimit-Limit", "99999999999999999999"),
		hdr("RateLimit-Policy", `"x";w=1`), hdr("RateLimit-Policy", `;q=5`), hdr("RateLimit", "foo"),
	} {
		if q, ok := Parse(h, now, Names{}); ok {
			t.Errorf("Parse(%v) = %+v, want not ok", h, q)
		}
	}
	// An absurd reset is bounded, never overflows.
	q, ok := Parse(hdr("X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "Fri, 31 Dec 9999 23:59:59 GMT"), now, Names{})
	if !ok || q.Reset != Max {
		t.Errorf("year 9999: %+v", q)
	}
	q, _ = Parse(hdr("X-RateLimit-Limit", "5", "X-RateLimit-Reset", "99999999999"), now, Names{})
	if q.Reset != Max {
		t.Errorf("99999999999: Reset %v, want Max", q.Reset)
	}
	q, _ = Parse(hdr("X-RateLimit-Limit", "5", "X-RateLimit-Reset", "garbage"), now, Names{})
	if q.Limit != 5 || q.Reset != 0 {
		t.Errorf("bad reset: %+v", q)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func FuzzParse(f *testing.F) {
	f.Add("X-RateLimit-Limit", "5", "X-RateLimit-Reset", "1691591423", "Date", "Wed, 09 Aug 2023 14:29:23 GMT")
	f.Add("RateLimit-Policy", `"default";q=5;w=1`, "RateLimit", `"default";r=2;t=1`, "", "")
	f.Add("RateLimit", "limit=10, remaining=1, reset=7", "", "", "", "")
	f.Add("X-Ratelimit-Limit-Requests", "60", "X-Ratelimit-Reset-Requests", "6m0s", "", "")
	f.Add("Anthropic-Ratelimit-Requests-Limit", "50", "Anthropic-Ratelimit-Requests-Reset", "2023-08-09T14:29:25Z", "", "")
	f.Add("RateLimit-Limit", "10, 10;w=1", "RateLimit-Reset", "9999999999999", "", "")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string) {
		h := hdr(k1, v1, k2, v2, k3, v3)
		q, ok := Parse(h, now, Names{Limit: k2, Reset: k3})
		if !ok {
			return
		}
		if q.Limit < 0 || q.Remaining < -1 || q.Reset < 0 || q.Reset > Max || q.Window < 0 || q.Window > Max || q.Precision < 0 {
			t.Fatalf("Parse(%v) = %+v: out of bounds", h, q)
		}
		if q.Limit == 0 && q.Remaining < 0 {
			t.Fatalf("Parse(%v) = %+v: ok without a limit or a count", h, q)
		}
	})
}
