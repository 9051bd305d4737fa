// Package retryafter reads the waits servers ask for: the Retry-After header
// (RFC 9110: delta-seconds or an HTTP-date in any of its three forms),
// millisecond variants, X-RateLimit-Reset, and seconds given in a JSON body.
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

// ParseMillis reads a millisecond wait, as in the retry-after-ms header: a
// plain decimal number, fraction and exponent allowed. Inf, NaN, hex floats
// and signs are refused.
func ParseMillis(value string) (time.Duration, bool) {
	v := strings.TrimSpace(value)
	if !isDigits(v) {
		f, ok := decimal(v)
		if !ok {
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

// ParseSeconds reads a wait in seconds written as a plain decimal number,
// fraction and exponent allowed ("3", "2.5", "1e3"), as JSON bodies give it.
// Inf, NaN, hex floats and signs are refused; a huge value is Max.
func ParseSeconds(value string) (time.Duration, bool) {
	f, ok := decimal(strings.TrimSpace(value))
	if !ok {
		return 0, false
	}
	return clamp(f * float64(time.Second)), true
}

// EpochThreshold separates the two conventions of X-RateLimit-Reset: a value
// below it is seconds until the reset (GitHub's secondary limits, Envio),
// one at or above it a Unix time in seconds (GitHub's primary limits).
const EpochThreshold = 1_000_000_000

// ParseReset reads X-RateLimit-Reset as the wait until the window resets:
// seconds from now when small, a Unix time when at least EpochThreshold.
// Fractional seconds and exponents are accepted; Inf, NaN, hex floats and
// signs are not. A reset further away than Max is Max, whatever the
// platform: the float is bounded before it becomes an integer.
func ParseReset(value string, now time.Time) (time.Duration, bool) {
	f, ok := decimal(strings.TrimSpace(value))
	if !ok {
		return 0, false
	}
	if f < EpochThreshold {
		return clamp(f * float64(time.Second)), true
	}
	wait := f - float64(now.Unix()) // both well within float64's exact integers for real dates
	if wait >= Max.Seconds() {
		return Max, true
	}
	sec := int64(f) // f < now + Max: fits an int64
	return until(time.Unix(sec, int64((f-float64(sec))*1e9)), now), true
}

// decimal parses s when it is a plain non-negative decimal number: digits
// with an optional fraction and an optional exponent ("12", "1.5", ".5",
// "1e3"). strconv.ParseFloat alone would also take "Inf", "NaN", "0x1p4",
// signs and underscores, none of which a server means as a wait.
func decimal(s string) (float64, bool) {
	i, digits := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	// The syntax is valid, so the only possible error is ErrRange, whose
	// result (+Inf for a huge value, 0 for a tiny one) is still the answer.
	f, _ := strconv.ParseFloat(s, 64)
	return f, true
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
