package redispacing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit/apikit-go/pacing"
)

// learnedHorizon is how far ahead of the gate (or now) a slot is booked
// under a learned rate, which a 429 may cut at any moment.
const learnedHorizon = 200 * time.Millisecond

// Defaults of the options.
const (
	// DefaultMargin is how far under a known or announced limit the fleet
	// paces: 8%, where the in-process pacer keeps 3% (pacing.Margin). The
	// in-process pacer also spaces attempts by when they actually leave
	// (pacing.Departer), which a fleet cannot do without a round trip: a
	// process that wakes a few milliseconds late sends its attempt that
	// much closer to the next process's, and a gateway that counts to the
	// millisecond refuses it. The wider margin absorbs that lateness.
	DefaultMargin        = 0.08
	DefaultPrefix        = "apikit:pacing:"
	DefaultTimeout       = 100 * time.Millisecond
	DefaultRetryInterval = time.Second
	DefaultTTL           = time.Hour
)

// Pacer paces every key it is asked about in Redis, shared by every
// process that uses the same Redis and prefix: the key's gate, its booked
// slots, its known or learned rate. It implements pacing.Pacer and
// pacing.Inspector; give it to client.WithPacer. It is safe for concurrent
// use. Make one with New.
//
// When Redis does not answer within the timeout (WithTimeout), the Pacer
// paces in this process — on its own slots of the fleet's schedule when it
// shared the key with others, else with a pacing.Local — logs that once,
// and asks Redis again every WithRetryInterval; once Redis answers, pacing
// is shared again (and logged once). A call is never failed for Redis's
// sake.
//
// In the process, a Pacer keeps a few dozen bytes per key fingerprint it
// has seen, for its life: make one per process, not one per key, and a
// program that cycles through an unbounded number of keys should replace
// its Pacer now and then.
type Pacer struct {
	rdb        redis.UniversalClient
	prefix     string
	timeout    time.Duration
	retryEvery time.Duration
	ttl        time.Duration
	margin     float64
	now        func() time.Time
	logger     *slog.Logger
	observer   func(pacing.Event)

	local atomic.Pointer[pacing.Local] // the fallback; a new one per outage

	mu      sync.Mutex // guards the outage state below
	down    bool       // pacing in process
	nextTry time.Time  // when to ask Redis again
	probing bool       // one call is asking Redis now

	// pending counts, per fingerprint, the successes this process saw and
	// has not told Redis yet: they ride on its next call, so a success
	// costs no round trip of its own.
	pending sync.Map // fingerprint → *atomic.Int64

	reserve, cancel, report *script

	id     string   // this Pacer's random ID among the processes on a key
	shares sync.Map // fingerprint → *share
}

var (
	_ pacing.Pacer     = (*Pacer)(nil)
	_ pacing.Inspector = (*Pacer)(nil)
)

// Option configures a Pacer; New validates them.
type Option func(*Pacer) error

// WithPrefix sets the prefix of every Redis key the Pacer writes
// (DefaultPrefix, "apikit:pacing:"): the pacing of a key with fingerprint
// fp_X is the hash <prefix>{fp_X}. Processes share pacing only when they
// use the same prefix. It may not hold '{' or '}', which Redis Cluster
// reads as a hash tag.
func WithPrefix(prefix string) Option {
	return func(p *Pacer) error {
		if strings.ContainsAny(prefix, "{}") {
			return fmt.Errorf("redispacing: WithPrefix(%q): a prefix may not hold '{' or '}' (the pacer tags keys by fingerprint for Redis Cluster)", prefix)
		}
		p.prefix = prefix
		return nil
	}
}

// WithTimeout bounds every call to Redis (DefaultTimeout, 100 ms): a call
// that takes longer is abandoned and the attempt is paced in process.
// go-redis's own timeouts take seconds to fail against a host that is down;
// this one is what an API call can afford.
func WithTimeout(d time.Duration) Option {
	return func(p *Pacer) error {
		if d <= 0 || d > 10*time.Second {
			return fmt.Errorf("redispacing: WithTimeout(%s): give a timeout above 0 and at most 10s (the default is %s)", d, DefaultTimeout)
		}
		p.timeout = d
		return nil
	}
}

// WithRetryInterval sets how often, while Redis does not answer, one
// attempt asks it again (DefaultRetryInterval, 1 s); the others are paced
// in process meanwhile without waiting for it.
func WithRetryInterval(d time.Duration) Option {
	return func(p *Pacer) error {
		if d <= 0 {
			return fmt.Errorf("redispacing: WithRetryInterval(%s): give an interval above 0", d)
		}
		p.retryEvery = d
		return nil
	}
}

// WithTTL sets how long a key's pacing stays in Redis after its last use
// (DefaultTTL, 1 h). It must be longer than any gate a server may close (a
// Retry-After of an hour needs more than an hour).
func WithTTL(d time.Duration) Option {
	return func(p *Pacer) error {
		if d < time.Second {
			return fmt.Errorf("redispacing: WithTTL(%s): give at least 1s (the default is %s)", d, DefaultTTL)
		}
		p.ttl = d
		return nil
	}
}

// WithMargin sets how far under a known or announced limit the fleet
// paces, as a fraction (DefaultMargin, 0.08: a limit of 5/s is paced at
// 4.6/s). Narrower margins give more throughput and more 429s when the
// fleet's processes wake late.
func WithMargin(m float64) Option {
	return func(p *Pacer) error {
		if m != m || m < 0 || m >= 0.5 {
			return fmt.Errorf("redispacing: WithMargin(%v): give a fraction from 0 to below 0.5 (the default is %v)", m, DefaultMargin)
		}
		p.margin = m
		return nil
	}
}

// WithLogger logs the Pacer's fall back to in-process pacing and its
// return to Redis, once each per outage (at Warn and Info). Silent by
// default.
func WithLogger(l *slog.Logger) Option {
	return func(p *Pacer) error {
		p.logger = l
		return nil
	}
}

// WithObserver calls f for every pacing.Event this process's reports
// cause: each time a key's gate closes and each time its rate changes. f
// runs on the reporting goroutine and must not block.
func WithObserver(f func(pacing.Event)) Option {
	return func(p *Pacer) error {
		p.observer = f
		return nil
	}
}

// WithClock sets the Pacer's clock (time.Now by default); tests pass a
// fake one. Every process sharing a key stamps the shared slots with its
// own clock, so their clocks must agree (NTP keeps them within a
// millisecond or so).
func WithClock(now func() time.Time) Option {
	return func(p *Pacer) error {
		if now == nil {
			return errors.New("redispacing: WithClock(nil): give a clock, or leave the option out for time.Now")
		}
		p.now = now
		return nil
	}
}

// New returns a Pacer that keeps its state in rdb (a *redis.Client,
// *redis.ClusterClient or *redis.Ring). It does not contact Redis: a Redis
// that is down when the process starts is a fallback like any other.
func New(rdb redis.UniversalClient, opts ...Option) (*Pacer, error) {
	if rdb == nil {
		return nil, errors.New("redispacing: New: the Redis client is nil")
	}
	p := &Pacer{
		rdb: rdb, prefix: DefaultPrefix, timeout: DefaultTimeout, retryEvery: DefaultRetryInterval,
		ttl: DefaultTTL, margin: DefaultMargin, now: time.Now,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(p); err != nil {
			return nil, err
		}
	}
	p.reserve, p.cancel, p.report = newScript(reserveScript), newScript(cancelScript), newScript(reportScript)
	var b [8]byte
	_, _ = rand.Read(b[:])
	p.id = hex.EncodeToString(b[:])
	p.local.Store(p.newLocal())
	return p, nil
}

func (p *Pacer) newLocal() *pacing.Local {
	return pacing.New(pacing.WithClock(p.now), pacing.WithObserver(p.observer))
}

// Key returns the Redis key that holds the pacing of the API key with
// fingerprint fp: <prefix>{fp}. It fails for a string that is not a
// fingerprint (see keys.Key.Fingerprint): 1 to 64 letters, digits, '_' or
// '-'. Nothing else may name a key in Redis.
func (p *Pacer) Key(fp string) (string, error) {
	if err := checkFingerprint(fp); err != nil {
		return "", err
	}
	return p.prefix + "{" + fp + "}", nil
}

// checkFingerprint accepts what keys.Key.Fingerprint returns: "fp_" and
// letters, digits, '_' or '-', 64 characters at most. The prefix is what
// keeps a key passed by mistake (k.Reveal() for k.Fingerprint()) out of
// Redis: no key format starts with it.
func checkFingerprint(fp string) error {
	if err := checkName("key fingerprint", fp, ""); err != nil {
		return err
	}
	if !strings.HasPrefix(fp, "fp_") || len(fp) == len("fp_") {
		return fmt.Errorf("redispacing: a key fingerprint starts with fp_ (keys.Key.Fingerprint); this one does not (a key passed for its fingerprint?)")
	}
	return nil
}

// errFallback marks a call not sent to Redis because the Pacer is pacing
// in process.
var errFallback = errors.New("redispacing: pacing in process")

// useRedis reports whether this call should go to Redis: always while it
// answers; during an outage, one call per retry interval.
func (p *Pacer) useRedis() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.down {
		return true
	}
	if p.probing || p.now().Before(p.nextTry) {
		return false
	}
	p.probing = true
	return true
}

// answered records the outcome of a call to Redis: err nil means it
// answered. A call that ended because its caller gave up says nothing about
// Redis.
func (p *Pacer) answered(ctx context.Context, err error) {
	if err != nil && ctx.Err() != nil {
		p.mu.Lock()
		p.probing = false
		p.mu.Unlock()
		return
	}
	p.mu.Lock()
	was := p.down
	p.probing = false
	if err == nil {
		p.down = false
	} else {
		p.down = true
		p.nextTry = p.now().Add(p.retryEvery)
	}
	p.mu.Unlock()
	switch {
	case err != nil && !was:
		p.local.Store(p.newLocal())
		p.log(slog.LevelWarn, "redispacing: Redis did not answer; pacing in this process until it does (this process no longer shares its keys' limits with the fleet)",
			slog.Duration("timeout", p.timeout), slog.Duration("retry_every", p.retryEvery), slog.String("error", err.Error()))
	case err == nil && was:
		p.log(slog.LevelInfo, "redispacing: Redis answers again; pacing is shared with the fleet again")
	}
}

func (p *Pacer) log(level slog.Level, msg string, attrs ...slog.Attr) {
	if p.logger != nil {
		p.logger.LogAttrs(context.Background(), level, msg, attrs...)
	}
}

// run runs script on the Redis key; see call. The first call of a script
// in this Pacer sends it whole (EVAL), which loads it into Redis's cache,
// while the calls that come meanwhile wait for it (within their timeout);
// then every call sends its SHA1 (EVALSHA), and the script whole again only
// when Redis has lost it (a restart). So the first attempts of a process,
// all at once, do not each cost a failed EVALSHA and an EVAL.
func (p *Pacer) run(ctx context.Context, s *script, key string, args ...any) (any, error) {
	return p.runKeys(ctx, s, []string{key}, args...)
}

// runKeys is run with several Redis keys (all in one cluster slot).
func (p *Pacer) runKeys(ctx context.Context, s *script, keys []string, args ...any) (any, error) {
	return p.call(ctx, func(cctx context.Context) (any, error) {
		if !s.loaded.Load() {
			if s.loading.CompareAndSwap(false, true) {
				v, err := s.Eval(cctx, p.rdb, keys, args...).Result()
				if err == nil || errors.Is(err, redis.Nil) {
					s.loaded.Store(true)
					s.once.Do(func() { close(s.ready) })
				}
				s.loading.Store(false)
				return v, err
			}
			select {
			case <-s.ready:
			case <-cctx.Done():
				return nil, cctx.Err()
			}
		}
		return s.Run(cctx, p.rdb, keys, args...).Result()
	})
}

// script is a Lua script and whether this Pacer has loaded it into Redis.
type script struct {
	*redis.Script
	loaded, loading atomic.Bool
	once            sync.Once
	ready           chan struct{} // closed once loaded
}

func newScript(s *redis.Script) *script { return &script{Script: s, ready: make(chan struct{})} }

// call makes one call to Redis within the Pacer's timeout, whatever the
// client's own settings: go-redis honours a context's deadline while it
// dials and waits for a connection, but by default not while it reads, so
// the call is made on a goroutine that is abandoned at the deadline (it
// ends with the client's own read timeout). During an outage it returns
// errFallback at once, but for one call per retry interval.
func (p *Pacer) call(ctx context.Context, f func(context.Context) (any, error)) (any, error) {
	if !p.useRedis() {
		return nil, errFallback
	}
	cctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f(cctx)
		ch <- result{v, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-cctx.Done():
		r.err = fmt.Errorf("no answer within %s: %w", p.timeout, cctx.Err())
	}
	if r.err != nil && errors.Is(r.err, redis.Nil) {
		r.err = nil
	}
	p.answered(ctx, r.err)
	return r.v, r.err
}

func micros(d time.Duration) int64 { return int64(d / time.Microsecond) }

// Redis reservations carry their slot as -(µs)-1, always negative; the
// in-process fallback's are its own, never negative. That is how Report and
// Cancel know which pacer booked a reservation.
func redisSlot(us int64) int64            { return -us - 1 }
func slotMicros(slot int64) int64         { return -slot - 1 }
func fromRedis(r pacing.Reservation) bool { return r.Slot < 0 }

// Reserve books the next slot for an attempt with the key fp, in one Redis
// round trip (one Lua script: the gate, GCRA, the known limit); see
// pacing.Pacer. When Redis does not answer it books in process.
func (p *Pacer) Reserve(ctx context.Context, fp string, lim pacing.Limit, maxWait time.Duration) (pacing.Reservation, error) {
	if err := lim.Validate(); err != nil {
		return pacing.Reservation{}, err
	}
	key, err := p.Key(fp)
	if err != nil {
		return pacing.Reservation{}, err
	}
	kb := 0
	if lim.Known() {
		kb = max(lim.Burst, 1)
	}
	now := p.now()
	succ := p.successes(fp)
	sh := p.shareOf(fp)
	pid := ""
	if sh.registerDue(now) {
		pid = p.id
	}
	v, err := p.runKeys(ctx, p.reserve, []string{key, key + ":procs"}, now.UnixMicro(), lim.PerSecond, kb, micros(max(maxWait, 0)),
		p.margin, p.ttl.Milliseconds(), succ.Swap(0), micros(learnedHorizon), pid, micros(procWindow), sh.floor())
	if err != nil {
		return p.alone(ctx, sh, fp, lim, maxWait)
	}
	rep, err := parseReserve(v)
	if err != nil {
		// A reply this pacer cannot read (another version's script under
		// the same prefix?): pace in process rather than guess.
		p.log(slog.LevelWarn, "redispacing: unreadable reply from Redis; pacing this attempt in process", slog.String("error", err.Error()))
		return p.local.Load().Reserve(ctx, fp, lim, maxWait)
	}
	sh.update(rep)
	if rep.changed {
		p.emit(pacing.Event{Kind: pacing.RateChanged, Key: fp, Source: rep.src, Rate: rep.rate, Previous: rep.prev, Reason: rep.reason})
	}
	r := pacing.Reservation{OK: rep.ok, Delay: time.Duration(rep.delay) * time.Microsecond, Gated: rep.gated, Key: fp}
	if rep.ok {
		r.Slot = redisSlot(rep.slot)
	}
	return r, nil
}

// alone books a slot without Redis: this process's own slots of the
// fleet's schedule when it shared the key with others at a known rate (see
// share), else the in-process pacer's.
func (p *Pacer) alone(ctx context.Context, sh *share, fp string, lim pacing.Limit, maxWait time.Duration) (pacing.Reservation, error) {
	if r, ok := sh.reserve(p.now(), lim, p.margin, maxWait); ok {
		r.Key = fp
		return r, nil
	}
	return p.local.Load().Reserve(ctx, fp, lim, maxWait)
}

// Cancel gives back the slot of a reservation whose attempt was not sent,
// when no later slot has been booked since.
func (p *Pacer) Cancel(ctx context.Context, r pacing.Reservation) error {
	if !r.OK {
		return nil
	}
	if !fromRedis(r) {
		return p.local.Load().Cancel(ctx, r)
	}
	us := slotMicros(r.Slot)
	if us == 0 {
		return nil
	}
	key, err := p.Key(r.Key)
	if err != nil {
		return err
	}
	p.shareOf(r.Key).cancel(us)
	_, _ = p.run(ctx, p.cancel, key, us, p.ttl.Milliseconds()) // a slot not given back costs one interval
	return nil
}

// Report tells the fleet how an attempt was answered: a 429 closes the
// key's gate for every process and lowers a learned rate; X-RateLimit-*
// headers set the rate, at once. A plain success, which lets a learned rate
// probe upward, is counted here and told with this process's next call to
// Redis; an answer that teaches nothing (none, a 5xx) is dropped. So an
// attempt costs one round trip, and two when it is refused.
func (p *Pacer) Report(ctx context.Context, r pacing.Reservation, a pacing.Answer) error {
	if a.Status == 429 && a.RetryAfter < 0 && fromRedis(r) {
		// "Retry now" (Retry-After: 0): the server holds nobody back, so the
		// fleet's gate and rate stay as they are, as pacing.Local's do.
		return nil
	}
	if !fromRedis(r) {
		p.shareOf(r.Key).report(p.now(), a)
		return p.local.Load().Report(ctx, r, a)
	}
	if a.Status != 429 && (a.Status == 0 || a.Status >= 500) {
		return nil
	}
	succ := p.successes(r.Key)
	if a.Status != 429 && a.Limit == 0 && a.Remaining != 0 {
		succ.Add(1)
		return nil
	}
	key, err := p.Key(r.Key)
	if err != nil {
		return err
	}
	now := p.now()
	v, err := p.run(ctx, p.report, key, now.UnixMicro(), slotMicros(r.Slot), a.Status, micros(a.RetryAfter),
		a.Limit, a.Remaining, micros(a.Reset), p.margin, p.ttl.Milliseconds(), succ.Swap(0))
	if err != nil {
		// Keep at least this process behind the 429.
		p.shareOf(r.Key).report(now, a)
		return p.local.Load().Report(ctx, pacing.Reservation{OK: true, Key: r.Key}, a)
	}
	rep, err := parseReport(v)
	if err != nil {
		return fmt.Errorf("redispacing: reading Redis's reply to a report: %w", err)
	}
	if rep.gateClosed {
		p.emit(pacing.Event{Kind: pacing.GateClosed, Key: r.Key, Source: rep.src, Rate: rep.rate,
			GateOpens: time.UnixMicro(rep.gate), Reason: gateReason(a)})
	}
	if rep.changed {
		p.emit(pacing.Event{Kind: pacing.RateChanged, Key: r.Key, Source: rep.src, Rate: rep.rate,
			Previous: rep.prev, Reason: rep.reason})
	}
	return nil
}

// successes is the count of successes with the key fp not yet told.
func (p *Pacer) successes(fp string) *atomic.Int64 {
	if v, ok := p.pending.Load(fp); ok {
		return v.(*atomic.Int64)
	}
	v, _ := p.pending.LoadOrStore(fp, new(atomic.Int64))
	return v.(*atomic.Int64)
}

func gateReason(a pacing.Answer) string {
	if a.Status == 429 {
		return "429"
	}
	return "remaining 0"
}

// State reports how the key fp is paced now, as the fleet shares it (or,
// while Redis does not answer, as this process paces it).
func (p *Pacer) State(ctx context.Context, fp string) (pacing.State, error) {
	key, err := p.Key(fp)
	if err != nil {
		return pacing.State{}, err
	}
	v, err := p.call(ctx, func(cctx context.Context) (any, error) {
		return p.rdb.HMGet(cctx, key, "src", "rate", "burst", "gate").Result()
	})
	if err != nil {
		return p.local.Load().State(ctx, fp)
	}
	vals, _ := v.([]any)
	return parseState(fp, vals, p.now())
}

// Shared reports whether the Pacer is pacing through Redis now (false while
// it paces in process because Redis did not answer).
func (p *Pacer) Shared() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.down
}

func (p *Pacer) emit(ev pacing.Event) {
	if p.observer != nil {
		p.observer(ev)
	}
}
