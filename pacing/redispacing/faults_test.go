package redispacing

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/apikit/apikit-go/pacing"
)

// New fails, saying why, when Redis answers and refuses: a wrong password,
// none, an ACL user without the script commands or without a command the
// scripts run. A user with what the Pacer needs is fine.
func TestNewFailsWhenRedisRefuses(t *testing.T) {
	srv := realRedis(t)
	acl := func(args ...string) {
		t.Helper()
		if _, err := srv.Do(ctx, append([]string{"ACL", "SETUSER"}, args...)...); err != nil {
			t.Fatal(err)
		}
	}
	all := []string{"+eval", "+evalsha", "+time", "+hgetall", "+hset", "+hmget", "+pexpire", "+zadd", "+zrange", "+zremrangebyscore", "+hello", "+ping"}
	acl(append([]string{"pacer", "on", ">s3cret", "~apikit:pacing:*"}, all...)...)
	acl(append([]string{"noscripts", "on", ">s3cret", "~apikit:pacing:*"}, "+hello", "+ping", "+hgetall", "+hset")...)
	acl(append(append([]string{"nohset", "on", ">s3cret", "~apikit:pacing:*"}, all...), "-hset")...)
	acl(append([]string{"otherkeys", "on", ">s3cret", "~other:*"}, all...)...)
	for _, c := range []struct {
		user, pass string
		want       string // in the error; "" for none
	}{
		{"pacer", "s3cret", ""},
		{"pacer", "wrong", "WRONGPASS"},
		{"noscripts", "s3cret", "NOPERM"},
		{"nohset", "s3cret", "may not run HSET"},
		{"otherkeys", "s3cret", "NOPERM"},
	} {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), Username: c.user, Password: c.pass, MaxRetries: -1})
		_, err := New(rdb)
		rdb.Close()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("user %s: %v, want no error", c.user, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("user %s: %v, want an error with %q", c.user, err, c.want)
		case err != nil && strings.Contains(err.Error(), c.pass):
			t.Errorf("user %s: the error shows the password: %v", c.user, err)
		}
	}
	// A password where none is set: NOAUTH or WRONGPASS, an error either way.
	if _, err := srv.Do(ctx, "CONFIG", "SET", "requirepass", "s3cret"); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	defer rdb.Close()
	if _, err := New(rdb); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("no password: %v, want NOAUTH", err)
	}
}

// A Redis that does not answer is no error for New: the Pacer paces in
// process until it does.
func TestNewQuietWhenRedisIsDown(t *testing.T) {
	mr := miniredis.RunT(t)
	addr := mr.Addr()
	mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	if _, err := New(rdb, WithTimeout(20*time.Millisecond)); err != nil {
		t.Fatalf("New with Redis down: %v, want none", err)
	}
}

// The slots are stamped with Redis's clock: a process whose clock is 500
// ms off books the same schedule as the others.
func TestSkewedClockBooksTheSameSlots(t *testing.T) {
	clk := newClock()
	mr, ps := fleet(t, 1, clk)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	skewed, err := New(rdb, WithClock(func() time.Time { return clk.Now().Add(500 * time.Millisecond) }), WithTimeout(10*time.Second), WithMargin(pacing.Margin))
	if err != nil {
		t.Fatal(err)
	}
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	r1, _ := ps[0].Reserve(ctx, fp, lim, time.Minute)
	r2, _ := skewed.Reserve(ctx, fp, lim, time.Minute)
	r3, _ := ps[0].Reserve(ctx, fp, lim, time.Minute)
	got := []time.Duration{r1.Delay, r2.Delay.Round(time.Millisecond), r3.Delay.Round(time.Millisecond)}
	if got[0] != 0 || got[1] != 206*time.Millisecond || got[2] != 412*time.Millisecond {
		t.Fatalf("delays %v with one clock 500 ms ahead, want 0, 206ms, 412ms", got)
	}
	// Without Redis the skewed process keeps to Redis's clock too (the
	// offset it measured): its slot is the same as the other's would be.
	if off := time.Duration(skewed.offset.Load()) * time.Microsecond; off != -500*time.Millisecond {
		t.Fatalf("measured offset %s, want -500ms", off)
	}
}

// The delay counts from when the answer arrived: a 40 ms round trip, of
// which the script ran at the middle, leaves 20 ms less to wait. A call
// that took longer than the usual round trip (it dialed a connection:
// two round trips more, before the script ran) leaves half the usual
// round trip less, not half of its own: its attempt would leave early.
func TestDelayCountsFromTheAnswer(t *testing.T) {
	clk := newClock()
	_, ps := fleet(t, 1, clk)
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	slow := &varHook{clk: clk}
	slow.d.Store(int64(40 * time.Millisecond))
	ps[0].rdb.AddHook(slow)
	for range 40 { // the usual round trip: 40 ms
		ps[0].State(ctx, fp)
	}
	ps[0].Reserve(ctx, fp, lim, time.Minute) // the first slot: now
	r, _ := ps[0].Reserve(ctx, fp, lim, time.Minute)
	// Its script ran 40 ms after the first's, its slot 206 ms after the
	// first: 166 ms on; the answer "arrived" 40 ms after the script began,
	// it ran at the middle: 166 - 20.
	if got := r.Delay.Round(time.Millisecond); got != 146*time.Millisecond {
		t.Fatalf("delay %s after a 40 ms round trip, want 146ms", got)
	}
	slow.d.Store(int64(140 * time.Millisecond))
	r, _ = ps[0].Reserve(ctx, fp, lim, time.Minute)
	// 412 ms after the first slot, its script 80 ms after the first's:
	// 332 ms on, less half the usual 40 (not half of its 140).
	if got := r.Delay.Round(time.Millisecond); got != 312*time.Millisecond {
		t.Fatalf("delay %s after a call of 140 ms where the usual round trip is 40, want 312ms", got)
	}
}

// varHook makes every script take d on the fake clock: Redis that far
// away (the clock moves after the command: the script ran at the start).
type varHook struct {
	clk *clock
	d   atomic.Int64
}

func (h *varHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *varHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if n := cmd.Name(); n == "evalsha" || n == "eval" {
			h.clk.Advance(time.Duration(h.d.Load()))
		}
		return err
	}
}
func (h *varHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// failKey fails every script on one key, as a Redis Cluster shard that is
// down would.
type failKey struct{ key string }

func (h failKey) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h failKey) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		for _, a := range cmd.Args() {
			if s, ok := a.(string); ok && strings.Contains(s, h.key) {
				err := errors.New("dial tcp: connection refused")
				cmd.SetErr(err)
				return err
			}
		}
		return next(ctx, cmd)
	}
}
func (h failKey) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// Health is per key: a key whose Redis (shard) fails is paced in process
// while the others stay shared.
func TestHealthIsPerKey(t *testing.T) {
	clk := newClock()
	_, ps := fleet(t, 1, clk)
	const other = "fp_otherotherot"
	ps[0].rdb.AddHook(failKey{"{" + fp + "}"})
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	if r, err := ps[0].Reserve(ctx, fp, lim, time.Minute); err != nil || !r.OK || fromRedis(r) {
		t.Fatalf("the failing key: %+v %v, want a slot booked in process", r, err)
	}
	r, err := ps[0].Reserve(ctx, other, lim, time.Minute)
	if err != nil || !r.OK || !fromRedis(r) {
		t.Fatalf("the other key: %+v %v, want a slot booked in Redis", r, err)
	}
	if ps[0].Shared() {
		t.Fatal("Shared() while a key is paced in process")
	}
}

// While Redis does not answer, State reports the rate the fleet shared
// (Client.Pacing shows it), not "none".
func TestStateDuringFallbackKeepsTheSharedRate(t *testing.T) {
	clk := newClock()
	mr, ps := fleet(t, 1, clk)
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	ps[0].Reserve(ctx, fp, lim, time.Minute)
	mr.Close()
	ps[0].Reserve(ctx, fp, lim, time.Minute)
	st, err := ps[0].State(ctx, fp)
	if err != nil || st.Source != pacing.SourceKnown || st.Rate < 4.8 || st.Rate > 4.9 {
		t.Fatalf("state during the fallback: %+v %v, want known at 4.85/s", st, err)
	}
}

// The fallback's rate is the fleet's last shared rate, never above it,
// rounded down so that processes whose learned rates drifted a little
// apart land on one schedule.
func TestFallbackRateConverges(t *testing.T) {
	a, b := fallbackRate(2.41, pacing.SourceHeaders, pacing.Limit{}, 0.08), fallbackRate(2.43, pacing.SourceHeaders, pacing.Limit{}, 0.08)
	if a != b || a > 2.41 || a < 2.41*0.95 {
		t.Fatalf("fallback rates %v and %v for 2.41 and 2.43: want one, at most 2.41 and within 5%%", a, b)
	}
	if r := fallbackRate(2.41, pacing.SourceLearned, pacing.Limit{}, 0.08); r > 2.41*learnedShare {
		t.Fatalf("fallback rate %v for a learned 2.41/s: want at most %v", r, 2.41*learnedShare)
	}
	if r := fallbackRate(10, pacing.SourceKnown, pacing.Limit{PerSecond: 5, Burst: 1}, 0.08); r > 4.6 {
		t.Fatalf("fallback rate %v above the known limit less the margin", r)
	}
	if r := fallbackRate(0, pacing.SourceNone, pacing.Limit{}, 0.08); r != 0 {
		t.Fatalf("fallback rate %v with nothing shared, want 0", r)
	}
}

// The timeout stretches with the measured round trip, within bounds.
func TestTimeoutFollowsTheRoundTrip(t *testing.T) {
	p, err := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}), WithTimeout(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer p.rdb.Close()
	p.rtt.Store(0)
	if d := p.callTimeout(); d != warmTimeout {
		t.Fatalf("timeout %s for the first calls, want %s (they dial)", d, warmTimeout)
	}
	p.answeredN.Store(warmCalls)
	if d := p.callTimeout(); d != 20*time.Millisecond {
		t.Fatalf("timeout %s before any round trip, want WithTimeout's 20ms", d)
	}
	for range 50 {
		p.measure(50 * time.Millisecond)
	}
	if d := p.callTimeout(); d < 190*time.Millisecond || d > 200*time.Millisecond {
		t.Fatalf("timeout %s at a 50 ms round trip, want 4 round trips", d)
	}
	for range 50 {
		p.measure(time.Minute)
	}
	if d := p.callTimeout(); d != maxTimeout {
		t.Fatalf("timeout %s at a minute's round trip, want the bound %s", d, maxTimeout)
	}
}

// A Redis that lost a key's state (restarted empty) books after the
// slots the processes still hold, and keeps the learned rate they shared
// instead of learning it again from 429s.
func TestLostStateKeepsTheLearnedRate(t *testing.T) {
	clk := newClock()
	mr, ps := fleet(t, 2, clk)
	r, _ := ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	ps[0].Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: time.Second, Remaining: -1})
	clk.Advance(2 * time.Second)
	var last time.Duration
	for i := range 4 {
		r, _ := ps[i%2].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
		last = r.Delay
	}
	before, _ := ps[1].State(ctx, fp)
	mr.FlushAll()
	r, _ = ps[1].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	after, _ := ps[1].State(ctx, fp)
	if after.Source != pacing.SourceLearned || after.Rate != before.Rate {
		t.Fatalf("after Redis lost the key: %+v, want the learned %v/s kept", after, before.Rate)
	}
	if !r.OK || r.Delay <= last {
		t.Fatalf("after Redis lost the key: %+v, want a slot after the held %s", r, last)
	}
}

// A key's state in the process is dropped once unused for the TTL, as
// its hash in Redis is.
func TestKeyStateExpires(t *testing.T) {
	clk := newClock()
	_, ps := fleet(t, 1, clk, WithTTL(time.Minute))
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	ps[0].Reserve(ctx, fp, lim, time.Minute)
	clk.Advance(2 * time.Minute)
	ps[0].Reserve(ctx, "fp_otherotherot", lim, time.Minute)
	if _, ok := ps[0].keys.Load(fp); ok {
		t.Fatal("a key unused for twice the TTL is still held in memory")
	}
	if _, ok := ps[0].keys.Load("fp_otherotherot"); !ok {
		t.Fatal("the key in use was dropped")
	}
}

// BenchmarkKeyMemory measures the heap a Pacer keeps per key fingerprint
// it paces (reported as B/key): its state for the key, the map entry and
// the fingerprint. (Pacing a key allocates nothing else that it keeps; the
// Redis side is Redis's.)
func BenchmarkKeyMemory(b *testing.B) {
	p, err := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}), WithTimeout(time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer p.rdb.Close()
	fps := make([]string, b.N)
	for i := range fps {
		fps[i] = fmt.Sprintf("fp_%012d", i) // as long as keys.Key.Fingerprint's
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	b.ResetTimer()
	for i := range b.N {
		p.keyOf(strings.Clone(fps[i]))
	}
	b.StopTimer()
	fps = nil
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/float64(b.N), "B/key")
	runtime.KeepAlive(p)
}

// Redis loses the fleet's registry right after a holdout's heartbeat: the
// next listing would show only the processes that reported since, all on
// the new key. Processes refuses to answer until a TTL has passed (so a
// rotation waits), by when the holdout has reported again.
func TestFleetStateLostAfterAHoldoutsBeat(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	defer rdb.Close()
	clk := newClock()
	f, err := NewFleet(rdb, "workers", WithFleetClock(clk.Now), WithHeartbeat(2*time.Second), WithFleetTTL(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	const newFP, oldFP = "fp_newnewnewnew", "fp_oldoldoldold"
	beat := func() {
		t.Helper()
		if err := f.Beat(ctx, "moved", newFP); err != nil {
			t.Fatal(err)
		}
		if err := f.Beat(ctx, "holdout", oldFP); err != nil {
			t.Fatal(err)
		}
	}
	for range 6 {
		beat()
		clk.Advance(2 * time.Second)
	}
	if ps, err := f.Processes(ctx); err != nil || len(ps) != 2 {
		t.Fatalf("before: %v %v, want both processes", ps, err)
	}
	// The holdout beats; Redis loses everything; the moved process beats.
	if err := f.Beat(ctx, "holdout", oldFP); err != nil {
		t.Fatal(err)
	}
	mr.FlushAll()
	clk.Advance(100 * time.Millisecond)
	if err := f.Beat(ctx, "moved", newFP); err != nil {
		t.Fatal(err)
	}
	if ps, err := f.Processes(ctx); err == nil {
		t.Fatalf("right after Redis lost the registry: %v, want an error (a rotation would revoke the holdout's key)", ps)
	}
	for range 5 {
		clk.Advance(2 * time.Second)
		beat()
	}
	ps, err := f.Processes(ctx)
	if err != nil || len(ps) != 2 {
		t.Fatalf("a TTL later: %v %v, want both processes, the holdout among them", ps, err)
	}
}

// A key whose call to a Redis Cluster failed asks again soon (the call had
// the cluster's layout reloaded: after a failover, the promoted replica
// answers at the next call), then less often; a single Redis is asked once
// per retry interval.
func TestClusterRetriesSoonAfterAReload(t *testing.T) {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer cc.Close()
	p := &Pacer{rdb: cc, retryEvery: time.Second}
	var got []time.Duration
	for i := range 4 {
		got = append(got, p.retryAfter(i))
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("cluster retries after %v failures in a row: %v, want %v", len(want), got, want)
		}
	}
	one := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer one.Close()
	p = &Pacer{rdb: one, retryEvery: time.Second}
	if d := p.retryAfter(0); d != time.Second {
		t.Fatalf("a single Redis retried after %s, want the retry interval", d)
	}
}
