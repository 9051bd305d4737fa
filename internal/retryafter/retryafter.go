// Package retryafter reads the waits servers ask for: the Retry-After header
// (RFC 9110: delta-seconds or an HTTP-date in any of its three forms),
// millisecond variants, and X-RateLimit-Reset.
package retryafter

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Max bounds every wait this package returns: a hint beyond it is read as
// Max, so arithmetic on it never overflows. No caller waits that long; the
// client compares hints against its own, much smaller, cap.
const Max = 365 * 24 * time.Hour

// Parse reads a Retry-After value: delta-seconds (a non-negative integer) or
// an HTTP-date (IMF-fixdate, RFC 850 or asctime). A date in the past is a
// zero wait. It reports false for anything else (negative, fractional,
// garbage).
func Parse(value string, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		return seconds(v)
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return until(t, now), true
}

// ParseMillis reads a millisecond wait, as in the retry-after-ms header.
func ParseMillis(value string) (time.Duration, bool) {
	v := strings.TrimSpace(value)
	if !isDigits(v) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f != f {
			return 0, false
		}
		return clamp(f * float64(time.Millisecond)), true
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > uint64(Max/time.Millisecond) {
		return Max, true // all digits, just huge
	}
	return time.Duration(n) * time.Millisecond, true
}

// EpochThreshold separates the two conventions of X-RateLimit-Reset: a value
// below it is seconds until the reset (GitHub's secondary limits, Envio),
// one at or above it a Unix time in seconds (GitHub's primary limits).
const EpochThreshold = 1_000_000_000

// ParseReset reads X-RateLimit-Reset as the wait until the window resets:
// seconds from now when small, a Unix time when at least EpochThreshold.
// Fractional seconds are accepted.
func ParseReset(value string, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(value)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f != f || v == "" {
		return 0, false
	}
	if f >= EpochThreshold {
		sec := int64(f)
		return until(time.Unix(sec, int64((f-float64(sec))*1e9)), now), true
	}
	return clamp(f * float64(time.Second)), true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func seconds(v string) (time.Duration, bool) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > uint64(Max/time.Second) {
		return Max, true // all digits, just huge
	}
	return time.Duration(n) * time.Second, true
}

func until(t, now time.Time) time.Duration {
	d := t.Sub(now)
	if d < 0 {
		return 0
	}
	return min(d, Max)
}

func clamp(ns float64) time.Duration {
	if ns >= float64(Max) {
		return Max
	}
	return time.Duration(ns)
}
