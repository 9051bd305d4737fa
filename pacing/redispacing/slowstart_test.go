package redispacing

import (
	"math"
	"testing"
	"time"

	"github.com/apikit/apikit-go/pacing"
)

// Slow start ends, as in process, just under the rate of the latest gap
// the fleet saw accepted: the plain successes that ride on a reservation
// carry their slots. (Cutting from the rate in force less one step left
// the fleet above the limit: 7/s refused against a limit of 5/s cut to
// 5.7/s.)
func TestSlowStartEndsUnderTheAcceptedGap(t *testing.T) {
	clk := newClock()
	_, ps := fleet(t, 1, clk)
	p := ps[0]
	r, _ := p.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	p.Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: time.Second, Remaining: -1})
	clk.Advance(time.Second)
	// Two callers at a time: their successes ride together on the next
	// reservation, which then books at a rate two steps above the gap
	// between their slots.
	var a, b int64 // the latest two accepted slots, µs
	for range 3 {
		r1, _ := p.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
		clk.Advance(r1.Delay)
		r2, _ := p.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
		clk.Advance(r2.Delay)
		if !r1.OK || !r2.OK {
			t.Fatalf("reservations refused in slow start: %+v %+v", r1, r2)
		}
		a, b = slotMicros(r1.Slot), slotMicros(r2.Slot)
		p.Report(ctx, r1, pacing.Answer{Status: 200, Remaining: -1})
		p.Report(ctx, r2, pacing.Answer{Status: 200, Remaining: -1})
	}
	// The next reservation tells the latest success and its slot.
	r, _ = p.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	clk.Advance(r.Delay)
	before, _ := p.State(ctx, fp)
	p.Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: time.Second, Remaining: -1})
	after, _ := p.State(ctx, fp)
	gap := 1e6 / float64(b-a)
	want := math.Min(gap*(1-0.05), before.Rate*0.9)
	t.Logf("slow start at %.3g/s refused, latest accepted gap %.3g/s: cut to %.3g/s", before.Rate, gap, after.Rate)
	if math.Abs(after.Rate-want) > 0.01*want || before.Rate < gap+1.5 {
		t.Fatalf("slow start at %.3g/s refused, latest accepted gap %.3g/s: cut to %.3g/s, want %.3g/s",
			before.Rate, gap, after.Rate, want)
	}
}

// The fleet's latest accepted gap is taken between the slots of every
// process, told late and out of order: a slot between the two latest
// shortens it.
func TestAcceptedSlotsMerge(t *testing.T) {
	var got [2]int64
	for _, us := range []int64{300, 100, 0, 200, 300, 250} {
		got = newestTwo(got, us)
	}
	if got != [2]int64{300, 250} {
		t.Fatalf("newest two: %v, want [300 250]", got)
	}
}

// A call Redis runs after its caller gave it up (Redis paused with the
// call in its connection, then resumed) books nothing: the caller is no
// longer there to take the slot.
func TestLateCallBooksNothing(t *testing.T) {
	clk := newClock()
	mr, ps := fleet(t, 1, clk, WithTimeout(100*time.Millisecond))
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	if _, err := ps[0].Reserve(ctx, fp, lim, time.Minute); err != nil {
		t.Fatal(err)
	}
	key, _ := ps[0].Key(fp)
	tat := mr.HGet(key, "tat")
	// Redis's clock far past the caller's deadline, as a script run when
	// a paused Redis resumes finds it.
	mr.SetTime(clk.Now().Add(time.Hour))
	if _, err := ps[0].Reserve(ctx, fp, lim, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := mr.HGet(key, "tat"); got != tat {
		t.Fatalf("next free slot %s after a call run late, was %s: want nothing booked", got, tat)
	}
	if ps[0].Shared() {
		t.Fatal("the late call was answered as if in time")
	}
}
