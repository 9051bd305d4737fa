package client

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimit is the service's latest word on the caller's quota, from the
// X-RateLimit-Limit, -Remaining and -Reset headers of the last response
// that carried them.
type RateLimit struct {
	Limit     int       // requests allowed in the window; -1 when not sent
	Remaining int       // requests left in the window; -1 when not sent
	Reset     time.Time // when the window resets; zero when not sent
	Observed  time.Time // when the response arrived
}

// RateLimit returns the latest rate-limit headers seen, and false when no
// response has carried any yet. Callers use it to pace themselves.
func (c *Client) RateLimit() (RateLimit, bool) {
	c.rate.mu.Lock()
	defer c.rate.mu.Unlock()
	return c.rate.last, c.rate.seen
}

type rateLimitState struct {
	mu   sync.Mutex
	last RateLimit
	seen bool
}

// resetEpochThreshold separates the two conventions of X-RateLimit-Reset:
// seconds until the reset (small numbers) or a Unix time (large ones).
const resetEpochThreshold = 1_000_000_000

func (s *rateLimitState) observe(h http.Header, now func() time.Time) {
	limit, lok := headerInt(h, "X-Ratelimit-Limit")
	remaining, rok := headerInt(h, "X-Ratelimit-Remaining")
	reset, zok := headerInt(h, "X-Ratelimit-Reset")
	if !lok && !rok && !zok {
		return
	}
	t := now()
	rl := RateLimit{Limit: -1, Remaining: -1, Observed: t}
	if lok {
		rl.Limit = int(limit)
	}
	if rok {
		rl.Remaining = int(remaining)
	}
	if zok {
		rl.Reset = resetTime(reset, t)
	}
	s.mu.Lock()
	s.last, s.seen = rl, true
	s.mu.Unlock()
}

// resetTime is when an X-RateLimit-Reset of z says the window resets,
// whichever convention the server follows: seconds from now, or a Unix
// time.
func resetTime(z int64, now time.Time) time.Time {
	if z >= resetEpochThreshold {
		return time.Unix(z, 0)
	}
	return now.Add(time.Duration(z) * time.Second)
}

// headerInt reads a non-negative integer header; a value like "100;w=60"
// (IETF draft syntax) yields 100.
func headerInt(h http.Header, name string) (int64, bool) {
	v := h[name]
	if len(v) == 0 {
		return 0, false
	}
	s := strings.TrimSpace(v[0])
	if i := strings.IndexAny(s, ";, "); i >= 0 {
		s = s[:i]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return 0, false
	}
	return n, true
}
