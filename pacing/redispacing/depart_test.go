package redispacing

import (
	"testing"
	"time"

	"github.com/apikit/apikit-go/pacing"
)

// learnedAfterSlowStart brings the key to a learned rate past its slow
// start (a first 429, four successes, a second 429), with its gate open,
// and returns the rate.
func learnedAfterSlowStart(t *testing.T, clk *clock, p *Pacer) float64 {
	t.Helper()
	no := pacing.Answer{Status: 429, RetryAfter: 2 * time.Second, Remaining: -1}
	r, _ := p.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	p.Report(ctx, r, no)
	clk.Advance(2 * time.Second)
	for range 4 {
		r, _ := p.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
		clk.Advance(r.Delay)
		p.Report(ctx, r, pacing.Answer{Status: 200, Remaining: -1})
	}
	r, _ = p.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	clk.Advance(r.Delay)
	p.Report(ctx, r, no)
	clk.Advance(3 * time.Second)
	clk.Advance(3 * time.Second)
	st, _ := p.State(ctx, fp)
	if st.Source != pacing.SourceLearned || st.GateOpens.After(clk.Now()) {
		t.Fatalf("after slow start: %+v, want a learned rate and the gate open", st)
	}
	return st.Rate
}

// A cut of a learned rate reaches the slots the fleet booked before it:
// each process that hears of the cut (in the reply to any of its calls)
// holds its callers' booked attempts behind the cut's gate and spaces them
// at the new interval (Depart), and the slots booked after follow them.
// The refusals of slots booked before the cut are the same episode: they
// cut no further.
func TestCutMovesTheSlotsBookedBeforeIt(t *testing.T) {
	clk := newClock()
	_, ps := fleet(t, 2, clk)
	before := learnedAfterSlowStart(t, clk, ps[0])
	var rs []pacing.Reservation
	for range 12 {
		r, _ := ps[1].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
		if !r.OK {
			t.Fatalf("booking ahead: %+v", r)
		}
		rs = append(rs, r)
	}
	if d := ps[1].Depart(rs[11]); d != 0 {
		t.Fatalf("Depart before any cut: %s, want 0", d)
	}
	// The first booked slot is refused (a 429 with a 2 s hint).
	ps[0].Report(ctx, rs[0], pacing.Answer{Status: 429, RetryAfter: 2 * time.Second, Remaining: -1})
	st, _ := ps[0].State(ctx, fp)
	if st.Rate >= before {
		t.Fatalf("rate %v after the 429, was %v: want a cut", st.Rate, before)
	}
	k := before / st.Rate
	iv := time.Duration(float64(time.Second) / before)
	// ps[0] heard of the cut in its report's reply; ps[1] not yet.
	for i := 1; i < len(rs); i++ {
		want := 2*time.Second + time.Duration(float64(rs[i].Delay)*k)
		if got := ps[0].Depart(pacing.Reservation{OK: true, Key: fp, Slot: rs[i].Slot}); got < want-5*time.Millisecond || got > want+5*time.Millisecond {
			t.Fatalf("Depart of slot %d (booked %s ahead, every %s) after the cut: %s, want %s", i, rs[i].Delay, iv, got, want)
		}
	}
	if d := ps[1].Depart(rs[2]); d != 0 {
		t.Fatalf("Depart in a process that has not heard of the cut: %s, want 0 (it costs no round trip)", d)
	}
	next, _ := ps[1].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	last := ps[1].Depart(rs[11])
	if last <= rs[11].Delay {
		t.Fatalf("Depart of the last slot once ps[1] heard of the cut: %s, want past %s", last, rs[11].Delay)
	}
	if !next.OK || next.Delay <= last {
		t.Fatalf("a slot booked after the cut: %+v, want after the moved %s", next, last)
	}
	// Refusals of the slots booked before the cut are its episode, even
	// one that comes after the cut's gate has opened.
	if rs[11].Delay <= 2*time.Second {
		t.Fatalf("the last slot booked %s ahead: the test needs it beyond the 429's gate", rs[11].Delay)
	}
	clk.Advance(rs[11].Delay)
	ps[1].Report(ctx, rs[11], pacing.Answer{Status: 429, RetryAfter: 2 * time.Second, Remaining: -1})
	if st2, _ := ps[1].State(ctx, fp); st2.Rate != st.Rate {
		t.Fatalf("rate %v after a 429 of a slot booked before the cut, was %v: want no second cut", st2.Rate, st.Rate)
	}
	// A slot the process booked alone, or one not booked, waits nothing more.
	if d := ps[0].Depart(pacing.Reservation{OK: true, Key: fp}); d != 0 {
		t.Fatalf("Depart of a reservation made in process: %s, want 0", d)
	}
}
