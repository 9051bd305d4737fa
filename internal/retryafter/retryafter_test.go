package retryafter

import (
	"testing"
	"time"
)

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 3 ", 3 * time.Second, true},
		{"0", 0, true},
		{"Tue, 24 Nov 2026 12:00:30 GMT", 30 * time.Second, true}, // IMF-fixdate
		{"Tuesday, 24-Nov-26 12:01:00 GMT", time.Minute, true},    // RFC 850
		{"Tue Nov 24 12:00:05 2026", 5 * time.Second, true},       // asctime
		{"Tue, 24 Nov 2026 11:00:00 GMT", 0, true},                // past
		{"99999999999999999999999", Max, true},                    // overflow is capped
		{"-1", 0, false}, {"1.5", 0, false}, {"", 0, false}, {"soon", 0, false}, {"+5", 0, false},
	}
	for _, tc := range cases {
		got, ok := Parse(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseReset(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30", 30 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"1795521630", 30 * time.Second, true}, // Unix time: now + 30 s
		{"1700000000", 0, true},                // a past Unix time
		{"x", 0, false}, {"-3", 0, false}, {"NaN", 0, false},
	}
	for _, tc := range cases {
		got, ok := ParseReset(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseReset(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseMillis(t *testing.T) {
	for in, want := range map[string]time.Duration{"1500": 1500 * time.Millisecond, "0.5": 500 * time.Microsecond, "0": 0} {
		if got, ok := ParseMillis(in); !ok || got != want {
			t.Errorf("ParseMillis(%q) = %v, %v", in, got, ok)
		}
	}
	if _, ok := ParseMillis("-1"); ok {
		t.Error("negative accepted")
	}
}

// FuzzParse checks the package's bounds on any value: no parser returns a
// wait below 0 or above Max, and a value it rejects gives no wait. The
// checks look at the result only, and the HTTP-date and Unix-time forms are
// read against the fixed now, so the outcome does not depend on the clock.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"120", "Tue, 24 Nov 2026 12:00:30 GMT", "Tue Nov 24 12:00:05 2026", "-1", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fn := range []func() (time.Duration, bool){
			func() (time.Duration, bool) { return Parse(s, now) },
			func() (time.Duration, bool) { return ParseReset(s, now) },
			func() (time.Duration, bool) { return ParseMillis(s) },
		} {
			d, ok := fn()
			if d < 0 || d > Max || (!ok && d != 0) {
				t.Fatalf("%q: %v, %v", s, d, ok)
			}
		}
	})
}
