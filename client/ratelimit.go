package client

import (
	"net/http"
	"sync"
	"time"

	"github.com/apikit/apikit-go/internal/ratelimit"
)

// RateLimit is the service's latest word on the caller's quota, from the
// rate-limit headers of the last response that carried them, in whichever
// dialect the service speaks (see Service.RateLimitHeaders).
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

// headerNames is the ratelimit package's form of the service's own names.
func (n RateLimitHeaders) names() ratelimit.Names {
	return ratelimit.Names{Limit: n.Limit, Remaining: n.Remaining, Reset: n.Reset}
}

func (s *rateLimitState) observe(h http.Header, names ratelimit.Names, now func() time.Time) {
	rl, ok := readRateLimit(h, names, now)
	if !ok {
		return
	}
	s.mu.Lock()
	s.last, s.seen = rl, true
	s.mu.Unlock()
}

// readRateLimit reads the rate-limit headers of one answer; false when it
// carries none.
func readRateLimit(h http.Header, names ratelimit.Names, now func() time.Time) (RateLimit, bool) {
	t := now()
	q, ok := ratelimit.Parse(h, t, names)
	if !ok {
		return RateLimit{}, false
	}
	rl := RateLimit{Limit: -1, Remaining: q.Remaining, Observed: t}
	if q.Limit > 0 {
		rl.Limit = q.Limit
	}
	if q.Reset > 0 || !q.ResetAt.IsZero() {
		rl.Reset = t.Add(q.Reset)
	}
	return rl, true
}
