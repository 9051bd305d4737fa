// Package retryafter parses the Retry-After header. SKELETON (issue 2).
package retryafter

import "time"

// Parse reads a Retry-After value: delta-seconds or an HTTP-date (any of the
// three forms), relative to now. ok is false when value is not one of those.
func Parse(value string, now time.Time) (d time.Duration, ok bool) { return 0, false }
