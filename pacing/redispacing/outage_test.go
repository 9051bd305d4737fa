package redispacing

import (
	"testing"
	"time"

	"github.com/apikit/apikit-go/pacing"
)

// A 429 whose report did not reach Redis (it stopped answering) is told
// with the next reservation Redis answers: the rate the fleet shared was
// refused, and is cut once.
func TestRefusalIsToldWhenRedisAnswersAgain(t *testing.T) {
	clk := newClock()
	mr, ps := fleet(t, 1, clk)
	before := learnedAfterSlowStart(t, clk, ps[0])
	r, _ := ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	mr.SetError("LOADING Redis is loading the dataset in memory")
	ps[0].Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: time.Second, Remaining: -1})
	if ps[0].Shared() {
		t.Fatal("the report failed: want the key paced in process")
	}
	mr.SetError("")
	clk.Advance(2 * time.Second) // past the retry interval and the gate
	ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	st, _ := ps[0].State(ctx, fp)
	if !ps[0].Shared() || st.Rate >= before {
		t.Fatalf("back on Redis: shared %v, rate %v (was %v): want the untold 429 to cut it", ps[0].Shared(), st.Rate, before)
	}
}

// After Redis lost a key's state, the rate taken back is the freshest the
// processes knew, whichever process comes back first.
func TestFreshestRateIsTakenBack(t *testing.T) {
	clk := newClock()
	mr, ps := fleet(t, 2, clk)
	learnedAfterSlowStart(t, clk, ps[0])
	ps[1].Reserve(ctx, fp, pacing.Limit{}, time.Minute) // ps[1] sees the rate now
	old, _ := ps[1].State(ctx, fp)
	for range 20 { // the rate probes up; ps[0] sees it, ps[1] does not
		r, _ := ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
		clk.Advance(r.Delay)
		ps[0].Report(ctx, r, pacing.Answer{Status: 200, Remaining: -1})
	}
	ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	fresh, _ := ps[0].State(ctx, fp)
	if fresh.Rate <= old.Rate {
		t.Fatalf("rate %v after 20 successes, was %v: want higher", fresh.Rate, old.Rate)
	}
	mr.FlushAll()
	ps[1].Reserve(ctx, fp, pacing.Limit{}, time.Minute) // the stale view first
	ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	if st, _ := ps[0].State(ctx, fp); st.Source != pacing.SourceLearned || st.Rate != fresh.Rate {
		t.Fatalf("after Redis lost the key: %+v, want the fresher %v/s (not the stale %v/s)", st, fresh.Rate, old.Rate)
	}
}

// Right after Redis lost a key's state, the slots the processes booked
// meanwhile meet the new ones: a 429 then closes the gate but cuts no
// rate.
func TestRefusalAroundARestartCutsNothing(t *testing.T) {
	clk := newClock()
	mr, ps := fleet(t, 1, clk)
	before := learnedAfterSlowStart(t, clk, ps[0])
	mr.FlushAll()
	r, _ := ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	clk.Advance(r.Delay)
	ps[0].Report(ctx, r, pacing.Answer{Status: 429, Remaining: -1})
	st, _ := ps[0].State(ctx, fp)
	if st.Rate != before || st.GateOpens.IsZero() {
		t.Fatalf("a 429 right after Redis lost the key: %+v, want the gate closed and the rate %v kept", st, before)
	}
}
