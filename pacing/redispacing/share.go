package redispacing

import (
	"sync"
	"time"

	"github.com/apikit/apikit-go/pacing"
)

// procWindow is how long a process counts as pacing a key after it last
// registered with it; registerEvery is how often it registers.
const (
	procWindow    = 10 * time.Second
	registerEvery = time.Second
)

// share is what this process knows of a key's shared pacing, for when
// Redis stops answering: the rate the fleet paced at, how many processes
// shared it, and this process's place among them (by ID).
//
// Each process then keeps to its own slots of one schedule that all of
// them can compute without talking: the fleet's slots at the fleet's rate,
// counted from the Unix epoch, slot j belonging to the process whose index
// is j mod n. Each process alone at 1/n of the rate would keep the
// average but not the spacing: at random phases their requests would
// often come closer than a gateway allows. The schedule needs the
// processes' clocks to agree within the margin (NTP does).
type share struct {
	mu       sync.Mutex
	rate     float64 // the shared rate, margin applied; 0 when not paced
	procs    int     // processes on the key in the last procWindow, this one included; 0: unknown
	index    int     // this process's place among them
	register time.Time

	next time.Time // the grid: the earliest this process's next slot may be
	gate time.Time // the grid: closed by a 429 until then
	last time.Time // the latest slot this process booked, in Redis or on the grid
}

func (p *Pacer) shareOf(fp string) *share {
	if v, ok := p.shares.Load(fp); ok {
		return v.(*share)
	}
	v, _ := p.shares.LoadOrStore(fp, &share{})
	return v.(*share)
}

// registerDue reports whether this reservation should register the process
// with the key (once a second: a few commands inside the script).
func (s *share) registerDue(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Before(s.register) {
		return false
	}
	s.register = now.Add(registerEvery)
	return true
}

func (s *share) update(rep reserveReply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate = 0
	if rep.src != pacing.SourceNone {
		s.rate = rep.rate
	}
	if rep.procs > 0 {
		s.procs, s.index = rep.procs, rep.index
	}
	if t := time.UnixMicro(rep.slot); rep.ok && rep.slot > 0 && t.After(s.last) {
		s.last = t
	}
}

// cancel forgets a slot given back, if it is the latest one known.
func (s *share) cancel(us int64) {
	s.mu.Lock()
	if s.last.UnixMicro() == us {
		s.last = time.Time{}
	}
	s.mu.Unlock()
}

// floor is the latest slot this process knows to be booked on the key,
// Unix µs (0: none): a Redis that restarted empty books after it, not over
// the slots still waiting to be used.
func (s *share) floor() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last.IsZero() {
		return 0
	}
	return s.last.UnixMicro()
}

// reserve books this process's next slot of the fleet's schedule, when it
// shared the key with others at a known rate; ok is false when it did not
// (then the in-process pacer paces it alone).
func (s *share) reserve(now time.Time, lim pacing.Limit, margin float64, maxWait time.Duration) (r pacing.Reservation, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rate := s.rate
	if lim.Known() {
		rate = lim.PerSecond * (1 - margin)
	}
	if s.procs < 2 || rate <= 0 {
		return pacing.Reservation{}, false
	}
	iv := int64(float64(time.Second) / rate)
	n := int64(s.procs)
	from := now
	gated := s.gate.After(from)
	if gated {
		from = s.gate
	}
	if s.next.After(from) {
		from = s.next
	}
	// After the slots already booked in Redis, still to be used.
	if after := s.last.Add(time.Duration(iv)); after.After(from) {
		from = after
	}
	j := (from.UnixNano() + iv - 1) / iv
	j += ((int64(s.index)-j%n)%n + n) % n
	t := time.Unix(0, j*iv)
	d := t.Sub(now)
	if d > maxWait {
		return pacing.Reservation{Delay: d, Gated: gated}, true
	}
	s.next = t.Add(time.Duration(iv))
	s.last = t
	return pacing.Reservation{OK: true, Delay: d, Gated: gated}, true
}

// report closes the schedule's gate on a 429.
func (s *share) report(now time.Time, a pacing.Answer) {
	if a.Status != 429 || a.RetryAfter < 0 { // not a 429, or one that said "retry now"
		return
	}
	hint := a.RetryAfter
	if hint <= 0 {
		hint = time.Second
	}
	s.mu.Lock()
	if t := now.Add(hint); t.After(s.gate) {
		s.gate = t
	}
	s.mu.Unlock()
}
