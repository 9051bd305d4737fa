package redispacing

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apikit/apikit-go/pacing"
)

// procWindow is how long a process counts as pacing a key after it last
// registered with it; registerEvery is how often it registers.
const (
	procWindow    = 10 * time.Second
	registerEvery = time.Second
)

// fallbackHorizon is how far ahead a process books its own slots while it
// paces a key without Redis: callers further back are told to ask again,
// so that the process asks Redis again (and hands its callers back to the
// fleet) soon after Redis answers, and holds few slots Redis does not know
// of when it does.
const fallbackHorizon = time.Second

// keyState is everything this process keeps about one key fingerprint:
// whether Redis answers for it, the successes not yet told, and what it
// knows of the key's shared pacing for when Redis stops answering — the
// rate the fleet paced at, how many processes shared it, and this
// process's place among them (by ID). It is dropped once unused for the
// Pacer's TTL, as the key's hash is in Redis.
//
// Times here are Redis's (TIME, Unix µs), not this process's clock: the
// Pacer converts with the offset it measures (Pacer.serverNow).
//
// Without Redis each process keeps to its own slots of one schedule that
// all of them can compute without talking: the fleet's slots at the
// fleet's last shared rate, counted from the Unix epoch on Redis's clock,
// slot j belonging to the process whose index is j mod n. Each process
// alone at 1/n of the rate would keep the average but not the spacing: at
// random phases their requests would often come closer than a gateway
// allows.
type keyState struct {
	succ    atomic.Int64 // successes seen and not yet told to Redis
	refused atomic.Int64 // 429s to attempts paced alone, not yet told to Redis
	used    atomic.Int64 // when it was last used, this process's clock, Unix ns

	mu       sync.Mutex
	src      pacing.Source // the shared pacing's source at the last answer
	rate     float64       // the shared rate, margin applied; 0 when not paced
	burst    int
	procs    int // processes on the key in the last procWindow, this one included; 0: unknown
	index    int // this process's place among them
	register time.Time

	// Redis's health for this key (its slot): down while calls fail.
	down    bool
	nextTry time.Time // this process's clock: when to ask Redis again
	fails   int       // calls failed in a row
	probing bool

	epoch int64 // the key's hash's epoch in Redis (when it was made, µs); 0 unknown
	seen  int64 // when Redis told the rate (µs, Redis's clock)
	tat   int64 // the latest "next free slot" Redis told, µs

	// moves are the last cuts' moves of the slots booked before them,
	// oldest first (see Pacer.Depart).
	moves [2]move

	next time.Time // the grid: the earliest this process's next slot may be
	gate time.Time // the grid: closed by a 429 until then
	last time.Time // the latest slot this process booked, in Redis or on the grid

	// oks are the latest two slots (Redis µs, newest first; 0: none) of
	// this process's plain successes not yet told to Redis: they ride on
	// the next reservation with the count (succ), so that the script knows
	// the fleet's latest accepted gap (see reserveScript).
	oks [2]int64
}

// accepted notes a plain success's slot (Redis µs) until it is told.
func (ks *keyState) accepted(us int64) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.oks = newestTwo(ks.oks, us)
}

// takeAccepted hands over the slots noted by accepted and forgets them;
// giveBack keeps them for the next call when Redis did not hear them.
func (ks *keyState) takeAccepted() [2]int64 {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	oks := ks.oks
	ks.oks = [2]int64{}
	return oks
}

func (ks *keyState) giveBack(oks [2]int64) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	for _, us := range oks {
		ks.oks = newestTwo(ks.oks, us)
	}
}

// newestTwo is the newest two of oks (newest first) and us (0: none).
func newestTwo(oks [2]int64, us int64) [2]int64 {
	switch {
	case us <= 0 || us == oks[0] || us == oks[1]:
	case us > oks[0]:
		oks = [2]int64{us, oks[0]}
	case us > oks[1]:
		oks[1] = us
	}
	return oks
}

func (p *Pacer) keyOf(fp string) *keyState {
	now := p.now()
	if v, ok := p.keys.Load(fp); ok {
		ks := v.(*keyState)
		ks.used.Store(now.UnixNano())
		return ks
	}
	p.sweep(now)
	ks := &keyState{}
	ks.used.Store(now.UnixNano())
	v, _ := p.keys.LoadOrStore(fp, ks)
	return v.(*keyState)
}

// sweep drops the state of keys unused for the TTL, at most once per
// sweepEvery, when a new key is seen: so a process that cycles through
// keys keeps what the live ones need, not one entry per key ever seen.
func (p *Pacer) sweep(now time.Time) {
	next := p.nextSweep.Load()
	if now.UnixNano() < next || !p.nextSweep.CompareAndSwap(next, now.Add(min(p.ttl, time.Minute)).UnixNano()) {
		return
	}
	cut := now.Add(-p.ttl).UnixNano()
	p.keys.Range(func(k, v any) bool {
		ks := v.(*keyState)
		if ks.used.Load() < cut {
			ks.mu.Lock()
			down := ks.down
			ks.mu.Unlock()
			if down {
				p.healed()
			}
			p.keys.Delete(k)
		}
		return true
	})
}

// registerDue reports whether this reservation should register the process
// with the key (once a second: a few commands inside the script).
func (s *keyState) registerDue(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Before(s.register) {
		return false
	}
	s.register = now.Add(registerEvery)
	return true
}

func (s *keyState) update(rep reserveReply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate, s.src, s.burst = 0, rep.src, 0
	if rep.src != pacing.SourceNone {
		s.rate, s.burst = rep.rate, rep.burst
	}
	s.seen = rep.now
	if rep.procs > 0 {
		s.procs, s.index = rep.procs, rep.index
	}
	if t := time.UnixMicro(rep.slot); rep.ok && rep.slot > 0 && t.After(s.last) {
		s.last = t
	}
	s.epoch = rep.epoch
	if rep.tat > s.tat {
		s.tat = rep.tat
	}
	s.learnMove(rep.move)
}

// learnMove keeps a cut's move of the booked slots, when newer than those
// known.
func (s *keyState) learnMove(m move) {
	if m.at <= 0 || m.at <= s.moves[1].at {
		return
	}
	s.moves[0], s.moves[1] = s.moves[1], m
}

// moved is where the cuts this process knows of put the slot t (Redis's
// clock, µs): each move in turn, as each moved the slots then booked.
func (s *keyState) moved(t int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.moves {
		t = m.of(t)
	}
	return t
}

// lost is what the reserve script needs to rebuild a key whose state Redis
// lost (restarted empty) or that this process paced alone until now (now
// is Redis's clock as this process reckons it): the epoch it knew; the
// latest slot it knows to be held and how far after it to book (guard:
// one round of the fleet's schedule and margin, for the others' slots);
// the rate and source it shared, and when Redis told it (seen); and, when it paced the key alone, the
// earliest slot the fleet may book (back, µs; 0 when it did not): after
// its own and the others' slots booked without Redis, none of them more
// than fallbackHorizon ahead.
func (s *keyState) lost(now time.Time, margin time.Duration) (epoch, held int64, src pacing.Source, rate float64, seen, guard, back int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	held = s.tat
	if l := s.last.UnixMicro(); !s.last.IsZero() && l > held {
		held = l
	}
	if s.rate > 0 && s.procs > 1 {
		guard = int64(float64(s.procs)*1e6/s.rate) + micros(margin)
	}
	if s.down {
		back = now.Add(fallbackHorizon).UnixMicro()
		if l := s.last.UnixMicro(); !s.last.IsZero() && l > back {
			back = l
		}
		if s.rate > 0 {
			back += int64(1e6 / s.rate)
		}
	}
	return s.epoch, held, s.src, s.rate, s.seen, guard, back
}

// cancel forgets a slot given back, if it is the latest one known.
func (s *keyState) cancel(us int64) {
	s.mu.Lock()
	if s.last.UnixMicro() == us {
		s.last = time.Time{}
	}
	s.mu.Unlock()
}

// learnedShare is the part of a learned rate a process keeps to without
// Redis: a learned rate probes upward (fast in slow start) until a 429
// cuts it, and no 429 can cut the schedule of processes that do not talk.
const learnedShare = 0.8

// fallbackRate is the rate a process paces a key at without Redis: the
// fleet's last shared rate (learnedShare of it when learned; the known
// limit less the margin when that is lower), rounded down to a step of
// 1/16 of an octave so that processes whose learned rates drifted a little
// apart still land on one schedule. 0 when there is none.
func fallbackRate(shared float64, src pacing.Source, lim pacing.Limit, margin float64) float64 {
	r := shared
	if src == pacing.SourceLearned {
		r *= learnedShare
	}
	if lim.Known() {
		if k := lim.PerSecond * (1 - margin); r <= 0 || k < r {
			r = k
		}
	}
	if r <= 0 {
		return 0
	}
	return math.Exp2(math.Floor(math.Log2(r)*16) / 16)
}

// reserve books this process's next slot of the fleet's schedule (now is
// Redis's clock, as this process reckons it), when it shared the key's
// rate with the fleet or knows its limit; ok is false when neither (then
// the in-process pacer paces it alone). The schedule's rate is the fleet's,
// never above it; each process takes its 1/n of it. A caller whose slot is
// further than fallbackHorizon is told to ask again then, or after retry
// (when this process asks Redis again) if sooner.
func (s *keyState) reserve(now time.Time, lim pacing.Limit, margin float64, maxWait, retry time.Duration) (r pacing.Reservation, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rate := fallbackRate(s.rate, s.src, lim, margin)
	if rate <= 0 || (s.rate <= 0 && s.procs < 2) {
		return pacing.Reservation{}, false
	}
	iv := int64(float64(time.Second) / rate)
	n := int64(max(s.procs, 1))
	from := now
	gated := s.gate.After(from)
	if gated {
		from = s.gate
	}
	if s.next.After(from) {
		from = s.next
	}
	// After the slots already booked in Redis, still to be used: this
	// process's, and every slot before the next free one Redis last told.
	if after := s.last.Add(time.Duration(iv)); after.After(from) {
		from = after
	}
	if free := time.UnixMicro(s.tat); s.tat > 0 && free.After(from) {
		from = free
	}
	j := (from.UnixNano() + iv - 1) / iv
	j += ((int64(s.index)-j%n)%n + n) % n
	t := time.Unix(0, j*iv)
	d := t.Sub(now)
	if d > maxWait {
		return pacing.Reservation{Delay: d, Gated: gated}, true
	}
	if d > fallbackHorizon {
		// Ask again when the slot is within the horizon, or at the next
		// retry, when Redis may answer again.
		return pacing.Reservation{Delay: min(d-fallbackHorizon, retry), Gated: gated}, true
	}
	s.next = t.Add(time.Duration(iv))
	s.last = t
	return pacing.Reservation{OK: true, Delay: d, Gated: gated}, true
}

// state is the key's pacing as this process last saw it shared, for State
// while Redis does not answer; ok is false when it saw none.
func (s *keyState) state(fp string, now time.Time) (pacing.State, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.src == pacing.SourceNone || s.rate <= 0 {
		return pacing.State{}, false
	}
	st := pacing.State{Key: fp, Source: s.src, Rate: s.rate, Burst: max(s.burst, 1)}
	if s.gate.After(now) {
		st.GateOpens = s.gate
	}
	return st, true
}

// report closes the schedule's gate on a 429 (now is Redis's clock).
func (s *keyState) report(now time.Time, a pacing.Answer) {
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
