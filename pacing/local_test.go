package pacing_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/apikit/apikit-go/pacing"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a fake clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

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
