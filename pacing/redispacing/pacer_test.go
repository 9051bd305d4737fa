package redispacing

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/apikit/apikit-go/pacing"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(cleanup{m}) }

// cleanup removes the fleetworker binary the tests built, if any.
type cleanup struct{ m *testing.M }

func (c cleanup) Run() int {
	code := c.m.Run()
	if dir, err := workerDir(); err == nil {
		os.RemoveAll(dir)
	}
	return code
}

// clock is a fake clock that moves only when told. The miniredis servers
// it drives (drive) move with it: the scripts read Redis's TIME.
type clock struct {
	mu  sync.Mutex
	t   time.Time
	mrs []*miniredis.Miniredis
}

// drive sets mr's clock to this one, now and at each Advance.
func (c *clock) drive(mr *miniredis.Miniredis) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mrs = append(c.mrs, mr)
	mr.SetTime(c.t)
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
	for _, mr := range c.mrs {
		mr.SetTime(c.t)
	}
	c.mu.Unlock()
}

const fp = "fp_0123456789ab"

var ctx = context.Background()

// fleet is n Pacers, as n processes would have, on one miniredis.
func fleet(t *testing.T, n int, clk *clock, opts ...Option) (*miniredis.Miniredis, []*Pacer) {
	t.Helper()
	mr := miniredis.RunT(t)
	clk.drive(mr)
	var ps []*Pacer
	for range n {
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
		t.Cleanup(func() { rdb.Close() })
		// A generous timeout: a busy machine must not turn a unit test into
		// a fall back.
		// The in-process pacer's margin, to compare with it.
		p, err := New(rdb, append([]Option{WithClock(clk.Now), WithTimeout(10 * time.Second), WithMargin(pacing.Margin)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return mr, ps
}

func TestKnownLimitSlotsAreSharedAcrossProcesses(t *testing.T) {
	clk := newClock()
	_, ps := fleet(t, 3, clk)
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	var got []time.Duration
	for i := range 6 {
		r, err := ps[i%3].Reserve(ctx, fp, lim, time.Minute)
		if err != nil || !r.OK {
			t.Fatalf("reserve %d: %+v %v", i, r, err)
		}
		got = append(got, r.Delay.Round(time.Millisecond))
	}
	want := []time.Duration{0, 206, 412, 619, 825, 1031}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delays %v, want %v ms: one schedule across the processes", got, want)
		}
	}
	// The same as one in-process pacer gives (which books no further than
	// a second ahead).
	l := pacing.New(pacing.WithClock(clk.Now))
	for i := range 5 {
		r, _ := l.Reserve(ctx, fp, lim, time.Minute)
		if r.Delay.Round(time.Millisecond) != got[i] {
			t.Fatalf("slot %d: Local %s, Redis %s", i, r.Delay, got[i])
		}
	}
}

func TestMaxWaitBooksNothing(t *testing.T) {
	clk := newClock()
	_, ps := fleet(t, 1, clk)
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	for range 3 {
		ps[0].Reserve(ctx, fp, lim, time.Minute)
	}
	r, _ := ps[0].Reserve(ctx, fp, lim, 100*time.Millisecond)
	if r.OK || r.Delay.Round(time.Millisecond) != 619*time.Millisecond {
		t.Fatalf("got %+v, want no booking and the 619ms it would need", r)
	}
	r, _ = ps[0].Reserve(ctx, fp, lim, time.Minute)
	if !r.OK || r.Delay.Round(time.Millisecond) != 619*time.Millisecond {
		t.Fatalf("the refused slot was booked after all: %+v", r)
	}
}

func TestGateClosedByOneProcessHoldsAll(t *testing.T) {
	clk := newClock()
	_, ps := fleet(t, 2, clk)
	r, _ := ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	if !r.OK || r.Delay != 0 {
		t.Fatalf("no limit known yet: %+v, want an immediate slot", r)
	}
	if err := ps[0].Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: 2 * time.Second, Remaining: -1}); err != nil {
		t.Fatal(err)
	}
	r2, _ := ps[1].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	if !r2.OK || !r2.Gated || r2.Delay != 2*time.Second {
		t.Fatalf("the other process: %+v, want a slot behind the 2s gate", r2)
	}
	st, err := ps[1].State(ctx, fp)
	if err != nil || st.Source != pacing.SourceLearned || !st.GateOpens.Equal(clk.Now().Add(2*time.Second)) {
		t.Fatalf("state %+v %v, want learned with the gate 2s away", st, err)
	}
	// The next caller leaves one interval after the first, not with it.
	r3, _ := ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	if !r3.OK || r3.Delay <= r2.Delay {
		t.Fatalf("the third caller: %+v, want a slot after %s", r3, r2.Delay)
	}
}

// The learned rate goes down on a 429 and up on successes, for the whole
// fleet: a success reported by one process raises the rate every process
// paces at.
func TestLearnedRateIsShared(t *testing.T) {
	clk := newClock()
	_, ps := fleet(t, 2, clk)
	r, _ := ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	ps[0].Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: time.Second, Remaining: -1})
	st0, _ := ps[1].State(ctx, fp)
	clk.Advance(time.Second)
	for i := range 5 {
		r, _ := ps[i%2].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
		clk.Advance(r.Delay)
		ps[(i+1)%2].Report(ctx, r, pacing.Answer{Status: 200, Remaining: -1})
	}
	st1, _ := ps[0].State(ctx, fp)
	if st1.Source != pacing.SourceLearned || st1.Rate <= st0.Rate {
		t.Fatalf("rate %g after 5 successes, was %g: want higher", st1.Rate, st0.Rate)
	}
	r, _ = ps[1].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	ps[1].Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: time.Second, Remaining: -1})
	st2, _ := ps[0].State(ctx, fp)
	if st2.Rate >= st1.Rate {
		t.Fatalf("rate %g after a 429, was %g: want lower", st2.Rate, st1.Rate)
	}
}

func TestHeadersSetTheRate(t *testing.T) {
	clk := newClock()
	_, ps := fleet(t, 2, clk)
	r, _ := ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	ps[0].Report(ctx, r, pacing.Answer{Status: 200, Limit: 10, Remaining: 9, Reset: time.Second})
	st, _ := ps[1].State(ctx, fp)
	if st.Source != pacing.SourceHeaders || st.Rate < 9.6 || st.Rate > 9.8 {
		t.Fatalf("state %+v, want headers at 10/s less the margin", st)
	}
}

func TestCancelGivesTheSlotBack(t *testing.T) {
	clk := newClock()
	_, ps := fleet(t, 1, clk)
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	ps[0].Reserve(ctx, fp, lim, time.Minute)
	r, _ := ps[0].Reserve(ctx, fp, lim, time.Minute)
	if err := ps[0].Cancel(ctx, r); err != nil {
		t.Fatal(err)
	}
	r2, _ := ps[0].Reserve(ctx, fp, lim, time.Minute)
	if r2.Delay != r.Delay {
		t.Fatalf("after a cancel the next slot is %s away, want the cancelled %s", r2.Delay, r.Delay)
	}
}

// A success under a known limit has nothing to teach: its report costs no
// round trip, so an attempt costs one.
func TestKnownLimitCostsOneRoundTrip(t *testing.T) {
	clk := newClock()
	mr, ps := fleet(t, 1, clk)
	lim := pacing.Limit{PerSecond: 1000, Burst: 1}
	var n atomic.Int64
	ps[0].rdb.AddHook(counter{&n})
	for range 10 {
		r, _ := ps[0].Reserve(ctx, fp, lim, time.Minute)
		clk.Advance(r.Delay)
		ps[0].Report(ctx, r, pacing.Answer{Status: 200, Remaining: -1})
	}
	// EVAL the first time, EVALSHA after.
	if n.Load() != 10 {
		t.Fatalf("%d round trips for 10 attempts, want 10 (one script each)", n.Load())
	}
	_ = mr
}

func TestRedisKeysNameOnlyTheFingerprint(t *testing.T) {
	clk := newClock()
	mr, ps := fleet(t, 1, clk, WithPrefix("svc:"))
	r, _ := ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	ps[0].Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: time.Second, Remaining: -1})
	if keys := mr.Keys(); len(keys) != 2 || keys[0] != "svc:{"+fp+"}" || keys[1] != "svc:{"+fp+"}:procs" {
		t.Fatalf("keys %q, want the hash svc:{%s} and its :procs", keys, fp)
	}
	if ttl := mr.TTL("svc:{" + fp + "}"); ttl <= 0 || ttl > DefaultTTL {
		t.Fatalf("ttl %s, want up to %s", ttl, DefaultTTL)
	}
	for _, bad := range []string{"", "hd_live_{x}", "a b", strings.Repeat("x", 65)} {
		if _, err := ps[0].Reserve(ctx, bad, pacing.Limit{}, time.Minute); err == nil {
			t.Errorf("Reserve(%q) took a string that is not a fingerprint", bad)
		}
	}
}

func TestNewValidates(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	for name, opt := range map[string]Option{
		"prefix":  WithPrefix("a{b"),
		"timeout": WithTimeout(0),
		"retry":   WithRetryInterval(-1),
		"ttl":     WithTTL(time.Millisecond),
		"clock":   WithClock(nil),
		"margin":  WithMargin(0.5),
	} {
		if _, err := New(rdb, opt); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	if _, err := New(nil); err == nil {
		t.Error("New(nil) accepted a nil client")
	}
}

// Redis gone: every call is paced in process, the fall back is logged once,
// and once Redis answers again (at the next retry interval) pacing is
// shared again, logged once.
func TestFallbackAndReturn(t *testing.T) {
	clk := newClock()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	mr, ps := fleet(t, 1, clk, WithLogger(logger), WithTimeout(time.Second))
	p := ps[0]
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	if r, _ := p.Reserve(ctx, fp, lim, time.Minute); !r.OK || !p.Shared() {
		t.Fatal("not shared to begin with")
	}
	mr.Close()
	for i := range 5 {
		r, err := p.Reserve(ctx, fp, lim, time.Minute)
		if err != nil || !r.OK {
			t.Fatalf("reserve %d with Redis down: %+v %v", i, r, err)
		}
		if i > 0 && r.Delay == 0 {
			t.Fatalf("reserve %d with Redis down: not paced in process", i)
		}
		if i < 3 {
			clk.Advance(r.Delay) // the caller waits for its slot (within the retry interval)
		}
		if err := p.Report(ctx, r, pacing.Answer{Status: 200, Remaining: -1}); err != nil {
			t.Fatal(err)
		}
	}
	if p.Shared() {
		t.Fatal("Shared() with Redis down")
	}
	if n := strings.Count(logs.String(), "did not answer"); n != 1 {
		t.Fatalf("the fall back was logged %d times, want once:\n%s", n, logs.String())
	}
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	p.Reserve(ctx, fp, lim, time.Minute)
	if p.Shared() {
		t.Fatal("asked Redis again before the retry interval")
	}
	clk.Advance(DefaultRetryInterval)
	p.Reserve(ctx, fp, lim, time.Minute)
	if !p.Shared() {
		t.Fatalf("Redis answers again, but the pacer still paces in process:\n%s", logs.String())
	}
	if n := strings.Count(logs.String(), "answers again"); n != 1 {
		t.Fatalf("the return was logged %d times, want once:\n%s", n, logs.String())
	}
}

// counter counts the scripts a go-redis client runs (not the commands it
// sends to set up a connection).
type counter struct{ n *atomic.Int64 }

func (c counter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (c counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if n := cmd.Name(); n == "evalsha" || n == "eval" {
			c.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (c counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// A Redis that accepts connections and never answers (a stopped process, a
// black-holed network): each call is abandoned at the Pacer's timeout and
// the attempt is paced in process.
func TestSlowRedisFallsBackAtTheTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	// go-redis's own timeouts, left at their defaults, take seconds.
	rdb := redis.NewClient(&redis.Options{Addr: l.Addr().String(), MaxRetries: -1, ReadTimeout: 30 * time.Second})
	defer rdb.Close()
	p, err := New(rdb, WithTimeout(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Reserve(ctx, fp, pacing.Limit{PerSecond: 5, Burst: 1}, time.Minute)
	if err != nil || !r.OK || p.Shared() {
		t.Fatalf("got %+v %v shared=%v, want a slot booked in process", r, err, p.Shared())
	}
	// Closing the listener and its connections ends the abandoned call.
}

// Redis gone, a process paces alone on its own slots of the fleet's
// schedule: two processes on a 5/s key each every other slot (2.5/s), not
// each at 5/s, and not at random phases.
func TestFallbackPacesAtTheProcessShare(t *testing.T) {
	clk := newClock()
	mr, ps := fleet(t, 2, clk)
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	for _, p := range ps {
		if r, err := p.Reserve(ctx, fp, lim, time.Minute); err != nil || !r.OK {
			t.Fatal(r, err)
		}
	}
	// The first process registered before the second: it learns of the
	// second at its next registration, a second on.
	clk.Advance(time.Second)
	ps[0].Reserve(ctx, fp, lim, time.Minute)
	mr.Close()
	var delays []time.Duration // the slots, from the first call
	var waited time.Duration
	for range 3 {
		r, err := ps[0].Reserve(ctx, fp, lim, time.Minute)
		if err != nil || !r.OK {
			t.Fatal(r, err)
		}
		delays = append(delays, (waited + r.Delay).Round(time.Millisecond))
		clk.Advance(r.Delay) // the caller waits for its slot
		waited += r.Delay
	}
	// 5/s less the in-process pacer's margin (4.85/s), rounded down to
	// a 16th of an octave (4.757/s), halved: 420 ms apart.
	near := func(d time.Duration) bool { return (d - 420*time.Millisecond).Abs() <= time.Millisecond }
	if !near(delays[1]-delays[0]) || !near(delays[2]-delays[1]) {
		t.Fatalf("in process after Redis went: %v, want slots 420 ms apart (half of 5/s each)", delays)
	}
}

// A Redis that comes back empty (restarted without persistence) books after
// the slots this process still holds, not over them.
func TestEmptyRedisBooksAfterHeldSlots(t *testing.T) {
	clk := newClock()
	mr, ps := fleet(t, 1, clk)
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	var last time.Duration
	for range 3 {
		r, _ := ps[0].Reserve(ctx, fp, lim, time.Minute)
		last = r.Delay
	}
	mr.FlushAll()
	r, _ := ps[0].Reserve(ctx, fp, lim, time.Minute)
	if !r.OK || r.Delay <= last {
		t.Fatalf("after Redis lost the state: %+v, want a slot after the held %s", r, last)
	}
}
