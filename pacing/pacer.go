package pacing

import (
	"context"
	"fmt"
	"time"
)

// Pacer spaces the attempts made with each key, named by its fingerprint.
// See the package documentation for the protocol and for how an
// implementation must behave.
type Pacer interface {
	// Reserve asks for a slot for one attempt with the key fp. lim is the
	// key's limit when the caller knows it (the zero Limit when not).
	// maxWait is the longest the caller can wait (what remains of its
	// deadline, or its cap on waiting); a longer wait books nothing.
	Reserve(ctx context.Context, fp string, lim Limit, maxWait time.Duration) (Reservation, error)
	// Cancel gives back a booked slot whose attempt was not sent.
	Cancel(ctx context.Context, r Reservation) error
	// Report tells the pacer how a booked attempt was answered.
	Report(ctx context.Context, r Reservation, a Answer) error
}

// Inspector is implemented by a Pacer that can say how it paces a key.
type Inspector interface {
	State(ctx context.Context, fp string) (State, error)
}

// Departer is implemented by a pacer that can also space attempts by when
// they actually leave, at no cost (in process): a sleeping caller may wake
// late, and two requests closer than their slots are refused by a gateway
// that counts to the millisecond. After waiting for a booked slot, and just
// before sending, the client calls Depart until it returns 0, waiting what
// it returns each time; when the request's headers are on the wire (a new
// connection, a busy machine, can take a while) it calls Sent. Depart must
// answer from what the process already knows, without a round trip: a
// pacer kept in a shared store implements it only that way (the Redis
// pacer moves slots that a cut since their booking has moved, as its
// replies told it) or not at all.
type Departer interface {
	Depart(r Reservation) time.Duration
	Sent(r Reservation)
}

// Limit is a rate limit: PerSecond requests a second on average, with up
// to Burst at once. The zero Limit means "not known".
type Limit struct {
	PerSecond float64
	Burst     int // at least 1 when PerSecond is set; 0 is read as 1
}

// Known reports whether l states a limit.
func (l Limit) Known() bool { return l.PerSecond > 0 }

// Validate reports a limit no pacer can keep: a rate that is negative, not
// a number or infinite, or a burst below zero.
func (l Limit) Validate() error {
	switch {
	case l.PerSecond != l.PerSecond || l.PerSecond < 0 || l.PerSecond > 1e9:
		return fmt.Errorf("pacing: a rate of %v requests per second cannot be paced (give 0 for unknown, or a rate up to 1e9)", l.PerSecond)
	case l.Burst < 0:
		return fmt.Errorf("pacing: a burst of %d is negative (1 means one request at a time)", l.Burst)
	}
	return nil
}

// Reservation is a pacer's reply to Reserve.
type Reservation struct {
	// OK reports that a slot is booked: send once Delay has passed, then
	// Report the answer (or Cancel if the attempt is not sent).
	OK bool
	// Delay is how long to wait: until the booked slot when OK; otherwise,
	// when it is more than the caller's maxWait, the wait that would have
	// been needed, and when it is not, how long to wait before asking
	// again.
	Delay time.Duration
	// Gated reports that the key's gate, closed by a 429 or an exhausted
	// quota, accounts for (part of) Delay.
	Gated bool
	// Key is the fingerprint the reservation was made for.
	Key string
	// Slot identifies the booking to the pacer that made it (for the
	// in-process pacer, the slot's time in Unix nanoseconds).
	Slot int64
}

// Answer is what an attempt got back, as a pacer needs it.
type Answer struct {
	// Status is the HTTP status; 0 when no answer came (a connection
	// failure or a timeout).
	Status int
	// RetryAfter is the server's hint on a 429 (Retry-After or the body):
	// 0 when it gave none (the pacer picks a wait: the reset of a spent
	// window, and its precision, when the answer states one), below 0 when
	// it said "retry now" (Retry-After: 0), which closes no gate and
	// changes no rate.
	RetryAfter time.Duration
	// Limit, Remaining and Reset are the quota the answer announced
	// (X-RateLimit-Limit, -Remaining, -Reset, or the same in another
	// dialect): requests per window, requests left in it, and the time
	// until it resets. Limit is 0 when the answer carried no limit,
	// Remaining -1 when it carried no count, Reset 0 when it carried no
	// reset.
	Limit     int
	Remaining int
	Reset     time.Duration
	// ResetAt is when the window resets when the answer gave a point in
	// time (a Unix time, an HTTP-date): successive answers then show the
	// window's length. Zero when it gave seconds from now.
	ResetAt time.Time
	// ResetPrecision is how coarse Reset is: time.Second when it came in
	// whole seconds, so that the window may end up to a second later; 0
	// when exact. A gate never opens before Reset + ResetPrecision.
	ResetPrecision time.Duration
	// Window is the quota's window when the answer states it (the IETF
	// draft's w=); 0 when not.
	Window time.Duration
}

// Source says where a key's pacing rate comes from.
type Source int

const (
	// SourceNone: no sign of a limit yet; nothing is held back.
	SourceNone Source = iota
	// SourceKnown: the limit the caller gave (client.WithRateLimit).
	SourceKnown
	// SourceHeaders: the X-RateLimit-* headers of the answers.
	SourceHeaders
	// SourceLearned: learned from 429s and successes.
	SourceLearned
)

func (s Source) String() string {
	switch s {
	case SourceNone:
		return "none"
	case SourceKnown:
		return "known"
	case SourceHeaders:
		return "headers"
	case SourceLearned:
		return "learned"
	}
	return fmt.Sprintf("Source(%d)", int(s))
}

// State is how a pacer paces a key at one moment.
type State struct {
	Key    string  // the key's fingerprint
	Source Source  // where Rate comes from
	Rate   float64 // requests a second the key is paced at; 0 when not paced
	Burst  int
	// GateOpens is when the key's closed gate opens; zero when it is open.
	GateOpens time.Time
}

// EventKind says what an Event reports.
type EventKind int

const (
	// GateClosed: a 429 or an exhausted quota closed the key's gate.
	GateClosed EventKind = iota + 1
	// RateChanged: the key's pacing rate changed (Source says why).
	RateChanged
)

func (k EventKind) String() string {
	switch k {
	case GateClosed:
		return "gate closed"
	case RateChanged:
		return "rate changed"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event reports a change in how a key is paced; see WithObserver.
type Event struct {
	Kind      EventKind
	Key       string // the key's fingerprint
	Source    Source
	Rate      float64 // the rate now (RateChanged), requests a second
	Previous  float64 // the rate before (RateChanged)
	GateOpens time.Time
	Reason    string // e.g. "429", "remaining 0", "probe", "5 requests per 1s"
}
