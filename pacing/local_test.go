package pacing_test

import (
	"context"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/apikit/apikit-go/pacing"
	"github.com/apikit/apikit-go/pacing/pacingtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is the fake clock of the rules' table: it moves only when told.
type clock = pacingtest.Clock

func newClock() *clock { return pacingtest.NewClock() }

const fp = "fp_0123456789ab"

var ctx = context.Background()

// reserve books a slot, asking again (and moving the clock) while the
// pacer says "come back", as the client does; it returns the total wait.
func reserve(t *testing.T, p *pacing.Local, clk *clock, lim pacing.Limit, maxWait time.Duration) (pacing.Reservation, time.Duration) {
	t.Helper()
	var waited time.Duration
	for i := 0; i < 1000; i++ {
		r, err := p.Reserve(ctx, fp, lim, maxWait-waited)
		if err != nil {
			t.Fatal(err)
		}
		if r.Delay > maxWait-waited {
			return r, waited + r.Delay
		}
		if r.OK {
			return r, waited + r.Delay
		}
		if r.Delay <= 0 {
			t.Fatalf("a reply without a slot must say when to ask again: %+v", r)
		}
		clk.Advance(r.Delay)
		waited += r.Delay
	}
	t.Fatal("no slot after 1000 asks")
	return pacing.Reservation{}, 0
}

func TestNoSignOfALimitHoldsNothingBack(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	for i := 0; i < 100; i++ {
		r, err := p.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
		if err != nil || !r.OK || r.Delay != 0 {
			t.Fatalf("call %d: %+v, %v; want a slot now", i, r, err)
		}
		if err := p.Report(ctx, r, pacing.Answer{Status: 200, Remaining: -1}); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := p.State(ctx, fp)
	if st.Source != pacing.SourceNone || st.Rate != 0 {
		t.Errorf("state %+v, want not paced", st)
	}
}

func TestKnownLimitSpacesSlots(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	want := interval(5)
	var last time.Time
	for i := 0; i < 20; i++ {
		start := clk.Now()
		r, wait := reserve(t, p, clk, lim, time.Minute)
		if !r.OK {
			t.Fatalf("call %d refused: %+v", i, r)
		}
		at := start.Add(wait)
		if i > 0 && at.Sub(last) < want-time.Microsecond {
			t.Fatalf("call %d leaves %s after the one before, want at least %s", i, at.Sub(last), want)
		}
		last = at
	}
}

func TestGateHoldsNewCallersAndThenLetsThemOutOneBySlot(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	lim := pacing.Limit{PerSecond: 10, Burst: 5}
	r, _ := reserve(t, p, clk, lim, time.Minute)
	_ = p.Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: 2 * time.Second, Remaining: -1})
	st, _ := p.State(ctx, fp)
	if !st.GateOpens.Equal(clk.Now().Add(2 * time.Second)) {
		t.Fatalf("gate opens %v, want in 2s", st.GateOpens)
	}
	// Refused at once when the caller cannot wait that long.
	r, wait := reserve(t, p, clk, lim, time.Second)
	if r.OK || !r.Gated || wait != 2*time.Second {
		t.Fatalf("with 1s to wait: %+v after %s; want refused, gated, 2s", r, wait)
	}
	// Five callers arriving at once leave one per slot after the gate.
	opened := clk.Now().Add(2 * time.Second)
	// The 429 also widened the margin under the known limit.
	if st.Rate >= 10*(1-pacing.Margin) {
		t.Errorf("rate %.3f after a 429 under a known limit: want the margin widened", st.Rate)
	}
	interval := time.Duration(float64(time.Second) / st.Rate)
	for i := 0; i < 5; i++ {
		r, err := p.Reserve(ctx, fp, lim, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK {
			continue // beyond the horizon: would ask again
		}
		if got, want := clk.Now().Add(r.Delay), opened.Add(time.Duration(i)*interval); !got.Equal(want) {
			t.Errorf("caller %d leaves at +%s, want +%s", i, got.Sub(opened), want.Sub(opened))
		}
	}
}

// interval is the spacing of a known limit of perSecond.
func interval(perSecond float64) time.Duration {
	return time.Duration(float64(time.Second) / (perSecond * (1 - pacing.Margin)))
}

// send books a slot for one attempt at the fake clock's now, moves the
// clock to the slot and reports status; it returns the reservation.
func send(t *testing.T, p *pacing.Local, clk *clock, lim pacing.Limit, a pacing.Answer) pacing.Reservation {
	t.Helper()
	r, _ := reserve(t, p, clk, lim, time.Hour)
	if !r.OK {
		t.Fatalf("no slot: %+v", r)
	}
	clk.Advance(r.Delay) // reserve moved the clock by the rest of wait
	if err := p.Report(ctx, r, a); err != nil {
		t.Fatal(err)
	}
	return r
}

func ok200() pacing.Answer { return pacing.Answer{Status: 200, Remaining: -1} }

func refused(hint time.Duration) pacing.Answer {
	return pacing.Answer{Status: 429, RetryAfter: hint, Remaining: -1}
}

func state(t *testing.T, p *pacing.Local) pacing.State {
	t.Helper()
	st, err := p.State(ctx, fp)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestRefusalForTheDeadlineIsImmediateAndBooksNothing(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	send(t, p, clk, pacing.Limit{}, refused(3*time.Second))
	r, err := p.Reserve(ctx, fp, pacing.Limit{}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || !r.Gated || r.Delay != 3*time.Second {
		t.Fatalf("reserve with 2s to spare: %+v; want no slot, gated, the 3s wait", r)
	}
	// The refused caller took nothing: the next one gets the first slot
	// after the gate.
	r, _ = p.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	if !r.OK || r.Delay != 3*time.Second {
		t.Fatalf("next caller: %+v; want the slot at the gate, 3s away", r)
	}
}

func TestLearnedRateStartsAtTheObservedRateCutsAndProbes(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	// 20 successes at 10 a second, unpaced: nothing held back.
	for i := 0; i < 20; i++ {
		send(t, p, clk, pacing.Limit{}, ok200())
		clk.Advance(100 * time.Millisecond)
	}
	if st := state(t, p); st.Source != pacing.SourceNone {
		t.Fatalf("before any 429: %+v", st)
	}
	send(t, p, clk, pacing.Limit{}, refused(time.Second))
	st := state(t, p)
	if st.Source != pacing.SourceLearned || st.Rate < 9.5 || st.Rate > 10.5 {
		t.Fatalf("after the first 429: %s at %.2f/s; want learned at the observed 10/s", st.Source, st.Rate)
	}
	if !st.GateOpens.Equal(clk.Now().Add(time.Second)) {
		t.Fatalf("gate opens at %v; want in 1s", st.GateOpens)
	}
	// Slow start: each success adds to the rate.
	first := st.Rate
	for i := 0; i < 3; i++ {
		send(t, p, clk, pacing.Limit{}, ok200())
	}
	if st = state(t, p); st.Rate < first+2.5 {
		t.Fatalf("after 3 successes in slow start: %.2f/s; want about %.2f", st.Rate, first+3)
	}
	// Refused again: cut to under the last accepted step.
	before := st.Rate
	send(t, p, clk, pacing.Limit{}, refused(time.Second))
	if st = state(t, p); st.Rate >= before-1 || st.Rate < before*0.5 {
		t.Fatalf("cut from %.2f to %.2f/s; want below %.2f and at least half", before, st.Rate, before-1)
	}
	// Then probing upward slowly: 100 successes, half a percent each.
	cut := st.Rate
	for i := 0; i < 100; i++ {
		send(t, p, clk, pacing.Limit{}, ok200())
	}
	if st = state(t, p); st.Rate <= cut || st.Rate > cut+1 {
		t.Fatalf("after 100 successes: %.3f/s from %.3f; want a slow rise", st.Rate, cut)
	}
}

func TestOneCutPerEpisode(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	for i := 0; i < 20; i++ {
		send(t, p, clk, pacing.Limit{}, ok200())
		clk.Advance(50 * time.Millisecond)
	}
	send(t, p, clk, pacing.Limit{}, refused(time.Second)) // learning starts
	for i := 0; i < 5; i++ {
		send(t, p, clk, pacing.Limit{}, ok200())
	}
	// Two attempts in flight are both refused: one cut.
	r0, _ := reserve(t, p, clk, pacing.Limit{}, time.Hour)
	clk.Advance(r0.Delay)
	r1, _ := reserve(t, p, clk, pacing.Limit{}, time.Hour)
	clk.Advance(r1.Delay)
	before := state(t, p).Rate
	_ = p.Report(ctx, r0, refused(time.Second))
	once := state(t, p).Rate
	clk.Advance(10 * time.Millisecond)
	_ = p.Report(ctx, r1, refused(time.Second))
	if after := state(t, p).Rate; once >= before || after != once {
		t.Fatalf("rates %.2f → %.2f → %.2f; want one cut for the two refusals of one episode", before, once, after)
	}
	// A refusal answered after the gate reopened is new evidence.
	clk.Advance(time.Second)
	send(t, p, clk, pacing.Limit{}, refused(time.Second))
	if again := state(t, p).Rate; again >= once {
		t.Fatalf("rate %.2f after a refusal past the gate; want below %.2f", again, once)
	}
}

func TestLearningNeverSpacesCallersFurtherThanTheHint(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	for i := 0; i < 30; i++ { // a server that refuses everything, asking for 100 ms
		send(t, p, clk, pacing.Limit{}, refused(100*time.Millisecond))
	}
	if st := state(t, p); st.Rate < 10 {
		t.Fatalf("rate %.3f/s; want at least one request per 100 ms hint", st.Rate)
	}
}

func TestHeadersSetTheRate(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	send(t, p, clk, pacing.Limit{}, pacing.Answer{Status: 200, Limit: 5, Remaining: 4, Reset: time.Second})
	st := state(t, p)
	if st.Source != pacing.SourceHeaders || st.Rate != 5*(1-pacing.Margin) {
		t.Fatalf("%+v; want headers at %.3f", st, 5*(1-pacing.Margin))
	}
	// A shorter reset later in the window does not shorten the window.
	send(t, p, clk, pacing.Limit{}, pacing.Answer{Status: 200, Limit: 5, Remaining: 3, Reset: 300 * time.Millisecond})
	if st = state(t, p); st.Rate != 5*(1-pacing.Margin) {
		t.Fatalf("rate %.3f after a partial window; want it unchanged", st.Rate)
	}
	// A known limit wins over the headers.
	send(t, p, clk, pacing.Limit{PerSecond: 2, Burst: 1}, pacing.Answer{Status: 200, Limit: 5, Remaining: 3, Reset: time.Second})
	if st = state(t, p); st.Source != pacing.SourceKnown || st.Rate != 2*(1-pacing.Margin) {
		t.Fatalf("%+v; want the known 2/s", st)
	}
}

func TestRemainingZeroClosesTheGateBeforeARateIsKnown(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	send(t, p, clk, pacing.Limit{}, pacing.Answer{Status: 200, Limit: 10, Remaining: 0, Reset: 700 * time.Millisecond})
	if st := state(t, p); !st.GateOpens.Equal(clk.Now().Add(700 * time.Millisecond)) {
		t.Fatalf("gate opens %v; want in 700ms (the quota is spent)", st.GateOpens)
	}
	// Once the rate is read from the headers, the last request of each
	// window finds it spent as a matter of course: no gate.
	clk.Advance(time.Second)
	send(t, p, clk, pacing.Limit{}, pacing.Answer{Status: 200, Limit: 10, Remaining: 0, Reset: 200 * time.Millisecond})
	if st := state(t, p); !st.GateOpens.IsZero() {
		t.Fatalf("gate closed until %v under a header rate", st.GateOpens)
	}
}

func TestCancelGivesTheSlotBack(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	lim := pacing.Limit{PerSecond: 10, Burst: 1}
	_, _ = p.Reserve(ctx, fp, lim, time.Minute)
	r2, _ := p.Reserve(ctx, fp, lim, time.Minute)
	if err := p.Cancel(ctx, r2); err != nil {
		t.Fatal(err)
	}
	r3, _ := p.Reserve(ctx, fp, lim, time.Minute)
	if r3.Delay != r2.Delay {
		t.Fatalf("after a cancel the next caller waits %s; want the freed slot, %s", r3.Delay, r2.Delay)
	}
}

func TestDepartSpacesAttemptsThatLeftLate(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	r1, _ := p.Reserve(ctx, fp, lim, time.Minute)
	r2, _ := p.Reserve(ctx, fp, lim, time.Minute)
	clk.Advance(15 * time.Millisecond) // the first wakes 15 ms late
	if d := p.Depart(r1); d != 0 {
		t.Fatalf("first departure held %s", d)
	}
	clk.Advance(r2.Delay - 15*time.Millisecond) // the second wakes on time
	d := p.Depart(r2)
	if d <= 0 || d > 15*time.Millisecond {
		t.Fatalf("second departure held %s; want the few ms that keep it an interval after the first", d)
	}
	clk.Advance(d)
	if d := p.Depart(r2); d != 0 {
		t.Fatalf("after waiting: held again %s", d)
	}
}

func TestDepartHoldsBehindAGateClosedSinceTheBooking(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	r1, _ := p.Reserve(ctx, fp, lim, time.Minute)
	r2, _ := p.Reserve(ctx, fp, lim, time.Minute)
	_ = p.Report(ctx, r1, refused(2*time.Second))
	clk.Advance(r2.Delay)
	if d := p.Depart(r2); d != 2*time.Second-r2.Delay {
		t.Fatalf("held %s; want until the gate opens, %s", d, 2*time.Second-r2.Delay)
	}
}

func TestObserverSeesGateAndRate(t *testing.T) {
	clk := newClock()
	var got []pacing.Event
	p := pacing.New(pacing.WithClock(clk.Now), pacing.WithObserver(func(ev pacing.Event) { got = append(got, ev) }))
	send(t, p, clk, pacing.Limit{}, refused(time.Second))
	send(t, p, clk, pacing.Limit{PerSecond: 3, Burst: 1}, ok200())
	var kinds []pacing.EventKind
	for _, ev := range got {
		if ev.Key != fp {
			t.Errorf("event %+v names key %q", ev, ev.Key)
		}
		kinds = append(kinds, ev.Kind)
	}
	want := []pacing.EventKind{pacing.RateChanged, pacing.GateClosed, pacing.RateChanged}
	if len(kinds) != len(want) {
		t.Fatalf("events %v; want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events %v; want %v", kinds, want)
		}
	}
}

func TestBadLimitIsAnError(t *testing.T) {
	p := pacing.New()
	for _, lim := range []pacing.Limit{{PerSecond: -1}, {PerSecond: 5, Burst: -1}, {PerSecond: math.NaN()}, {PerSecond: math.Inf(1)}} {
		if _, err := p.Reserve(ctx, fp, lim, time.Second); err == nil {
			t.Errorf("Reserve with %+v: no error", lim)
		}
	}
}

// TestConcurrentCallersNeverShareASlot: callers on many goroutines, none
// closer than the interval (run with -race).
func TestConcurrentCallersNeverShareASlot(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	lim := pacing.Limit{PerSecond: 100, Burst: 1}
	var mu sync.Mutex
	var slots []int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				r, err := p.Reserve(ctx, fp, lim, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if !r.OK {
					continue // would ask again later
				}
				mu.Lock()
				slots = append(slots, r.Slot)
				mu.Unlock()
				_ = p.Report(ctx, r, ok200())
			}
		}()
	}
	wg.Wait()
	sort.Slice(slots, func(i, j int) bool { return slots[i] < slots[j] })
	min := int64(interval(100))
	for i := 1; i < len(slots); i++ {
		if d := slots[i] - slots[i-1]; d < min {
			t.Fatalf("slots %d and %d are %s apart; want at least %s", i-1, i, time.Duration(d), time.Duration(min))
		}
	}
	if len(slots) == 0 {
		t.Fatal("no slot booked")
	}
}

func TestARetryNow429ClosesNoGate(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	send(t, p, clk, pacing.Limit{}, refused(-1))
	if st := state(t, p); st.Source != pacing.SourceNone || !st.GateOpens.IsZero() {
		t.Fatalf("after a 429 that said retry now: %+v; want nothing held back", st)
	}
}

func TestSentSpacesTheNextFromTheWire(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	r1, _ := p.Reserve(ctx, fp, lim, time.Minute)
	r2, _ := p.Reserve(ctx, fp, lim, time.Minute)
	if d := p.Depart(r1); d != 0 {
		t.Fatalf("first departure held %s", d)
	}
	clk.Advance(20 * time.Millisecond) // a new connection: on the wire 20 ms later
	p.Sent(r1)
	clk.Advance(r2.Delay - 20*time.Millisecond)
	if d := p.Depart(r2); d < 10*time.Millisecond || d > 20*time.Millisecond {
		t.Fatalf("second departure held %s; want about 17ms, so that it leaves an interval after the first was written", d)
	}
}

func TestPacingStartsFromTheAnswerThatRevealedTheLimit(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	send(t, p, clk, pacing.Limit{}, pacing.Answer{Status: 200, Limit: 5, Remaining: 4, Reset: time.Second})
	r, _ := p.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	if want := interval(5); !r.OK || r.Delay != want {
		t.Fatalf("the next call: %+v; want a slot an interval (%s) after the answer", r, want)
	}
}

func TestAnHourlyQuotaIsNotSpreadOut(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	send(t, p, clk, pacing.Limit{}, pacing.Answer{Status: 200, Limit: 100, Remaining: 99, Reset: 45 * time.Minute})
	r, _ := p.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	if !r.OK || r.Delay != 0 {
		t.Fatalf("second call under 100 an hour: %+v; want it sent at once", r)
	}
	// Spent: the gate holds everyone until the reset.
	send(t, p, clk, pacing.Limit{}, pacing.Answer{Status: 200, Limit: 100, Remaining: 0, Reset: 44 * time.Minute})
	if st := state(t, p); !st.GateOpens.Equal(clk.Now().Add(44 * time.Minute)) {
		t.Fatalf("gate opens %v; want when the quota resets", st.GateOpens)
	}
	// Reset: the calls go as they come again.
	clk.Advance(44 * time.Minute)
	for i := 0; i < 3; i++ {
		r, _ := p.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
		if !r.OK || r.Delay != 0 {
			t.Fatalf("call %d after the reset: %+v; want it sent at once", i, r)
		}
		_ = p.Report(ctx, r, pacing.Answer{Status: 200, Limit: 100, Remaining: 99 - i, Reset: 59 * time.Minute})
	}
	if st := state(t, p); st.Source != pacing.SourceNone {
		t.Fatalf("after the reset: %+v; want no pacing", st)
	}
}

// A GCRA bucket with a burst (throttled: Limit = burst+1, Reset = time to
// empty, in whole seconds) reads as "5 per second" when the true rate is
// 10: Remaining back at Limit-1 on answers closer together than a window
// could allow shows a bucket; its rate becomes a floor and the pacer
// learns above it, held back once the bucket starts to fill.
func TestBucketHeadersAreAFloor(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	bucket := pacing.Answer{Status: 200, Limit: 5, Remaining: 4, Reset: time.Second, ResetPrecision: time.Second}
	send(t, p, clk, pacing.Limit{}, bucket)
	if st := state(t, p); st.Source != pacing.SourceHeaders {
		t.Fatalf("first answer: %+v; want headers", st)
	}
	for i := 0; i < 3; i++ {
		send(t, p, clk, pacing.Limit{}, bucket)
	}
	st := state(t, p)
	if st.Source != pacing.SourceLearned || st.Rate < 5*(1-pacing.Margin) {
		t.Fatalf("after 4 answers of a bucket kept empty: %+v; want learning from 4.85/s", st)
	}
	for i := 0; i < 5; i++ {
		send(t, p, clk, pacing.Limit{}, bucket)
	}
	high := state(t, p).Rate
	if high <= 6 {
		t.Fatalf("learning above the floor: %.2f/s; want it rising", high)
	}
	// The bucket fills: the rate comes down, never under the floor.
	bucket.Remaining = 1
	for i := 0; i < 20; i++ {
		send(t, p, clk, pacing.Limit{}, bucket)
	}
	if st = state(t, p); st.Rate >= high || st.Rate < 5*(1-pacing.Margin) {
		t.Fatalf("bucket filling: %.2f/s from %.2f; want lower, not under 4.85", st.Rate, high)
	}
}

// A window quota paced at its rate counts down within each window: it is
// never taken for a bucket.
func TestWindowQuotaIsNotABucket(t *testing.T) {
	clk := newClock()
	p := pacing.New(pacing.WithClock(clk.Now))
	for i := 0; i < 30; i++ {
		send(t, p, clk, pacing.Limit{}, pacing.Answer{Status: 200, Limit: 5, Remaining: 4 - i%5, Reset: time.Second, ResetPrecision: time.Second})
	}
	if st := state(t, p); st.Source != pacing.SourceHeaders {
		t.Fatalf("%+v; want headers", st)
	}
}
