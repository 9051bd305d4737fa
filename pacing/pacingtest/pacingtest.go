// Package pacingtest holds the rules every pacing.Pacer keeps, as one table
// of test vectors, and runs them against any pacer on a fake clock: the
// in-process pacer (pacing.Local) and the Redis pacer
// (pacing/redispacing) run the same table, so the two keep the same rules.
//
// Use it from a pacer's tests:
//
//	func TestRules(t *testing.T) {
//		pacingtest.Run(t, func(t *testing.T, now func() time.Time) pacing.Pacer {
//			return pacing.New(pacing.WithClock(now))
//		})
//	}
//
// The pacer must read time from now only (the table moves it), and each
// call of the constructor must start with no state for the table's key.
// The expectations are ranges wide enough for a pacer's own margin (3% in
// process, 8% for a fleet) but narrow enough to catch a broken rule.
package pacingtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/apikit/apikit-go/pacing"
)

// Key is the fingerprint the vectors pace.
const Key = "fp_pacingtest01"

// Clock is a fake clock that moves only when told; safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at a fixed moment (2027-01-01 12:00:00.6 UTC:
// a whole-second reset is 400 ms away).
func NewClock() *Clock {
	return &Clock{t: time.Date(2027, 1, 1, 12, 0, 0, 600_000_000, time.UTC)}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Want is what a Reserve must reply.
type Want struct {
	OK bool // a slot is booked
	// The whole wait (until the slot, or the wait the refusal names) lies
	// in [MinDelay, MaxDelay]; for a refusal (OK false), MaxDelay 0 means
	// no upper bound.
	MinDelay, MaxDelay time.Duration
}

// Step is one event of a vector. The clock first moves on by After; then
// a caller asks for a slot as the client does (asking again, and moving
// the clock, while the pacer says "come back"). With Send it moves the
// clock to its slot and reports the answer; with Expect it checks the
// outcome — booked or refused, and the whole wait — and cancels a booked
// slot.
type Step struct {
	After   time.Duration
	Limit   pacing.Limit  // the caller's known limit (zero: none)
	MaxWait time.Duration // the caller's longest wait; 0 means a minute
	Send    *pacing.Answer
	Expect  *Want
}

// Vector is one rule, as a sequence of steps on one key.
type Vector struct {
	Name  string
	Rule  string // the rule in a sentence (docs/PACING.md)
	Steps []Step
}

// at is a reset given as a point in time, ahead of the table's clock at
// its start; a vector that sends it must not have moved the clock.
func at(d time.Duration) time.Time { return NewClock().Now().Add(d) }

func ok() *pacing.Answer { return &pacing.Answer{Status: 200, Remaining: -1} }

func refused(hint time.Duration) *pacing.Answer {
	return &pacing.Answer{Status: 429, RetryAfter: hint, Remaining: -1}
}

func times(n int, s Step) []Step {
	out := make([]Step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func steps(parts ...[]Step) []Step {
	var out []Step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func one(s Step) []Step { return []Step{s} }

const year = 365 * 24 * time.Hour

// Vectors is the table of rules.
func Vectors() []Vector {
	five := pacing.Limit{PerSecond: 5, Burst: 1}
	return []Vector{
		{
			Name: "no-sign-holds-nothing", Rule: "until the first sign of a limit, nothing is held back",
			Steps: steps(times(5, Step{Send: ok()}), one(Step{Expect: &Want{OK: true}})),
		},
		{
			Name: "gate-holds-for-the-hint", Rule: "a 429 closes the key's gate for its Retry-After, for every caller",
			Steps: steps(one(Step{Send: refused(2 * time.Second)}),
				one(Step{Expect: &Want{OK: true, MinDelay: 2 * time.Second, MaxDelay: 3 * time.Second}})),
		},
		{
			Name: "retry-now-closes-no-gate", Rule: "a 429 that says retry now (Retry-After: 0) closes no gate",
			Steps: steps(one(Step{Send: refused(-1)}), one(Step{Expect: &Want{OK: true, MaxDelay: 0}})),
		},
		{
			Name: "refuse-at-booking", Rule: "a gate beyond the caller's longest wait is refused at once, nothing booked",
			Steps: steps(one(Step{Send: refused(30 * time.Second)}),
				one(Step{MaxWait: 10 * time.Second, Expect: &Want{OK: false, MinDelay: 10*time.Second + 1, MaxDelay: 31 * time.Second}}),
				one(Step{Expect: &Want{OK: true, MinDelay: 30 * time.Second, MaxDelay: 31 * time.Second}})),
		},
		{
			Name: "known-limit-spaces", Rule: "a known limit spaces attempts a little under it",
			Steps: steps(times(3, Step{Limit: five, Send: ok()}),
				one(Step{Limit: five, Expect: &Want{OK: true, MinDelay: 200 * time.Millisecond, MaxDelay: 230 * time.Millisecond}})),
		},
		{
			Name: "known-limit-widens-after-429", Rule: "a 429 under a known limit widens the margin",
			Steps: steps(times(2, Step{Limit: five, Send: ok()}), one(Step{Limit: five, Send: refused(time.Second)}),
				one(Step{Limit: five, Send: ok()}),
				one(Step{Limit: five, Expect: &Want{OK: true, MinDelay: 210 * time.Millisecond, MaxDelay: 260 * time.Millisecond}})),
		},
		{
			Name: "headers-set-the-rate", Rule: "a limit per short window, from the headers, paces at that rate",
			Steps: steps(times(2, Step{Send: &pacing.Answer{Status: 200, Limit: 5, Remaining: 4, Reset: time.Second, ResetPrecision: time.Second}}),
				one(Step{Expect: &Want{OK: true, MinDelay: 200 * time.Millisecond, MaxDelay: 230 * time.Millisecond}})),
		},
		{
			Name: "absolute-reset-is-not-the-window", Rule: "a reset given as a point in time ends the window, it is not its length",
			Steps: steps(one(Step{Send: &pacing.Answer{Status: 200, Limit: 5, Remaining: 4, Reset: 400 * time.Millisecond,
				ResetAt: at(400 * time.Millisecond), ResetPrecision: time.Second}}),
				one(Step{Expect: &Want{OK: true, MinDelay: 200 * time.Millisecond, MaxDelay: 230 * time.Millisecond}})),
		},
		{
			Name: "stated-window", Rule: "a window the answer states (IETF w=) is the window",
			Steps: steps(one(Step{Send: &pacing.Answer{Status: 200, Limit: 10, Remaining: 9, Reset: time.Second, ResetPrecision: time.Second, Window: 2 * time.Second}}),
				one(Step{Expect: &Want{OK: true, MinDelay: 200 * time.Millisecond, MaxDelay: 230 * time.Millisecond}})),
		},
		{
			Name: "whole-second-reset-slack", Rule: "a spent quota's gate opens no sooner than its whole-second reset plus a second",
			Steps: steps(one(Step{Send: &pacing.Answer{Status: 200, Limit: 100, Remaining: 0, Reset: 20 * time.Second,
				ResetAt: at(20 * time.Second), ResetPrecision: time.Second}}),
				one(Step{Expect: &Want{OK: true, MinDelay: 21 * time.Second, MaxDelay: 22 * time.Second}})),
		},
		{
			Name: "spent-quota-gates-a-known-rate", Rule: "a spent long-window quota closes the gate even under a known rate, and its reset takes a burst again",
			Steps: steps(one(Step{Limit: pacing.Limit{PerSecond: 2, Burst: 30}, Send: &pacing.Answer{Status: 200, Limit: 30, Remaining: 0,
				Reset: 14 * time.Second, ResetAt: at(14 * time.Second), ResetPrecision: time.Second}}),
				one(Step{Limit: pacing.Limit{PerSecond: 2, Burst: 30}, Expect: &Want{OK: true, MinDelay: 15 * time.Second, MaxDelay: 16 * time.Second}}),
				times(5, Step{Limit: pacing.Limit{PerSecond: 2, Burst: 30}, Send: &pacing.Answer{Status: 200, Limit: 30, Remaining: 20,
					Reset: 14 * time.Second, ResetPrecision: time.Second}}),
				one(Step{Limit: pacing.Limit{PerSecond: 2, Burst: 30}, Expect: &Want{OK: true, MaxDelay: 0}})),
		},
		{
			Name: "spent-window-429-slack", Rule: "a 429 on a spent window without Retry-After waits for its reset plus its precision",
			Steps: steps(one(Step{Send: &pacing.Answer{Status: 429, Limit: 30, Remaining: 0, Reset: 5 * time.Second,
				ResetAt: at(5 * time.Second), ResetPrecision: time.Second}}),
				one(Step{Expect: &Want{OK: true, MinDelay: 6 * time.Second, MaxDelay: 7 * time.Second}})),
		},
		{
			Name: "absurd-hint-probe", Rule: "a gate beyond the ceiling lets one probe through per longest wait; a success opens it",
			Steps: steps(one(Step{Send: refused(year)}),
				one(Step{Send: ok()}), // the probe, answered: the gate was wrong
				one(Step{Expect: &Want{OK: true, MaxDelay: time.Second}})),
		},
		{
			Name: "absurd-hint-one-probe-per-wait", Rule: "a probe refused again closes the gate; the next probe waits a longest wait",
			Steps: steps(one(Step{Send: refused(year)}),
				one(Step{Send: refused(year)}), // the probe, refused
				one(Step{Expect: &Want{OK: false, MinDelay: time.Hour}}),
				one(Step{After: time.Minute, Expect: &Want{OK: true, MaxDelay: 0}})),
		},
		{
			Name: "absurd-reset-probe", Rule: "Remaining 0 with a reset in year 9999 locks nothing",
			Steps: steps(one(Step{Send: &pacing.Answer{Status: 200, Limit: 5, Remaining: 0, Reset: year, ResetPrecision: time.Second}}),
				one(Step{Send: ok()}),
				one(Step{Expect: &Want{OK: true, MaxDelay: time.Second}})),
		},
		{
			Name: "first-wave-is-not-a-rate", Rule: "successes answered together do not teach a high rate: the first cut counts a second of them",
			Steps: steps(times(5, Step{Send: ok()}), one(Step{Send: refused(time.Second)}), one(Step{Send: ok()}),
				one(Step{Expect: &Want{OK: true, MinDelay: 100 * time.Millisecond, MaxDelay: 1100 * time.Millisecond}})),
		},
		{
			Name: "bare-429s-back-off", Rule: "a 429 without a hint right after such a gate opened doubles the next gate",
			Steps: steps(one(Step{Send: refused(0)}), one(Step{Send: refused(0)}),
				one(Step{Expect: &Want{OK: true, MinDelay: 2 * time.Second, MaxDelay: 3 * time.Second}})),
		},
		{
			Name: "bucket-of-one-learns-above", Rule: "a bucket of one (GCRA, burst 0) paces at its floor and learns above it",
			Steps: steps(times(4, Step{Send: &pacing.Answer{Status: 200, Limit: 1, Remaining: 0, Reset: time.Second, ResetPrecision: time.Second}}),
				one(Step{Expect: &Want{OK: true, MaxDelay: 900 * time.Millisecond}})),
		},
		{
			Name: "bucket-of-one-429-rounds-up", Rule: "a bucket of one's Retry-After of a second is a wait under a second, rounded up: after the cut its next slot comes sooner",
			Steps: steps(times(4, Step{Send: bucketOfOne(200)}), one(Step{Send: bucketOfOne(429)}),
				one(Step{Expect: &Want{OK: true, MaxDelay: 700 * time.Millisecond}}),
				// A refusal right after such a gate keeps the whole second
				// (a fleet's slots booked behind it may add an interval).
				one(Step{Send: bucketOfOne(429)}),
				one(Step{Expect: &Want{OK: true, MinDelay: 900 * time.Millisecond, MaxDelay: 1500 * time.Millisecond}})),
		},
		{
			Name: "bucket-of-one-429-rounds-up-known", Rule: "under a known limit too, a bucket of one's Retry-After of a second gates only until its interval has passed",
			Steps: steps(times(4, Step{Limit: five, Send: bucketOfOne(200)}), one(Step{Limit: five, Send: bucketOfOne(429)}),
				one(Step{Limit: five, Expect: &Want{OK: true, MaxDelay: 400 * time.Millisecond}})),
		},
	}
}

// bucketOfOne is an answer of throttled/throttled with no burst: a bucket
// of one request, the reset and Retry-After rounded up to whole seconds.
func bucketOfOne(status int) *pacing.Answer {
	a := &pacing.Answer{Status: status, Limit: 1, Remaining: 0, Reset: time.Second, ResetPrecision: time.Second}
	if status == 429 {
		a.RetryAfter = time.Second
	}
	return a
}

// Run runs every vector against a new pacer from newPacer, on a fake
// clock, each as its own subtest.
func Run(t *testing.T, newPacer func(t *testing.T, now func() time.Time) pacing.Pacer) {
	t.Helper()
	for _, v := range Vectors() {
		t.Run(v.Name, func(t *testing.T) {
			clk := NewClock()
			p := newPacer(t, clk.Now)
			for i, s := range v.Steps {
				clk.Advance(s.After)
				if err := runStep(p, clk, s); err != "" {
					t.Fatalf("%s (%s): step %d: %s", v.Name, v.Rule, i, err)
				}
			}
		})
	}
}

func runStep(p pacing.Pacer, clk *Clock, s Step) string {
	if s.Expect == nil && s.Send == nil {
		return ""
	}
	ctx := context.Background()
	maxWait := s.MaxWait
	if maxWait == 0 {
		maxWait = time.Minute
	}
	// Ask as the client does: while the pacer says "come back", wait and
	// ask again.
	var waited time.Duration
	var r pacing.Reservation
	for i := 0; ; i++ {
		if i == 1000 {
			return "no slot after 1000 asks"
		}
		var err error
		r, err = p.Reserve(ctx, Key, s.Limit, maxWait-waited)
		if err != nil {
			return "Reserve: " + err.Error()
		}
		if r.Delay > maxWait-waited {
			break // refused
		}
		clk.Advance(r.Delay)
		waited += r.Delay
		if r.OK {
			break
		}
		if r.Delay <= 0 {
			return "a reply without a slot must say when to ask again: " + describe(r)
		}
	}
	if w := s.Expect; w != nil {
		total := waited
		if !r.OK {
			total += r.Delay
		} else {
			_ = p.Cancel(ctx, r)
		}
		bounded := w.OK || w.MaxDelay > 0 // a refusal with MaxDelay 0 may name any wait
		if r.OK != w.OK || total < w.MinDelay || bounded && total > w.MaxDelay {
			return "Reserve = " + describe(r) + " after waiting " + waited.String() + "; want " + describeWant(*w)
		}
		return ""
	}
	if !r.OK {
		return "Send: refused: " + describe(r)
	}
	if d, ok := p.(pacing.Departer); ok {
		for range 100 {
			w := d.Depart(r)
			if w <= 0 {
				break
			}
			clk.Advance(w)
		}
	}
	if err := p.Report(ctx, r, *s.Send); err != nil {
		return "Report: " + err.Error()
	}
	return ""
}

func describe(r pacing.Reservation) string {
	return "{OK: " + boolStr(r.OK) + ", Delay: " + r.Delay.String() + ", Gated: " + boolStr(r.Gated) + "}"
}

func describeWant(w Want) string {
	return "{OK: " + boolStr(w.OK) + ", Delay in [" + w.MinDelay.String() + ", " + w.MaxDelay.String() + "]}"
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
