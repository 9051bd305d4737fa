package pacing

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// The pacer's tuning: the learned rate (keyState.cut and keyState.probe),
// the margin under a known or announced rate, and how far ahead slots are
// booked. Measured against nginx by scripts/pacing (docs/PACING.md).
const (
	// firstGuess is the lowest first estimate after a key's first 429,
	// requests a second: below it the gate does the spacing.
	firstGuess = 1.0
	// minRate is the lowest rate the pacer learns down to.
	minRate = 0.05
	// slowStartStep is what each success adds to the rate (requests a
	// second) until the first cut: it grows e-fold twice a second.
	slowStartStep = 2.0
	// probeStep is what each success adds after slow start, to find out
	// whether the limit has risen: half a percent a second, whatever the
	// rate.
	probeStep = 0.005
	// cutLow and cutHigh bound a cut: to the rate at which successes were
	// observed less cutMargin, but to no less than 70% and no more than
	// 90% of the rate that was refused.
	cutLow, cutHigh = 0.7, 0.9
	cutMargin       = 0.05
	// Each 429 under a known or announced limit widens the margin by
	// extraStep, up to extraMax: a gateway that counts to the millisecond
	// needs a little more after a late wake-up; a window counter starts
	// wider (windowExtra). Every narrowEvery successes narrow it by
	// narrowStep.
	extraStep, extraMax = 0.03, 0.2
	// windowExtra is the margin added under a window counter's headers
	// from the start (see fromHeaders).
	windowExtra             = 0.07
	narrowEvery, narrowStep = 10, 0.005
	// departShare is the least share of an interval between two actual
	// departures: the slots keep the full interval, so only a wake-up late
	// by more than the difference holds the next attempt back.
	departShare = 1 - Margin/2
	// minHorizon is the least distance ahead a slot may be booked.
	minHorizon = 50 * time.Millisecond
	// knownHorizon is how far ahead a slot may be booked under a known or
	// announced rate, which does not change: far enough that a caller
	// waking late does not leave its slot empty.
	knownHorizon = time.Second
	// maxPacedWindow is the longest X-RateLimit window the pacer spreads
	// evenly; a longer one is a quota, kept by its gate alone.
	maxPacedWindow = 10 * time.Second
	// successWindow is how far back observed successes count.
	successWindow = 3 * time.Second
	// medianOf is how many of the latest gaps between successes observed
	// takes the median of.
	medianOf = 8
	// gateCeiling bounds how long an answer can lock a key: a gate further
	// away than the larger of it and the caller's longest wait lets one
	// probe through per that wait (see Local). An hour, and a minute for
	// an hourly quota's reset given in whole seconds.
	gateCeiling = time.Hour + time.Minute
	// maxGate bounds every gate, so that arithmetic on it never overflows.
	maxGate = 366 * 24 * time.Hour
	// firstCutSpan is the span over which the first 429 counts the
	// successes it starts learning from: a limiter's window is rarely
	// shorter, and successes that came together (the first wave) say
	// nothing about a rate.
	firstCutSpan = time.Second
	// bucketAfter is how many answers in a row must show a bucket refilled
	// (Remaining back at Limit-1 sooner than a window could end) before the
	// headers are read as a bucket's (GCRA) rather than a window's.
	bucketAfter = 3
	// maxStreak bounds the doubling of a gate without a hint after 429s
	// that came right after the gate before opened (a limiter that counts
	// its refusals).
	maxStreak = 3
)

// keyState is the pacing of one key. Every field is guarded by mu.
type keyState struct {
	mu sync.Mutex

	src      Source
	rate     float64       // requests a second, margin applied; 0 while src is SourceNone
	burst    int           // at least 1 once paced
	interval time.Duration // 1/rate
	tat      time.Time     // theoretical arrival time of the next request (GCRA)
	last     time.Time     // the latest booked slot
	gate     time.Time     // closed until then
	departed time.Time     // when the latest attempt actually left (see Depart)

	known Limit // the limit the callers gave, if any

	// Learning.
	succ      [64]int64 // Unix nanoseconds of recent successes, a ring
	succN     int       // how many of succ are set
	succAt    int       // next index to write
	slowStart bool      // learning has not yet been refused since its first 429: probe fast
	floor     float64   // one request per hint of the latest 429: the least rate learning goes down to
	cutGate   time.Time // the gate of the last cut: 429s answered before it opens are the same episode
	lastOK    time.Time // when the latest accepted attempt left (its slot)

	window time.Duration // the quota's window, as far as the headers tell it (see fromHeaders)

	// Reading the headers.
	maxReset    time.Duration // the longest reset seen, rounded up to its precision
	resetAt     time.Time     // the latest absolute reset seen
	resetDiff   time.Duration // the least step between two absolute resets seen: a fixed window's length
	lastHdrAt   time.Time     // when the latest answer with headers came
	refilled    int           // answers in a row that showed a bucket refilled
	bucket      bool          // the headers describe a bucket (GCRA), their rate a floor
	bucketLimit int           // the bucket's size (its X-RateLimit-Limit)

	// The gate.
	probeEvery time.Duration // the longest wait a caller accepts: one probe per that through a gate beyond the ceiling
	probeAt    time.Time     // when the next probe may go
	gateEnd    time.Time     // when the latest gate without a hint opened (see streak)
	shortGate  time.Time     // a bucket of one's gate opened before its Retry-After (see bucketHint)
	streak     int           // gates without a hint refused right after they opened

	// A known or announced limit is paced at base less Margin less extra:
	// each 429 it still gets (a late wake-up makes two requests closer
	// than their slots) widens the margin, successes narrow it slowly.
	base      float64
	extra     float64
	sinceWide int // successes since extra last changed
}

// events holds the (at most three) events of one report without
// allocating.
type events struct {
	ev [3]Event
	n  int
}

func (e *events) add(ev Event) {
	if e.n < len(e.ev) {
		e.ev[e.n] = ev
		e.n++
	}
}

func (e *events) list() []Event { return e.ev[:e.n] }

// setRate paces at rate (already under the limit) with burst, and reports
// the change as an event when it is one worth telling.
func (s *keyState) setRate(rate float64, burst int, src Source, reason string) (Event, bool) {
	rate = max(rate, minRate)
	burst = max(burst, 1)
	prev, prevSrc, prevInterval := s.rate, s.src, s.interval
	s.src, s.rate, s.burst = src, rate, burst
	s.interval = time.Duration(float64(time.Second) / rate)
	if !s.last.IsZero() && s.tat.Equal(s.last.Add(prevInterval)) {
		// Space the next slot from the latest one at the new rate, so
		// that a change applies at once.
		s.tat = s.last.Add(s.interval)
	}
	if prevSrc == src && math.Abs(rate-prev) < 0.01*prev {
		return Event{}, false
	}
	return Event{Kind: RateChanged, Source: src, Rate: rate, Previous: prev, Reason: reason}, true
}

// setKnown adopts the callers' known limit.
func (s *keyState) setKnown(fp string, lim Limit) (Event, bool) {
	if !lim.Known() || lim == s.known {
		return Event{}, false
	}
	s.known, s.base = lim, lim.PerSecond
	ev, ok := s.setRate(s.limited(), lim.Burst, SourceKnown,
		fmt.Sprintf("known limit %g/s, burst %d", lim.PerSecond, max(lim.Burst, 1)))
	ev.Key = fp
	return ev, ok
}

// horizon is how far past the gate (or now) a slot may be booked: far
// enough that a caller is never kept from the next free slot, near enough
// that a change of rate reaches the callers still waiting.
func (s *keyState) horizon() time.Duration {
	if s.src == SourceLearned {
		return max(s.interval, minHorizon)
	}
	return max(2*s.interval, knownHorizon)
}

func (s *keyState) reserve(now time.Time, maxWait time.Duration) Reservation {
	if s.src == SourceNone && !s.gate.After(now) {
		return Reservation{OK: true} // no sign of a limit: hold nothing back
	}
	start, gated := now, false
	if s.gate.After(now) {
		start, gated = s.gate, true
		s.probeEvery = max(s.probeEvery, maxWait)
		if ceiling := max(gateCeiling, s.probeEvery); s.gate.Sub(now) > ceiling {
			// Beyond the ceiling: no answer locks a key for that long.
			// One probe goes through per probeEvery (half-open); its
			// answer decides.
			if now.Before(s.probeAt) {
				return Reservation{Delay: s.gate.Sub(now), Gated: true}
			}
			s.probeAt = now.Add(max(s.probeEvery, time.Second))
			return Reservation{OK: true, Gated: true, Slot: now.UnixNano()}
		}
	}
	t := start
	if b := s.tat.Add(-time.Duration(s.burst-1) * s.interval); b.After(t) {
		t = b
	}
	d := t.Sub(now)
	if d > maxWait {
		return Reservation{Delay: d, Gated: gated}
	}
	if h := s.horizon(); t.Sub(start) > h {
		return Reservation{Delay: t.Add(-h).Sub(now), Gated: gated}
	}
	if s.tat.Before(t) {
		s.tat = t
	}
	s.tat = s.tat.Add(s.interval)
	s.last = t
	return Reservation{OK: true, Delay: d, Gated: gated, Slot: t.UnixNano()}
}

func (s *keyState) depart(now time.Time) time.Duration {
	if s.gate.After(now) {
		if s.gate.Sub(now) > max(gateCeiling, s.probeEvery) {
			return 0 // the probe through a gate beyond the ceiling
		}
		return s.gate.Sub(now)
	}
	if s.burst == 1 && !s.departed.IsZero() {
		if next := s.departed.Add(time.Duration(float64(s.interval) * departShare)); next.After(now) {
			return next.Sub(now)
		}
	}
	s.departed = now
	return 0
}

func (s *keyState) cancel(slot int64) {
	if s.last.UnixNano() == slot && s.src != SourceNone {
		s.tat = s.tat.Add(-s.interval)
		s.last = s.last.Add(-s.interval)
	}
}

func (s *keyState) report(now time.Time, r Reservation, a Answer) events {
	var evs events
	slot := now // when the attempt left, as near as the pacer knows
	if r.Slot > 0 {
		slot = time.Unix(0, r.Slot)
	}
	hadRate := s.src == SourceKnown || s.src == SourceHeaders
	wasFree := s.src == SourceNone
	defer func() {
		if wasFree && s.src != SourceNone {
			// Pacing starts now: the attempts sent freely until this
			// answer count as if the last had left now.
			if next := now.Add(s.interval); s.tat.Before(next) {
				s.tat = next
			}
			if s.departed.Before(now) {
				s.departed = now
			}
		}
	}()
	if a.Limit > 0 && (a.Reset > 0 || a.Window > 0) {
		if ev, ok := s.fromHeaders(now, a); ok {
			evs.add(ev)
		}
	}
	switch {
	case a.Status == 429 && a.RetryAfter < 0:
		// "Retry now": the server holds nobody back.
	case a.Status == 429:
		hint := a.RetryAfter
		if hint <= 0 {
			hint = defaultGate
		}
		// A server that asks for a wait of hint takes at least one request
		// per hint: learning never spaces callers further apart.
		s.floor = max(1/min(hint, time.Hour).Seconds(), s.headerFloor())
		if a.Remaining == 0 && a.Reset > 0 && !s.bucket && a.RetryAfter == 0 {
			// A spent window, and no hint of the server's own: it has
			// surely ended only a reset's precision after the reset it
			// states.
			hint = max(hint, a.Reset+a.ResetPrecision)
		}
		if a.RetryAfter <= 0 && a.Reset <= 0 {
			// No hint at all: a refusal right after the last such gate
			// opened means the limiter still counts (it may count its
			// refusals too): wait longer each time.
			if !s.gateEnd.IsZero() && !slot.Before(s.gateEnd) && slot.Sub(s.gateEnd) < hint {
				s.streak = min(s.streak+1, maxStreak)
			} else if slot.Sub(s.gateEnd) >= 4*hint {
				s.streak = 0
			}
			hint <<= s.streak
			s.gateEnd = now.Add(hint)
		}
		switch {
		case now.Before(s.cutGate) && s.src != SourceNone:
			// Answered while the gate of the last cut is still closed:
			// sent before it, the same episode. A shortened gate (see
			// bucketHint) stays as short.
			if !s.shortGate.IsZero() && s.shortGate.Equal(s.cutGate) && a.RetryAfter == time.Second {
				hint = s.shortGate.Sub(now)
			}
		case r.Slot == 0 && s.src != SourceNone:
			// Sent unpaced, before the pacer knew of any limit (the first
			// wave): it says nothing about the rate paced since.
		case s.src == SourceNone || s.src == SourceLearned:
			// The rate of the refused attempt: its gap after the last
			// accepted one, when neither spans the latest gate; else the
			// rate in force.
			refused := s.rate
			if gap := slot.Sub(s.lastOK); !s.lastOK.IsZero() && gap > 0 && !s.lastOK.Before(s.gate) {
				refused = float64(time.Second) / float64(gap)
			}
			if ev, ok := s.cut(now, refused); ok {
				evs.add(ev)
			}
			hint = s.bucketHint(now, slot, r.Slot != 0, a, hint)
			s.cutGate = now.Add(hint)
		default:
			if ev, ok := s.widen(true); ok {
				evs.add(ev)
			}
			hint = s.bucketHint(now, slot, r.Slot != 0, a, hint)
			s.cutGate = now.Add(hint)
		}
		if ev, ok := s.closeGate(now, now.Add(min(hint, maxGate)), "429", true); ok {
			evs.add(ev)
		}
	case a.Status == 0 || a.Status >= 500:
		// Says nothing about the rate.
	default:
		s.recordSuccess(now)
		if slot.After(s.lastOK) {
			s.lastOK = slot
		}
		if !s.shortGate.IsZero() && !slot.Before(s.shortGate) {
			s.shortGate = time.Time{} // the shortened gate was right
		}
		if s.gate.Sub(now) > max(gateCeiling, s.probeEvery) {
			// The probe through a gate beyond the ceiling was answered:
			// the gate was wrong.
			s.gate, s.probeAt = now, time.Time{}
			s.tat = now.Add(s.interval)
		}
		quota := s.window > maxPacedWindow
		if a.Remaining == 0 && a.Reset > 0 && !s.bucket && (!hadRate || quota) {
			// The quota is spent and the pacer had no rate that keeps
			// under it (a burst before it knew, or a long window that a
			// known rate with a burst does not keep): wait for the window
			// to reset, and the reset's precision more (a whole second may
			// end a second later than it says). Under a rate that keeps a
			// short window, its last request finds it spent as a matter
			// of course.
			t := now.Add(min(a.Reset+a.ResetPrecision, maxGate))
			tat := s.tat
			if ev, ok := s.closeGate(now, t, "remaining 0", false); ok {
				evs.add(ev)
			}
			if quota {
				// A window that resets takes a whole burst again: only the
				// slots already booked past the reset count against it.
				s.tat = tat
				if s.tat.Before(t) {
					s.tat = t
				}
			}
		}
		switch s.src {
		case SourceLearned:
			if s.bucket && a.Remaining >= 0 && a.Remaining < s.bucketLimit-1 {
				// The bucket holds more than the request just sent: the
				// rate is at or over the limit. Hold it; drain when it
				// is half full.
				if a.Remaining <= (s.bucketLimit-1)/2 && s.rate*cutHigh >= s.floor {
					s.slowStart = false
					s.setRate(s.rate*cutHigh, 1, SourceLearned, "bucket filling")
				}
				break
			}
			s.probe()
		case SourceKnown, SourceHeaders:
			s.widen(false) // narrowing is not news
		}
	}
	return evs
}

// bucketHint is how long a 429 from a bucket of one (GCRA with no burst,
// as throttled/throttled sends with MaxBurst 0) keeps the gate closed:
// hint, its Retry-After, unless the bucket is surely ready sooner.
//
// Such a bucket accepts a request one emission interval after the last it
// accepted, and never two closer together: every gap between accepted
// requests is at least that interval. After the cut the pacer's interval
// is longer than the accepted gaps it learned from, so the last accepted
// slot plus that interval is surely late enough. That is trusted only for
// a Retry-After of one second (a wait under a second, rounded up to the
// header's whole seconds: throttled asks a second for tens of
// milliseconds), only after paced sends (a first wave teaches no gap),
// and not for a refusal of the first attempt after such a shortened gate
// (another client on the key, a limiter that is not what its headers
// say): that one keeps its whole Retry-After.
func (s *keyState) bucketHint(now, slot time.Time, paced bool, a Answer, hint time.Duration) time.Duration {
	if !s.shortGate.IsZero() && !slot.Before(s.shortGate) {
		s.shortGate = time.Time{}
		return hint
	}
	if !s.bucket || s.bucketLimit != 1 || !paced || s.lastOK.IsZero() || a.RetryAfter != time.Second {
		return hint
	}
	// A gate, however short: the refused call's retry waits at it (see
	// client's pacerGate), not for the whole Retry-After.
	t := s.lastOK.Add(s.interval)
	if least := now.Add(time.Millisecond); t.Before(least) {
		t = least
	}
	if d := t.Sub(now); d < hint {
		s.shortGate = t
		return d
	}
	return hint
}

// closeGate keeps every caller back until t. A 429 (learn) on a key not
// yet paced starts learning its rate; a spent quota does not (when it
// resets, it takes requests as they come). It is an event only when the
// gate was open.
func (s *keyState) closeGate(now, t time.Time, reason string, learn bool) (Event, bool) {
	if t.Sub(now) > maxGate {
		t = now.Add(maxGate)
	}
	if !t.After(s.gate) {
		return Event{}, false
	}
	wasOpen := !s.gate.After(now)
	s.gate = t
	if s.src == SourceNone && learn {
		s.setRate(firstGuess, 1, SourceLearned, reason)
	}
	// Nobody leaves in a burst when the gate opens.
	if least := t.Add(time.Duration(s.burst-1) * s.interval); s.tat.Before(least) {
		s.tat = least
	}
	if !wasOpen {
		return Event{}, false
	}
	return Event{Kind: GateClosed, Source: s.src, Rate: s.rate, GateOpens: t, Reason: reason}, true
}

// fromHeaders paces at the rate the headers announce: a.Limit requests
// per window, when the window is short (a rate limit, not a quota). A
// known limit wins.
//
// The window is the one the answer states (the IETF draft's w=); else,
// when resets come as points in time, the least step between two of them
// (a fixed window moves by its length), and never less than the longest
// reset seen rounded up to its precision; else the longest reset seen.
//
// Headers that describe a bucket (GCRA, as throttled/throttled sends:
// Limit is the burst + 1, Reset the time until the bucket empties) are
// told apart by how they move: Remaining back at Limit-1 on answers closer
// together than any window of Limit requests could allow, or a Limit of 1.
// Their rate is only a floor (the reset's rounding hides the rest): the
// pacer learns above it, held back by Remaining as the bucket fills.
func (s *keyState) fromHeaders(now time.Time, a Answer) (Event, bool) {
	gap := now.Sub(s.lastHdrAt)
	s.lastHdrAt = now
	if r := ceilTo(a.Reset, a.ResetPrecision); r > s.maxReset {
		s.maxReset = r
	}
	if !a.ResetAt.IsZero() {
		if !s.resetAt.IsZero() {
			if d := a.ResetAt.Sub(s.resetAt); d >= max(a.ResetPrecision, time.Millisecond) && (s.resetDiff == 0 || d < s.resetDiff) {
				s.resetDiff = d
			}
		}
		if a.ResetAt.After(s.resetAt) {
			s.resetAt = a.ResetAt
		}
	}
	switch {
	case a.Window > 0:
		s.window = a.Window
	case !a.ResetAt.IsZero():
		s.window = max(s.resetDiff, s.maxReset)
	default:
		s.window = max(s.window, a.Reset)
	}
	counter := !a.ResetAt.IsZero() && a.Window == 0 && !s.bucket && s.window > 0 && s.window <= maxPacedWindow
	if s.src == SourceKnown {
		// The window is kept (a quota's gate needs it); the rate is the
		// caller's, but a window counter's needs a wider margin. A bucket
		// of one is told apart all the same: its whole-second Retry-After
		// is rounded (bucketHint).
		if a.Limit == 1 && a.Window == 0 && a.ResetAt.IsZero() && s.window > 0 && s.window <= maxPacedWindow {
			s.bucket, s.bucketLimit = true, 1
		}
		if counter && s.extra < windowExtra {
			s.extra = windowExtra
			return s.setRate(s.limited(), s.burst, SourceKnown, "a window counter: a wider margin")
		}
		return Event{}, false
	}
	if s.window <= 0 || s.window > maxPacedWindow {
		// A quota (so many an hour): spacing it evenly would hold a
		// caller's second request back for minutes. Its gate, when it is
		// spent, is enough.
		return Event{}, false
	}
	base := float64(a.Limit) / s.window.Seconds()
	if !s.bucket && a.Window == 0 && a.ResetAt.IsZero() {
		switch {
		case a.Limit == 1:
			s.refilled = bucketAfter
		case a.Remaining >= 0 && a.Remaining == a.Limit-1 && gap < s.window-max(a.ResetPrecision, s.window/10)/2 && gap > 0:
			s.refilled++
		case a.Remaining >= 0:
			s.refilled = 0
		}
		if s.refilled >= bucketAfter {
			s.bucket, s.bucketLimit = true, a.Limit
			s.base = base
			s.floor = max(s.floor, s.headerFloor())
			s.slowStart = true
			return s.setRate(max(s.limited(), s.rate), 1, SourceLearned,
				fmt.Sprintf("a bucket of %d: at least %.3g/s, learning above", a.Limit, base))
		}
	}
	if s.bucket {
		s.bucketLimit = a.Limit
		if base > s.base {
			s.base = base
			s.floor = max(s.floor, s.headerFloor())
		}
		return Event{}, false
	}
	if s.src == SourceHeaders && math.Abs(base-s.base) < 0.001*s.base {
		return Event{}, false
	}
	if counter {
		// A window that ends at points in time and moves on by its
		// length: a window counter, often sliding (interpolating the last
		// window's count, as go-chi/httprate and most gateways' do), which
		// refuses below its limit. A wider margin from the start.
		s.extra = max(s.extra, windowExtra)
	}
	s.base = base
	return s.setRate(s.limited(), 1, SourceHeaders, fmt.Sprintf("%d requests per %s", a.Limit, s.window))
}

// headerFloor is the least rate a bucket's headers promise, under the
// margin; 0 when they are not a bucket's.
func (s *keyState) headerFloor() float64 {
	if !s.bucket {
		return 0
	}
	return s.base * (1 - Margin)
}

// ceilTo rounds d up to a multiple of p (p 0: d).
func ceilTo(d, p time.Duration) time.Duration {
	if p <= 0 || d%p == 0 {
		return d
	}
	return d - d%p + p
}

func (s *keyState) recordSuccess(now time.Time) {
	s.succ[s.succAt] = now.UnixNano()
	s.succAt = (s.succAt + 1) % len(s.succ)
	if s.succN < len(s.succ) {
		s.succN++
	}
}

// observed is the rate at which successes came lately: one over the median
// gap between the last few successes of the last successWindow. Gaps
// longer than twice the pacing interval (a gate, an idle moment) say
// nothing about the limit and are left out; the median ignores the odd
// caller that woke late. With no such gap, the successes' count over the
// window.
func (s *keyState) observed(now time.Time) float64 {
	from := now.Add(-successWindow).UnixNano()
	var ts [len(s.succ)]int64
	n := 0
	for i := 0; i < s.succN; i++ {
		if t := s.succ[i]; t > from {
			ts[n] = t
			n++
		}
	}
	recent := ts[:n]
	slices.Sort(recent)
	var gaps [len(s.succ)]int64
	g := gaps[:0]
	for i := len(recent) - 1; i > 0 && len(g) < medianOf; i-- {
		if d := recent[i] - recent[i-1]; d > 0 && (s.interval == 0 || d <= 2*int64(s.interval)) {
			g = append(g, d)
		}
	}
	if len(g) == 0 {
		return float64(n) / successWindow.Seconds()
	}
	slices.Sort(g)
	med := g[len(g)/2]
	if len(g)%2 == 0 {
		med = (g[len(g)/2-1] + g[len(g)/2]) / 2
	}
	return float64(time.Second) / float64(med)
}

// lastGapRate is one over the gap between the two latest successes of the
// last successWindow; 0 when there are not two.
func (s *keyState) lastGapRate(now time.Time) float64 {
	from := now.Add(-successWindow).UnixNano()
	var a, b int64 // the newest and the one before
	for i := 0; i < s.succN; i++ {
		t := s.succ[i]
		switch {
		case t <= from:
		case t > a:
			a, b = t, a
		case t > b:
			b = t
		}
	}
	if b == 0 || a == b || b < unixNano(s.gate) {
		return 0 // no gap, or one across the latest gate
	}
	return float64(time.Second) / float64(a-b)
}

// cut lowers the rate after a 429. The first 429 of a key starts learning
// at the rate of the last second's successes (at least firstGuess), in
// slow start. Later ones cut to the observed rate less cutMargin — in slow
// start, to the latest accepted gap's rate less cutMargin, or to 90% of the
// refused attempt's rate when that was far above (90% of the rate in force
// when no gap after the latest gate was accepted) — and never by more than
// 30% nor by less than 10%; never under the floor (one request per hint,
// or a bucket's announced rate).
func (s *keyState) cut(now time.Time, refused float64) (Event, bool) {
	if s.src == SourceNone {
		// Successes that came together (a first wave answered at once)
		// say nothing about a rate: count those of the last second.
		s.slowStart = true
		return s.setRate(max(s.countSince(now, firstCutSpan), firstGuess, s.floor), 1, SourceLearned, "first 429")
	}
	est := s.observed(now)
	prev := s.rate
	if s.slowStart {
		// The limit lies between the rate of the latest gap between
		// successes (accepted) and the rate in force (refused): just
		// under the accepted one. A gap across a gate says nothing: then
		// just under the refused one.
		s.slowStart = false
		nr := prev * cutHigh
		if last := s.lastGapRate(now); last > 0 {
			last = max(last, est)
			nr = last * (1 - cutMargin)
			if refused > 1.5*last {
				// Refused far above the accepted gap: the limit lies
				// between, nearer the refused one.
				nr = max(nr, refused*cutHigh)
			}
		}
		if s.bucket && s.bucketLimit == 1 {
			nr = s.bucketCut(now, refused)
		}
		nr = min(nr, prev*cutHigh)
		return s.setRate(max(nr, s.floor), 1, SourceLearned, "429 in slow start")
	}
	return s.setRate(max(min(max(est*(1-cutMargin), prev*cutLow), prev*cutHigh), s.floor), 1, SourceLearned, "429")
}

// bucketCut is the rate after a bucket of one's first 429 in slow start.
// Such a bucket (GCRA with no burst) refuses exactly the requests closer
// than its emission interval to the last it accepted: the refused gap's
// rate is above the limit, every accepted gap's at or under it. Both gaps
// are taken between answers (when the attempts really left, as near as
// the pacer knows: a late wake-up or a departure held back moves an
// attempt off its slot). When the latest accepted gap is near the refused
// one (within half again), the limit is just under it; when far (the
// accepted gap was slow start's, not the limit's), it is taken halfway;
// with no accepted gap, just under the refused one (or under the slots'
// rate, refused, when no success came since the gate). A 429 costs such a
// bucket only an interval (bucketHint), so a guess a little high is
// cheaper than one far too low, from which probing crawls.
func (s *keyState) bucketCut(now time.Time, refused float64) float64 {
	if t := s.latestSuccess(); t > unixNano(s.gate) && t < now.UnixNano() {
		refused = float64(time.Second) / float64(now.UnixNano()-t)
	}
	last := s.lastGapRate(now)
	switch {
	case last <= 0:
		return refused * (1 - cutMargin)
	case refused > 1.5*last:
		return (last + refused) / 2 * (1 - cutMargin)
	}
	return last * (1 - cutMargin)
}

// unixNano is t in Unix nanoseconds, 0 for the zero time (whose
// UnixNano Go leaves undefined).
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// latestSuccess is when the latest success was answered (Unix
// nanoseconds; 0: none).
func (s *keyState) latestSuccess() int64 {
	var t int64
	for i := 0; i < s.succN; i++ {
		t = max(t, s.succ[i])
	}
	return t
}

// countSince is how many successes came in the span before now, per
// second of it.
func (s *keyState) countSince(now time.Time, span time.Duration) float64 {
	from := now.Add(-span).UnixNano()
	n := 0
	for i := 0; i < s.succN; i++ {
		if s.succ[i] >= from {
			n++
		}
	}
	return float64(n) / span.Seconds()
}

// probe raises a learned rate after a success: fast in slow start, then
// slowly (probeStep), to find out whether the limit has risen.
func (s *keyState) probe() {
	step := probeStep
	if s.slowStart {
		step = slowStartStep
	}
	s.setRate(s.rate+step, 1, SourceLearned, "probe")
}

// limited is the rate that keeps under a known or announced limit.
func (s *keyState) limited() float64 {
	return s.base * (1 - Margin - s.extra)
}

// widen widens the margin under a known or announced limit after a 429,
// or narrows it a little after enough successes.
func (s *keyState) widen(refused bool) (Event, bool) {
	switch {
	case refused:
		s.extra = min(s.extra+extraStep, extraMax)
	case s.extra == 0:
		return Event{}, false
	default:
		if s.sinceWide++; s.sinceWide < narrowEvery {
			return Event{}, false
		}
		s.extra = max(s.extra-narrowStep, 0)
	}
	s.sinceWide = 0
	ev, ok := s.setRate(s.limited(), s.burst, s.src, "429: a wider margin")
	return ev, ok && refused
}
