package redispacing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
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

// lostGuard is added to one round of the fleet's schedule after the
// latest slot a process knows to be held, when Redis lost a key's state or
// the process comes back from pacing it alone: the slots the others booked
// meanwhile lie about there.
const lostGuard = 100 * time.Millisecond

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
// Time is Redis's: the scripts read TIME, so a process whose clock is off
// books the same slots as the others, and the wait a reservation returns
// counts from when Redis's answer arrived, not from before the round trip.
//
// When Redis does not answer for a key within the timeout (WithTimeout,
// stretched to the round trips measured), the Pacer paces that key in this
// process — on its own slots of the fleet's schedule, at the fleet's last
// shared rate divided among its processes, when it shared the key with
// others; else with a pacing.Local — logs that once, and asks Redis again
// every WithRetryInterval; once Redis answers, pacing is shared again (and
// logged once). Health is kept per key, so one Redis Cluster shard that is
// down costs only its keys; on a failed call a *redis.ClusterClient is
// told to reload the cluster's layout, so a failover is seen at the next
// retry. A call is never failed for Redis's sake.
//
// In the process, a Pacer keeps about 340 bytes per key fingerprint it is
// asked about (BenchmarkKeyMemory measures 334 B on amd64: its state, the
// map entry and the fingerprint), dropped once the key is unused for
// WithTTL, as the key's state in Redis is.
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

	downKeys  atomic.Int64 // keys paced in process now
	offset    atomic.Int64 // Redis's clock less this process's, µs, from the last good round trip
	offsetSet atomic.Bool  // offset has been measured
	rtt       atomic.Int64 // the smoothed round trip of a call, µs; 0 before the first
	reloadAt  atomic.Int64 // when a cluster reload was last asked for, Unix ns
	nextSweep atomic.Int64 // when keys may next be swept, Unix ns
	answeredN atomic.Int64 // calls answered in time, for the first calls' timeout

	keys sync.Map // fingerprint → *keyState

	baseMu sync.Mutex
	bases  [baseCalls]time.Duration // the latest calls' round trips (the Pacer's clock), for returnLeg
	baseN  int                      // calls taken into bases

	reserve, cancel, report, state *script

	id string // this Pacer's random ID among the processes on a key
}

var (
	_ pacing.Pacer     = (*Pacer)(nil)
	_ pacing.Inspector = (*Pacer)(nil)
	_ pacing.Departer  = (*Pacer)(nil)
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
// fake one. It times the Pacer's retries and round trips; the shared
// slots and gates are stamped with Redis's clock (TIME), so the processes'
// clocks need not agree.
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
// *redis.ClusterClient or *redis.Ring). It asks Redis once, within
// max(WithTimeout, 500 ms), whether its user may run what the Pacer needs
// (EVAL, EVALSHA and the commands inside the scripts, on the Pacer's keys):
// when Redis answers and refuses — a wrong password (WRONGPASS), no
// password (NOAUTH), an ACL user without those commands or keys (NOPERM) —
// New returns an error that says so. A Redis that does not answer is no
// error: the Pacer paces in process until it does, like any other outage.
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
	p.reserve, p.cancel, p.report, p.state = newScript(reserveScript), newScript(cancelScript), newScript(reportScript), newScript(stateScript)
	var b [8]byte
	_, _ = rand.Read(b[:])
	p.id = hex.EncodeToString(b[:])
	p.local.Store(p.newLocal())
	if err := p.check(context.Background()); err != nil {
		return nil, err
	}
	return p, nil
}

// check asks Redis whether the Pacer's user may run its scripts; see New.
// Only a refusal is an error; no answer is not.
func (p *Pacer) check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(p.timeout, 500*time.Millisecond))
	defer cancel()
	k := p.prefix + "{fp_check}"
	var took, ptook time.Duration
	v, err := bounded(ctx, func(cctx context.Context) (any, error) {
		v, err := checkScript.Eval(cctx, p.rdb, []string{k, k + ":procs"}).Result()
		if err != nil {
			return v, err
		}
		// EVAL worked; the Pacer sends its scripts by SHA1 after.
		start, pstart := time.Now(), p.now()
		err = checkScript.EvalSha(cctx, p.rdb, []string{k, k + ":procs"}).Err()
		took, ptook = time.Since(start), p.now().Sub(pstart)
		return v, err
	})
	if err != nil {
		if refused(err) {
			return fmt.Errorf("redispacing: New: Redis refuses this client (%w); give the right user and password in redis.Options, or grant the user +eval +evalsha +time +hgetall +hset +hmget +pexpire +zadd +zrange +zremrangebyscore on keys %s*", err, p.prefix)
		}
		return nil // no answer: an outage like any other
	}
	p.measure(took)
	p.returnLeg(ptook) // a round trip on a connection already made: the usual one
	if denied, _ := v.(string); denied != "" {
		return fmt.Errorf("redispacing: New: the Redis user may not run %s on the Pacer's keys (%s*); grant it (ACL SETUSER <user> +%s ~%s*)", strings.ToUpper(denied), p.prefix, strings.ToLower(denied), p.prefix)
	}
	return nil
}

// refused reports whether err is Redis answering no: a wrong or missing
// password, or an ACL user without a command or key.
func refused(err error) bool {
	if redis.IsAuthError(err) || redis.IsPermissionError(err) {
		return true
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		msg := rerr.Error()
		for _, p := range []string{"WRONGPASS", "NOAUTH", "NOPERM", "ERR unknown command", "ERR AUTH", "ERR Client sent AUTH"} {
			if strings.HasPrefix(msg, p) {
				return true
			}
		}
	}
	return false
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

// errFallback marks a call not sent to Redis because the key is paced in
// process.
var errFallback = errors.New("redispacing: pacing in process")

// Bounds of the timeout stretched to the measured round trip: a call may
// take up to roundTrips times the smoothed round trip, never more than
// maxTimeout (so Redis may be up to about 250 ms away).
const (
	roundTrips = 4
	maxTimeout = time.Second
)

// A process's first calls dial their connections (a TCP handshake and
// HELLO, two more round trips each), all at once when its callers start
// together: until warmCalls calls have been answered in time, a call may
// take warmTimeout.
const (
	warmCalls   = 64
	warmTimeout = 500 * time.Millisecond
)

// callTimeout is the bound of a call now: WithTimeout, or roundTrips times
// the smoothed round trip when that is longer, at most maxTimeout (or
// WithTimeout when that is longer still).
func (p *Pacer) callTimeout() time.Duration {
	d := time.Duration(roundTrips*p.rtt.Load()) * time.Microsecond
	if p.answeredN.Load() < warmCalls {
		d = max(d, warmTimeout)
	}
	return max(p.timeout, min(d, maxTimeout))
}

// measure takes a call's round trip into the smoothed one, which
// stretches the timeout.
func (p *Pacer) measure(rtt time.Duration) {
	us := max(micros(rtt), 1)
	for {
		old := p.rtt.Load()
		nu := us
		if old > 0 {
			nu = old + (us-old)/8
		}
		if p.rtt.CompareAndSwap(old, nu) {
			return
		}
	}
}

// clockOffset takes Redis's clock when a script ran (server, Unix µs),
// this process's clock when its answer arrived and how long ago the
// script ran (back, see returnLeg): Redis's clock less this one, for
// pacing without Redis.
func (p *Pacer) clockOffset(server int64, arrived time.Time, back time.Duration) {
	if server > 0 {
		p.offset.Store(server - arrived.Add(-back).UnixMicro())
		p.offsetSet.Store(true)
	}
}

// giveUpAt is when, on Redis's clock (Unix µs), a call made now has
// surely been abandoned: its timeout twice and 250 ms more, for the
// offset's error (an answer read late, on a busy machine, makes the
// offset look smaller), so that no call still awaited is refused; 0 while
// the offset is unknown. The scripts that book or cut refuse to
// run after it: a call abandoned while Redis was paused (SIGSTOP, a fork,
// a long command) still sits in its connection and runs when Redis
// resumes, and would book a slot nobody takes, or tell a 429 the caller
// tells again later (traced: the calls abandoned in a 3 s pause booked
// 4.4 s of slots ahead of the fleet's first caller back).
func (p *Pacer) giveUpAt() int64 {
	if !p.offsetSet.Load() {
		return 0
	}
	return p.serverNow().Add(2*p.callTimeout() + 250*time.Millisecond).UnixMicro()
}

// baseCalls is how many of the latest round trips the least of which is
// the usual round trip (returnLeg): more than a process's callers, which
// dial their connections together.
const baseCalls = 32

// returnLeg is how long before its answer arrived a script ran: half the
// round trip. A call that took longer than the usual round trip (the
// least of the latest baseCalls, and of New's check) spent the rest before
// it reached Redis — dialing a connection (a TCP handshake and HELLO, two
// more round trips), waiting for one from the pool or for the script to
// load — not after: half the usual round trip, then. Half the whole call
// would make an attempt that waited leave that much before its slot. The
// call's own round trip is then taken into the latest.
func (p *Pacer) returnLeg(took time.Duration) time.Duration {
	p.baseMu.Lock()
	defer p.baseMu.Unlock()
	leg := took / 2
	if n := min(p.baseN, baseCalls); n > 0 {
		least := p.bases[0]
		for _, b := range p.bases[1:n] {
			least = min(least, b)
		}
		if least < took {
			leg = least / 2
		}
	}
	p.bases[p.baseN%baseCalls] = took
	p.baseN++
	return leg
}

// serverNow is Redis's clock, as this process reckons it from its own and
// the offset last measured.
func (p *Pacer) serverNow() time.Time {
	return p.now().Add(time.Duration(p.offset.Load()) * time.Microsecond)
}

// useRedis reports whether this call for the key should go to Redis:
// always while it answers; while it does not, one call per retry
// interval.
func (p *Pacer) useRedis(ks *keyState) bool {
	if ks == nil {
		return true
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if !ks.down {
		return true
	}
	if ks.probing || p.now().Before(ks.nextTry) {
		return false
	}
	ks.probing = true
	return true
}

// answered records the outcome of a call to Redis for the key: err nil
// means it answered. A call that ended because its caller gave up says
// nothing about Redis.
func (p *Pacer) answered(ctx context.Context, ks *keyState, err error) {
	if err != nil && ctx.Err() != nil {
		if ks != nil {
			ks.mu.Lock()
			ks.probing = false
			ks.mu.Unlock()
		}
		return
	}
	if err != nil {
		p.reloadCluster()
	}
	if ks == nil {
		return
	}
	ks.mu.Lock()
	was := ks.down
	ks.probing = false
	if err == nil {
		ks.down, ks.fails = false, 0
	} else {
		ks.down = true
		ks.nextTry = p.now().Add(p.retryAfter(ks.fails))
		ks.fails++
	}
	ks.mu.Unlock()
	switch {
	case err != nil && !was:
		if p.downKeys.Add(1) == 1 {
			p.local.Store(p.newLocal())
			p.log(slog.LevelWarn, "redispacing: Redis did not answer; pacing in this process until it does (this process no longer shares its keys' limits with the fleet)",
				slog.Duration("timeout", p.callTimeout()), slog.Duration("retry_every", p.retryEvery), slog.String("error", err.Error()))
		}
	case err == nil && was:
		p.healed()
	}
}

// clusterRetry is how soon a key whose call to a Redis Cluster failed
// asks again, the first time: the call had the cluster's layout reloaded
// (go-redis waits 200 ms between reloads), and after a failover the
// reloaded layout names the promoted replica. It doubles with each failure
// in a row, up to the retry interval.
const clusterRetry = 250 * time.Millisecond

// retryAfter is how long a key waits to ask Redis again after fails
// failures in a row (0: the first): the retry interval, or for a Redis
// Cluster clusterRetry doubled with each failure, up to it.
func (p *Pacer) retryAfter(fails int) time.Duration {
	if _, ok := p.rdb.(*redis.ClusterClient); !ok {
		return p.retryEvery
	}
	return min(clusterRetry<<min(fails, 8), p.retryEvery)
}

// healed counts one key back to Redis (or forgotten while down).
func (p *Pacer) healed() {
	if p.downKeys.Add(-1) == 0 {
		p.log(slog.LevelInfo, "redispacing: Redis answers again; pacing is shared with the fleet again")
	}
}

// reloadCluster asks a Redis Cluster client, at most every 200 ms, to
// reload the cluster's layout: after a master fails, its replica takes
// over, and go-redis would otherwise go on calling the dead master until
// its periodic reload (a minute).
func (p *Pacer) reloadCluster() {
	cc, ok := p.rdb.(*redis.ClusterClient)
	if !ok {
		return
	}
	now := time.Now().UnixNano()
	last := p.reloadAt.Load()
	if now-last < int64(200*time.Millisecond) || !p.reloadAt.CompareAndSwap(last, now) {
		return
	}
	cc.ReloadState(context.Background())
}

func (p *Pacer) log(level slog.Level, msg string, attrs ...slog.Attr) {
	if p.logger != nil {
		p.logger.LogAttrs(context.Background(), level, msg, attrs...)
	}
}

// runKeys runs script on the Redis keys (all in one cluster slot) for the
// key ks; see call. The first call of a script in this Pacer sends it
// whole (EVAL), which loads it into Redis's cache, while the calls that
// come meanwhile wait for it (within their timeout); then every call sends
// its SHA1 (EVALSHA), and the script whole again only when Redis has lost
// it (a restart). So the first attempts of a process, all at once, do not
// each cost a failed EVALSHA and an EVAL.
func (p *Pacer) runKeys(ctx context.Context, ks *keyState, s *script, keys []string, args ...any) (any, time.Duration, error) {
	return p.call(ctx, ks, func(cctx context.Context) (any, error) {
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

// call makes one call to Redis for the key ks within the Pacer's timeout,
// whatever the client's own settings: go-redis honours a context's
// deadline while it dials and waits for a connection, but by default not
// while it reads, so the call is made on a goroutine that is abandoned at
// the deadline (it ends with the client's own read timeout; its round
// trip still counts for the next timeout). While the key is paced in
// process it returns errFallback at once, but for one call per retry
// interval. It returns, for a call answered, how long before its answer
// arrived the script ran (see returnLeg); for one not, how long it took.
func (p *Pacer) call(ctx context.Context, ks *keyState, f func(context.Context) (any, error)) (any, time.Duration, error) {
	if !p.useRedis(ks) {
		return nil, 0, errFallback
	}
	timeout := p.callTimeout()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := p.now()
	began := time.Now()
	v, err := bounded(cctx, func(cctx context.Context) (any, error) {
		v, err := f(cctx)
		if (err == nil || errors.Is(err, redis.Nil)) && cctx.Err() == nil {
			// Only calls answered in time: one abandoned during an outage
			// would stretch the timeout to the outage's length.
			p.measure(time.Since(began))
			p.answeredN.Add(1)
		}
		return v, err
	})
	if err != nil && cctx.Err() != nil && ctx.Err() == nil {
		err = fmt.Errorf("no answer within %s: %w", timeout, err)
	}
	p.answered(ctx, ks, err)
	took := p.now().Sub(start)
	if err != nil {
		return v, took, err
	}
	return v, p.returnLeg(took), nil
}

// bounded runs f on a goroutine of its own and returns at ctx's end if f
// has not: go-redis honours a context's deadline while it dials and waits
// for a connection, but by default not while it reads. A redis.Nil is no
// error here.
func bounded(ctx context.Context, f func(context.Context) (any, error)) (any, error) {
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f(ctx)
		ch <- result{v, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		r.err = ctx.Err()
	}
	if r.err != nil && errors.Is(r.err, redis.Nil) {
		r.err = nil
	}
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
// pacing.Pacer. The delay counts from when Redis's answer arrived. When
// Redis does not answer it books in process.
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
	ks := p.keyOf(fp)
	pid := ""
	if ks.registerDue(p.now()) {
		pid = p.id
	}
	epoch, held, src, rate, seen, guard, back := ks.lost(p.serverNow(), lostGuard)
	succ, refused, oks := ks.succ.Swap(0), ks.refused.Swap(0), ks.takeAccepted()
	v, leg, err := p.runKeys(ctx, ks, p.reserve, []string{key, key + ":procs"}, 0, lim.PerSecond, kb, micros(max(maxWait, 0)),
		p.margin, p.ttl.Milliseconds(), succ, micros(learnedHorizon), pid, micros(procWindow),
		epoch, held, int(src), rate, guard, back, mrand.Int64N(1<<52)+1, refused, seen, micros(fallbackHorizon+p.retryEvery),
		oks[0], oks[1], p.giveUpAt())
	if err != nil {
		if !errors.Is(err, errFallback) {
			ks.succ.Add(succ) // not told: they ride on the next call
			ks.giveBack(oks)
		}
		ks.refused.Add(refused)
		return p.alone(ctx, ks, fp, lim, maxWait)
	}
	rep, err := parseReserve(v)
	if err != nil {
		// A reply this pacer cannot read (another version's script under
		// the same prefix?): pace in process rather than guess.
		p.log(slog.LevelWarn, "redispacing: unreadable reply from Redis; pacing this attempt in process", slog.String("error", err.Error()))
		return p.local.Load().Reserve(ctx, fp, lim, maxWait)
	}
	p.clockOffset(rep.now, p.now(), leg)
	ks.update(rep)
	if rep.changed {
		p.emit(pacing.Event{Kind: pacing.RateChanged, Key: fp, Source: rep.src, Rate: rep.rate, Previous: rep.prev, Reason: rep.reason})
	}
	// The script measured the delay from when it ran, the return leg
	// before its answer arrived.
	d := max(time.Duration(rep.delay)*time.Microsecond-leg, 0)
	r := pacing.Reservation{OK: rep.ok, Delay: d, Gated: rep.gated, Key: fp}
	if rep.ok {
		r.Slot = redisSlot(rep.slot)
	}
	return r, nil
}

// alone books a slot without Redis: this process's own slots of the
// fleet's schedule when it shared the key (see keyState), else the
// in-process pacer's.
func (p *Pacer) alone(ctx context.Context, ks *keyState, fp string, lim pacing.Limit, maxWait time.Duration) (pacing.Reservation, error) {
	if r, ok := ks.reserve(p.serverNow(), lim, p.margin, maxWait, p.retryEvery); ok {
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
	ks := p.keyOf(r.Key)
	ks.cancel(us)
	_, _, _ = p.runKeys(ctx, ks, p.cancel, []string{key}, us, p.ttl.Milliseconds()) // a slot not given back costs one interval
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
	if err := checkFingerprint(r.Key); err != nil {
		return err
	}
	ks := p.keyOf(r.Key)
	if !fromRedis(r) {
		ks.report(p.serverNow(), a)
		return p.local.Load().Report(ctx, r, a)
	}
	if a.Status != 429 && (a.Status == 0 || a.Status >= 500) {
		return nil
	}
	if a.Status != 429 && a.Limit == 0 && a.Remaining != 0 && !r.Gated {
		// (A gated success may be the probe through a gate beyond the
		// ceiling: Redis must hear it.)
		ks.succ.Add(1)
		ks.accepted(slotMicros(r.Slot))
		return nil
	}
	key, err := p.Key(r.Key)
	if err != nil {
		return err
	}
	succ := ks.succ.Swap(0)
	resetAt := int64(0)
	if !a.ResetAt.IsZero() {
		resetAt = a.ResetAt.UnixMicro()
	}
	v, _, err := p.runKeys(ctx, ks, p.report, []string{key}, 0, slotMicros(r.Slot), a.Status, micros(a.RetryAfter),
		a.Limit, a.Remaining, micros(a.Reset), p.margin, p.ttl.Milliseconds(), succ,
		micros(a.ResetPrecision), resetAt, micros(a.Window), p.giveUpAt())
	if err != nil {
		if !errors.Is(err, errFallback) {
			ks.succ.Add(succ)
		}
		// Keep at least this process behind the 429, and tell it with
		// the next reservation Redis answers.
		if a.Status == 429 {
			ks.refused.Add(1)
		}
		ks.report(p.serverNow(), a)
		return p.local.Load().Report(ctx, pacing.Reservation{OK: true, Key: r.Key}, a)
	}
	rep, err := parseReport(v)
	if err != nil {
		return fmt.Errorf("redispacing: reading Redis's reply to a report: %w", err)
	}
	ks.mu.Lock()
	ks.learnMove(rep.move)
	if rep.src != pacing.SourceNone {
		// The rate as the report left it (a cut): the view this process
		// keeps for an outage and for Redis losing the key.
		ks.src, ks.rate, ks.seen = rep.src, rep.rate, p.serverNow().UnixMicro()
	}
	ks.mu.Unlock()
	if rep.gateClosed {
		p.emit(pacing.Event{Kind: pacing.GateClosed, Key: r.Key, Source: rep.src, Rate: rep.rate,
			GateOpens: p.localTime(rep.gate), Reason: gateReason(a)})
	}
	if rep.changed {
		p.emit(pacing.Event{Kind: pacing.RateChanged, Key: r.Key, Source: rep.src, Rate: rep.rate,
			Previous: rep.prev, Reason: rep.reason})
	}
	return nil
}

// Depart says how much longer an attempt booked in Redis must wait before
// it leaves (see pacing.Departer), from what this process already knows:
// no round trip. A fleet books a learned rate's slots far ahead; when a
// 429 cuts the rate, the slots booked before the cut would still go out at
// the refused rate, and through the cut's gate. The cut moves them instead
// (behind its gate, at the new interval: the reply to every call carries
// the key's last move), as a gate holds every caller of one process. A
// reservation made in process waits nothing more.
func (p *Pacer) Depart(r pacing.Reservation) time.Duration {
	if !r.OK || !fromRedis(r) || checkFingerprint(r.Key) != nil {
		return 0
	}
	v, ok := p.keys.Load(r.Key)
	if !ok {
		return 0
	}
	t := slotMicros(r.Slot)
	to := v.(*keyState).moved(t)
	if to == t {
		return 0
	}
	return max(time.UnixMicro(to).Sub(p.serverNow()), 0)
}

// Sent is part of pacing.Departer; the fleet's slots do not use it.
func (p *Pacer) Sent(pacing.Reservation) {}

// localTime converts a time on Redis's clock (Unix µs) to this process's.
func (p *Pacer) localTime(us int64) time.Time {
	return time.UnixMicro(us - p.offset.Load())
}

func gateReason(a pacing.Answer) string {
	if a.Status == 429 {
		return "429"
	}
	return "remaining 0"
}

// State reports how the key fp is paced now, as the fleet shares it (or,
// while Redis does not answer, as this process last saw it shared, or as
// it paces the key alone when it saw nothing shared). Times are this
// process's clock.
func (p *Pacer) State(ctx context.Context, fp string) (pacing.State, error) {
	key, err := p.Key(fp)
	if err != nil {
		return pacing.State{}, err
	}
	ks := p.keyOf(fp)
	v, _, err := p.runKeys(ctx, ks, p.state, []string{key})
	if err != nil {
		if st, ok := ks.state(fp, p.serverNow()); ok {
			if !st.GateOpens.IsZero() {
				st.GateOpens = p.localTime(st.GateOpens.UnixMicro())
			}
			return st, nil
		}
		return p.local.Load().State(ctx, fp)
	}
	vals, _ := v.([]any)
	st, err := parseState(fp, vals)
	if err != nil {
		return st, err
	}
	if !st.GateOpens.IsZero() {
		st.GateOpens = p.localTime(st.GateOpens.UnixMicro())
	}
	return st, nil
}

// Shared reports whether the Pacer paces every key it knows through Redis
// now (false while it paces any in process because Redis did not answer).
func (p *Pacer) Shared() bool { return p.downKeys.Load() == 0 }

func (p *Pacer) emit(ev pacing.Event) {
	if p.observer != nil {
		p.observer(ev)
	}
}
