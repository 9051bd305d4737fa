package pacing

import (
	"context"
	"sync"
	"time"
)

// Margin is how far under a known or announced limit the in-process pacer
// paces: 3%. Gateways count in whole milliseconds, so a client sending at
// exactly the limit is refused now and then.
const Margin = 0.03

// defaultGate is how long a 429 without a hint closes the gate.
const defaultGate = time.Second

// Local is the in-process Pacer: it paces every key it is asked about, each
// on its own, in memory. It is safe for concurrent use; share one between
// clients to share the limits of the keys they use. The zero Local is ready
// to use (on time.Now, without an observer); New sets its options.
type Local struct {
	now      func() time.Time
	observer func(Event)
	keys     sync.Map // fingerprint → *keyState
}

// Option configures a Local.
type Option func(*Local)

// WithClock sets the pacer's clock (time.Now by default); tests pass a
// fake one. The delays the pacer returns are measured on this clock.
func WithClock(now func() time.Time) Option {
	return func(l *Local) {
		if now != nil {
			l.now = now
		}
	}
}

// WithObserver calls f for every Event: each time a key's gate closes and
// each time its rate is set (a known limit, the headers, a cut after a 429,
// a wider margin); the slow probe upward after successes is not reported
// step by step (State shows where it is). f runs on the goroutine that reported the
// answer, outside the pacer's locks; it must not block.
func WithObserver(f func(Event)) Option {
	return func(l *Local) { l.observer = f }
}

// New returns an in-process pacer. Nil options are skipped.
func New(opts ...Option) *Local {
	l := &Local{now: time.Now}
	for _, opt := range opts {
		if opt != nil {
			opt(l)
		}
	}
	return l
}

var (
	_ Pacer     = (*Local)(nil)
	_ Inspector = (*Local)(nil)
	_ Departer  = (*Local)(nil)
)

func (l *Local) state(fp string) *keyState {
	if v, ok := l.keys.Load(fp); ok {
		return v.(*keyState)
	}
	v, _ := l.keys.LoadOrStore(fp, &keyState{})
	return v.(*keyState)
}

// Reserve books the next slot for an attempt with the key fp; see Pacer.
// It never blocks on other callers.
func (l *Local) Reserve(_ context.Context, fp string, lim Limit, maxWait time.Duration) (Reservation, error) {
	if err := lim.Validate(); err != nil {
		return Reservation{}, err
	}
	now := l.clock()
	s := l.state(fp)
	s.mu.Lock()
	ev, changed := s.setKnown(fp, lim)
	r := s.reserve(now, maxWait)
	s.mu.Unlock()
	if changed {
		l.emit(ev)
	}
	r.Key = fp
	return r, nil
}

// Cancel gives back the slot of a reservation whose attempt was not sent,
// when no later slot has been booked since.
func (l *Local) Cancel(_ context.Context, r Reservation) error {
	if !r.OK || r.Slot == 0 {
		return nil
	}
	s := l.state(r.Key)
	s.mu.Lock()
	s.cancel(r.Slot)
	s.mu.Unlock()
	return nil
}

// Report tells the pacer how an attempt was answered: a 429 closes the
// key's gate and, when the rate is being learned, lowers it; a success
// lets a learned rate probe upward; rate-limit headers set the rate.
func (l *Local) Report(_ context.Context, r Reservation, a Answer) error {
	now := l.clock()
	s := l.state(r.Key)
	s.mu.Lock()
	evs := s.report(now, r, a)
	s.mu.Unlock()
	for _, ev := range evs.list() {
		ev.Key = r.Key
		l.emit(ev)
	}
	return nil
}

// Depart is called just before a booked attempt leaves. It returns how
// much longer the attempt must wait: until the key's gate opens, if a 429
// closed it since the slot was booked, and, one at a time, until an
// interval has passed since the attempt before it actually left. When it
// returns 0 it has recorded the departure.
func (l *Local) Depart(r Reservation) time.Duration {
	if !r.OK || r.Slot == 0 {
		return 0
	}
	now := l.clock()
	s := l.state(r.Key)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.depart(now)
}

// Sent records that the attempt on r has just been written: the next one
// leaves an interval after this moment, not after its Depart. Safe to call
// from any goroutine (net/http calls it from a connection's).
func (l *Local) Sent(r Reservation) {
	if r.Slot == 0 {
		return
	}
	now := l.clock()
	s := l.state(r.Key)
	s.mu.Lock()
	if now.After(s.departed) {
		s.departed = now
	}
	s.mu.Unlock()
}

// State reports how the key fp is paced now.
func (l *Local) State(_ context.Context, fp string) (State, error) {
	st := State{Key: fp}
	v, ok := l.keys.Load(fp)
	if !ok {
		return st, nil
	}
	s := v.(*keyState)
	now := l.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Source, st.Rate, st.Burst = s.src, s.rate, s.burst
	if s.gate.After(now) {
		st.GateOpens = s.gate
	}
	return st, nil
}

// clock is the pacer's time: time.Now unless WithClock said otherwise (and
// in a zero Local).
func (l *Local) clock() time.Time {
	if l.now == nil {
		return time.Now()
	}
	return l.now()
}

func (l *Local) emit(ev Event) {
	if l.observer != nil {
		l.observer(ev)
	}
}
