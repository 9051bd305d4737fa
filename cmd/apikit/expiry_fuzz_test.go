package main

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseExpiry: --expires never panics, and what it accepts is a time
// after now (a key must not be created already expired); what it refuses
// is a one-line usage error.
func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"720h", "1s", "0s", "-5m", "2027-01-31T00:00:00Z", "2020-01-01T00:00:00Z",
		"2026-11-27T10:00:00+02:00", "9999-12-31T23:59:59Z", "tomorrow", "", "1e9h", "2562047h47m16.854775807s"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		at, err := parseExpiry(s, now)
		if err != nil {
			if exitCodeOf(err) != exitUsage || strings.Contains(err.Error(), "\n") {
				t.Fatalf("parseExpiry(%q): exit %d, %q", s, exitCodeOf(err), err)
			}
			return
		}
		if !at.After(now) {
			t.Fatalf("parseExpiry(%q) = %v, not after %v", s, at, now)
		}
	})
}
