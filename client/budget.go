package client

import (
	"fmt"
	"sync/atomic"
)

// The retry budget, modelled on AWS SDK v2's retry quota: retries of server
// errors and connection failures spend tokens from one client-wide bucket,
// and successes put tokens back. While a server answers, the bucket stays
// full and nothing changes; when it stops answering, every goroutine
// sharing the client shares the same few retries, so a fleet of callers
// does not multiply the load on a server that is already down.
const (
	// DefaultRetryBudget is how many retries of server errors the budget
	// holds when full (WithRetryBudget).
	DefaultRetryBudget = 20

	// retryCost is what one retry of a 5xx (or a cut body) spends, in
	// tokens; a retry after a connection failure or a timeout spends
	// twice as much (a dead server usually answers nothing at all).
	retryCost    = 5
	timeoutCost  = 2 * retryCost
	successTopUp = 1 // what a success puts back (a retried call that succeeds also gets its cost back)
)

// retryBudget is the bucket. The zero value (capacity 0) never refuses.
type retryBudget struct {
	capacity int64
	tokens   atomic.Int64
}

func newRetryBudget(retries int) *retryBudget {
	b := &retryBudget{capacity: int64(retries) * retryCost}
	b.tokens.Store(b.capacity)
	return b
}

// take spends cost tokens, or reports false (spending nothing) when the
// bucket holds fewer.
func (b *retryBudget) take(cost int64) bool {
	if b.capacity == 0 {
		return true
	}
	for {
		n := b.tokens.Load()
		if n < cost {
			return false
		}
		if b.tokens.CompareAndSwap(n, n-cost) {
			return true
		}
	}
}

// give puts n tokens back, up to the capacity. When the bucket is full (a
// server that answers), it costs one atomic load.
func (b *retryBudget) give(n int64) {
	if b.capacity == 0 || n <= 0 {
		return
	}
	for {
		cur := b.tokens.Load()
		if cur >= b.capacity {
			return
		}
		if b.tokens.CompareAndSwap(cur, min(cur+n, b.capacity)) {
			return
		}
	}
}

// level is how many tokens the bucket holds; -1 when the budget is off.
func (b *retryBudget) level() int64 {
	if b.capacity == 0 {
		return -1
	}
	return b.tokens.Load()
}

// refused explains a retry the budget did not allow.
func (b *retryBudget) refused() string {
	return fmt.Sprintf("the client's retry budget is spent: its %d retries of server errors and connection failures are used up and too few calls have succeeded since to earn them back (WithRetryBudget)",
		b.capacity/retryCost)
}

// WithRetryBudget sets the client-wide retry budget: at most n retries of
// server errors (5xx) when many calls fail at once, a retry after a
// connection failure or timeout counting double. Each success earns back a
// fifth of a retry, and a retried call that succeeds earns back what its
// retries spent; so a client whose server answers never sees the budget,
// and 64 goroutines calling a server that is down send about 1.3 times
// their calls, not 4 times. 429s are never counted: the pacer spaces them.
// The default is DefaultRetryBudget; 0 turns the budget off (every call may
// use all its retries, WithMaxRetries).
func WithRetryBudget(n int) Option {
	return func(o *settings) error {
		if n < 0 || n > 1_000_000 {
			return fmt.Errorf("WithRetryBudget: %d is out of range; use 0 (no budget) to 1000000 retries", n)
		}
		o.retryBudget = n
		return nil
	}
}

// retryCostOf is what a retry after an answer with status (0: none, a
// connection failure or a cut body) spends from the budget. A 429 costs
// nothing: the wait is the server's, and the pacer spaces the callers.
func retryCostOf(status int) int64 {
	switch status {
	case 429:
		return 0
	case 0, 408, 504:
		return timeoutCost
	}
	return retryCost
}
