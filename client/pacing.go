package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptrace"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/internal/ratelimit"
	"github.com/apikit/apikit-go/pacing"
)

// WithRateLimit tells the client its key's rate limit: perSecond requests a
// second on average, burst at once (1: one at a time). Every attempt made
// with the key is then spaced under it, with a small margin (see
// pacing.Margin). Without it the limit is read from the rate-limit headers
// when the service sends them (any common dialect; Service.RateLimitHeaders
// names others), or learned from its 429s.
//
// What it promises depends on how the gateway counts. Against a gateway
// that spaces requests (GCRA, a leaky bucket: nginx limit_req,
// throttled/throttled) it keeps under the limit with the 3% margin. A
// sliding-window counter that interpolates and rounds (go-chi/httprate)
// refuses from about 90% of its limit: when its answers show a window
// counter (a reset given as a point in time) the margin starts at 10%, and
// each 429 widens it 3% more, up to 23% in all; expect a 429 or two and
// about 85–90% of the stated rate; give the lower rate if you know the
// gateway counts that way. A fixed-window quota (so many per minute or hour) is kept by
// its gate: give the burst too (e.g. WithRateLimit(0.5, 30) for 30 a
// minute), or leave the option out and let the headers say it.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(o *settings) error {
		if math.IsNaN(perSecond) || math.IsInf(perSecond, 0) || perSecond <= 0 || perSecond > 1e9 {
			return fmt.Errorf("WithRateLimit: %v requests per second is not a rate (give a number above 0, e.g. 5 for 5 per second, 0.5 for one every 2 seconds)", perSecond)
		}
		if burst < 1 {
			return fmt.Errorf("WithRateLimit: a burst of %d lets nothing through (1 sends one request at a time)", burst)
		}
		o.limit = pacing.Limit{PerSecond: perSecond, Burst: burst}
		return nil
	}
}

// WithPacer paces the client's requests with p instead of a pacer of its
// own: give several clients the same *pacing.Local (or a fleet-wide pacer
// such as pacing/redispacing's) and the requests they make with the same
// key share that key's limit. The client still logs each wait of its own
// calls; the pacer's own events (gates, rate changes) go to its observer
// (pacing.WithObserver), not to this client's logger.
func WithPacer(p pacing.Pacer) Option {
	return func(o *settings) error {
		if p == nil {
			return errors.New("WithPacer: the pacer is nil (leave the option out to pace in the client itself)")
		}
		o.pacer = p
		return nil
	}
}

// Pacing reports how the client's pacer paces the key in use: the rate, its
// source (known, from headers, learned, or none yet) and whether the gate
// is closed. ok is false when no key has been used yet or the pacer cannot
// say (it does not implement pacing.Inspector).
func (c *Client) Pacing(ctx context.Context) (st pacing.State, ok bool) {
	r := c.cur.Load()
	in, can := c.pacer.(pacing.Inspector)
	if r == nil || !can {
		return pacing.State{}, false
	}
	st, err := in.State(ctx, r.fp)
	return st, err == nil
}

// PacingEvent describes an attempt held back by the pacer; see
// WithPacingHook.
type PacingEvent struct {
	Method         string
	Path           string
	Attempt        int           // the attempt held back, from 1
	Wait           time.Duration // how long it waits now
	Booked         bool          // after Wait it is sent; false: the pacer is asked again then (its slot is still far off)
	Gated          bool          // the key's gate, closed by a 429 or a spent quota, is part of the wait
	KeyFingerprint string
}

// WithPacingHook calls f each time an attempt waits for the key's pacer,
// before the wait. One event is one wait, not one attempt: an attempt whose
// slot is far off waits in steps (Booked false, then a last one with Booked
// true), so under a tight limit the events outnumber the attempts several
// times (one run of 50 calls under a tight limit gave 305–419 events, 45
// of them booked). Count attempts held back by the Booked events, and take the
// time an attempt was held as the sum of its Waits; a call's total is
// Response.PacerWait (WithResponseInto) and Call.PacerWait (middleware),
// and otelapikit records both as metrics. f runs on the caller's goroutine
// and must not block.
func WithPacingHook(f func(PacingEvent)) Option {
	return func(o *settings) error {
		o.pacingHook = f
		return nil
	}
}

// pacerFor is the client's pacer: the caller's, or one of its own that
// logs its gate and rate changes.
func (c *Client) pacerFor(s *settings) pacing.Pacer {
	if s.pacer != nil {
		return s.pacer
	}
	return pacing.New(pacing.WithClock(s.paceNow), pacing.WithObserver(c.pacerEvent))
}

// errPaced is why an attempt was not sent: its slot lies further ahead than
// the caller can wait.
type errPaced struct {
	wait       time.Duration
	gated      bool
	byDeadline bool          // the context's deadline is what the wait passes
	left       time.Duration // what remained of it, or the cap
	waited     time.Duration // how long the attempt had already waited at the pacer
}

func (e *errPaced) Error() string { return e.reason() }

func (e *errPaced) reason() string {
	what := "its slot under the key's rate limit is"
	if e.gated {
		what = "the key's rate-limit gate (closed by a 429 or a spent quota) stays closed"
	}
	already := ""
	if e.waited > 0 {
		already = fmt.Sprintf(" after %s already waited for it", e.waited.Round(time.Millisecond))
	}
	if e.byDeadline {
		return fmt.Sprintf("%s %s away%s, past the context deadline, %s away",
			what, e.wait.Round(time.Millisecond), already, e.left.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s %s away%s, over the %s cap (WithMaxRetryAfter)", what, e.wait.Round(time.Millisecond), already, e.left)
}

// pace waits for the pacer to give one attempt with the key fp a slot, and
// returns the reservation to report the answer on. It is the one step every
// attempt takes before it leaves; report is the one after. An *errPaced
// error means the wait would pass the context's deadline or the cap, and
// nothing was waited; a context error means the caller stopped waiting.
// When the pacer fails, the attempt goes unpaced (a reservation with OK
// false, nothing to report).
func (c *Client) pace(ctx context.Context, fp, method, path string, attempt int) (pacing.Reservation, error) {
	maxWait, byDeadline := c.waitLimit(ctx)
	var waited time.Duration
	for {
		r, err := c.pacer.Reserve(ctx, fp, c.limit, maxWait)
		if err != nil {
			c.logf(ctx, "apikit: the pacer failed; sending unpaced", "key", fp, "error", err.Error())
			return pacing.Reservation{}, nil
		}
		if r.Delay > maxWait {
			return pacing.Reservation{}, c.refusal(r.Delay, r.Gated, waited, maxWait, byDeadline)
		}
		if r.Delay > 0 {
			c.logPaceWait(ctx, PacingEvent{Method: method, Path: path, Attempt: attempt, Wait: r.Delay,
				Booked: r.OK, Gated: r.Gated, KeyFingerprint: fp})
			if err := c.sleep(ctx, r.Delay); err != nil {
				if r.OK {
					c.cancelSlot(ctx, r)
				}
				return pacing.Reservation{}, err
			}
		}
		if r.Delay <= 0 && !r.OK { // Delay 0 without a slot breaks the contract: send
			return r, nil
		}
		waited += r.Delay
		if r.OK {
			return r, c.depart(ctx, r, waited)
		}
		// Admitted, told to come back (its slot was far off): the slot it
		// was promised may have moved with the rate; it is weighed
		// against the cap and the deadline as they stand now, so that a
		// caller never waits only to be refused.
		maxWait, byDeadline = c.waitLimit(ctx)
	}
}

// waitLimit is the longest an attempt may wait at the pacer now: the cap
// (WithMaxRetryAfter), or what remains of the context's deadline when that
// is less (byDeadline).
func (c *Client) waitLimit(ctx context.Context) (maxWait time.Duration, byDeadline bool) {
	maxWait = c.maxRetryAfter
	if dl, ok := ctx.Deadline(); ok {
		if left := dl.Sub(c.now()); left < maxWait {
			return max(left, 0), true
		}
	}
	return maxWait, false
}

// depart waits, when the pacer can tell, until the booked attempt may
// really leave: a late wake-up of the attempt before it, or a gate closed
// since the booking, holds it back a little more. The caller was admitted
// when its slot was booked: a gate closed since is weighed against the cap
// and the deadline as they stand now, not against what remains of the
// first wait, so that a call never waits out its slot only to be refused.
func (c *Client) depart(ctx context.Context, r pacing.Reservation, waited time.Duration) error {
	d, ok := c.pacer.(pacing.Departer)
	if !ok {
		return nil
	}
	for range 100 { // bounded: each wait moves the pacer's clock on
		w := d.Depart(r)
		if w <= 0 {
			return nil
		}
		maxWait, byDeadline := c.waitLimit(ctx)
		if w > maxWait {
			c.cancelSlot(ctx, r)
			return c.refusal(w, true, waited, maxWait, byDeadline)
		}
		if err := c.sleep(ctx, w); err != nil {
			c.cancelSlot(ctx, r)
			return err
		}
		waited += w
	}
	return nil
}

// refusal is the *errPaced of a wait longer than maxWait, which is what
// remains of the context's deadline (byDeadline) or of the cap after
// waited.
func (c *Client) refusal(wait time.Duration, gated bool, waited, maxWait time.Duration, byDeadline bool) *errPaced {
	left := maxWait
	if !byDeadline {
		left = c.maxRetryAfter
	}
	return &errPaced{wait: wait, gated: gated, byDeadline: byDeadline, left: left, waited: waited}
}

func (c *Client) cancelSlot(ctx context.Context, r pacing.Reservation) {
	if err := c.pacer.Cancel(context.WithoutCancel(ctx), r); err != nil {
		c.logf(ctx, "apikit: the pacer could not take back a slot", "key", r.Key, "error", err.Error())
	}
}

// report tells the pacer how the attempt on r was answered: status 0 for no
// answer, hint the server's wait on a 429, h the answer's headers.
func (c *Client) report(ctx context.Context, r pacing.Reservation, status int, hint time.Duration, h http.Header) {
	if !r.OK {
		return
	}
	a := pacing.Answer{Status: status, RetryAfter: hint, Remaining: -1}
	if h != nil {
		answerQuota(&a, h, c.rlNames, c.now())
		if status == http.StatusTooManyRequests && hintFromReset(h, hint, a.Reset) {
			// The server gave no hint of its own: the pacer reads the
			// reset itself, with its precision.
			a.RetryAfter = 0
		}
	}
	if err := c.pacer.Report(ctx, r, a); err != nil {
		c.logf(ctx, "apikit: the pacer could not take an answer", "key", r.Key, "error", err.Error())
	}
}

// logPaceWait writes the debug line of an attempt held back, and calls the
// pacing hook.
func (c *Client) logPaceWait(ctx context.Context, ev PacingEvent) {
	if c.pacingHook != nil {
		c.pacingHook(ev)
	}
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	msg := "apikit: waiting for a slot under the key's rate limit"
	if ev.Gated {
		msg = "apikit: waiting at the key's rate-limit gate"
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, msg,
		slog.String("method", ev.Method), slog.String("path", ev.Path), slog.Int("attempt", ev.Attempt),
		slog.Duration("wait", ev.Wait), slog.Bool("booked", ev.Booked), slog.String("key", ev.KeyFingerprint))
}

// logPacing writes the debug line of a pacer event (the client's own
// pacer's observer).
func (c *Client) logPacing(ev pacing.Event) {
	if c.logger == nil {
		return
	}
	ctx := context.Background()
	if !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("key", ev.Key), slog.String("source", ev.Source.String()),
		slog.Float64("rate", ev.Rate), slog.String("reason", ev.Reason)}
	switch ev.Kind {
	case pacing.GateClosed:
		attrs = append(attrs, slog.Time("opens", ev.GateOpens))
		c.logger.LogAttrs(ctx, slog.LevelDebug, "apikit: the key's rate-limit gate closed", attrs...)
	case pacing.RateChanged:
		attrs = append(attrs, slog.Float64("previous", ev.Previous))
		c.logger.LogAttrs(ctx, slog.LevelDebug, "apikit: the key's pacing rate changed", attrs...)
	}
}

// traceSent tells a pacer that can use it (a pacing.Departer) when each of
// the call's paced attempts is on the wire, through net/http's trace of the
// request. It costs a few allocations, so only calls whose first attempt
// was paced carry it; it is attached once per call.
func (k *call) traceSent(rreq *retryablehttp.Request) {
	d, ok := k.c.pacer.(pacing.Departer)
	if !ok || k.res.Slot == 0 || k.traced {
		return
	}
	k.traced = true
	fp := k.res.Key
	trace := &httptrace.ClientTrace{WroteHeaders: func() {
		if slot := k.sentSlot.Load(); slot != 0 {
			d.Sent(pacing.Reservation{OK: true, Key: fp, Slot: slot})
		}
	}}
	rreq.Request = rreq.Request.WithContext(httptrace.WithClientTrace(rreq.Context(), trace))
}

// paceTimed paces the call's next attempt, adding the time it waited to
// k.paced when someone reads it (WithResponseInto, middleware).
func (k *call) paceTimed(ctx context.Context) (pacing.Reservation, error) {
	if !k.measure {
		return k.c.pace(ctx, k.key.fp, k.method, k.path, k.attempts+1)
	}
	t0 := k.c.now()
	r, err := k.c.pace(ctx, k.key.fp, k.method, k.path, k.attempts+1)
	k.paced += k.c.now().Sub(t0)
	return r, err
}

// acquire paces the call's next attempt. Refused before anything was sent,
// the call ends with a typed 429 that says so.
func (k *call) acquire(ctx context.Context) error {
	r, err := k.paceTimed(ctx)
	k.res = r
	k.sentSlot.Store(r.Slot)
	if err == nil {
		return nil
	}
	var pe *errPaced
	if errors.As(err, &pe) {
		return fmt.Errorf("client: %s %s: nothing was sent: %w", k.method, k.path, &apierrors.Error{
			StatusCode: http.StatusTooManyRequests, Code: apierrors.CodeRateLimited,
			Message:    "the key's rate limit holds this request back",
			RetryAfter: pe.wait, NotRetried: pe.reason(),
		})
	}
	return fmt.Errorf("client: %s %s: nothing was sent: stopped waiting for the key's rate limit: %w", k.method, k.path, err)
}

// acquireRetry paces a retry; false when it is not to be sent (the wait
// is too long, or the context ended).
func (k *call) acquireRetry(ctx context.Context) bool {
	r, err := k.paceTimed(ctx)
	k.res = r
	k.sentSlot.Store(r.Slot)
	var pe *errPaced
	switch {
	case err == nil:
		return true
	case errors.As(err, &pe):
		k.notRetried = pe.reason()
	default:
		k.stopErr = err
	}
	return false
}

// pacerGate is how long the retry of a call refused with a 429 waits
// before it books its slot: the server's hint, or less when the key's
// pacer, told of the 429, closed its gate for less. The pacer keeps every
// caller of the key behind that gate, and knows when a hint is rounded: a
// bucket of one (GCRA with no burst) asks a whole second for a wait of
// tens of milliseconds (pacing's rule "bucket-of-one-429-rounds-up"). A
// pacer that cannot say (no pacing.Inspector), or holds no gate, leaves
// the hint whole.
func (c *Client) pacerGate(ctx context.Context, fp string, hint time.Duration) time.Duration {
	in, ok := c.pacer.(pacing.Inspector)
	if !ok || fp == "" {
		return hint
	}
	st, err := in.State(ctx, fp)
	if err != nil || st.GateOpens.IsZero() {
		return hint
	}
	// The pacer read its clock a moment before this: a gate within a
	// tenth of the hint is the hint itself.
	if w := max(st.GateOpens.Sub(c.now()), 0); w < hint-hint/10 {
		return w
	}
	return hint
}

// gateHint is how long a 429 closes the key's gate: the server's hint, -1
// when it said "now" (Retry-After: 0: no gate), and without a hint the
// first retry wait (WithRetryWait). Other answers carry none.
func (k *call) gateHint(status int, hint time.Duration, h http.Header) time.Duration {
	switch {
	case status != http.StatusTooManyRequests:
		return 0
	case hint > 0:
		return hint
	case explicitZeroHint(h, k.c.now()):
		return -1
	}
	return k.c.waitMin
}

// settle reports the attempt's answer to the pacer, once.
func (k *call) settle(ctx context.Context, status int, hint time.Duration, h http.Header) {
	r := k.res
	k.res = pacing.Reservation{}
	k.c.report(ctx, r, status, hint, h)
}

// hintFromReset reports that a 429's hint was read from its rate-limit
// reset: the answer carries no Retry-After (nor -Ms) and the hint is the
// reset. (A hint from the body differs from the reset.)
func hintFromReset(h http.Header, hint, reset time.Duration) bool {
	if reset <= 0 || hint <= 0 || h.Get("Retry-After") != "" || h.Get("Retry-After-Ms") != "" {
		return false
	}
	d := hint - reset
	return d < 100*time.Millisecond && d > -100*time.Millisecond
}

// answerQuota fills a's quota from the answer's rate-limit headers, in
// whichever dialect they come (internal/ratelimit).
func answerQuota(a *pacing.Answer, h http.Header, names ratelimit.Names, now time.Time) {
	q, ok := ratelimit.Parse(h, now, names)
	if !ok {
		return
	}
	a.Limit, a.Remaining, a.Reset = q.Limit, q.Remaining, q.Reset
	a.ResetAt, a.ResetPrecision, a.Window = q.ResetAt, q.Precision, q.Window
}
