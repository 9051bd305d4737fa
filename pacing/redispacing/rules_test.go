package redispacing

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/apikit/apikit-go/pacing"
	"github.com/apikit/apikit-go/pacing/pacingtest"
)

// timeHook sets miniredis's clock (the scripts' TIME) to the table's before
// each command.
type timeHook struct {
	mr  *miniredis.Miniredis
	now func() time.Time
}

func (h timeHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h timeHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.mr.SetTime(h.now())
		return next(ctx, cmd)
	}
}
func (h timeHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestRules runs the table of rules every pacer keeps (pacing/pacingtest)
// against the Redis pacer: the fleet keeps the in-process pacer's rules.
func TestRules(t *testing.T) {
	pacingtest.Run(t, func(t *testing.T, now func() time.Time) pacing.Pacer {
		mr := miniredis.RunT(t)
		mr.SetTime(now())
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
		t.Cleanup(func() { rdb.Close() })
		rdb.AddHook(timeHook{mr, now})
		p, err := New(rdb, WithClock(now), WithTimeout(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return p
	})
}
