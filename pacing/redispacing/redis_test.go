package redispacing

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/internal/longtest"
	"github.com/apikit/apikit-go/pacing"
	"github.com/apikit/apikit-go/pacing/redispacing/redistest"
)

// realRedis starts a redis-server for the test, stopped after it. Without
// the binary the test is skipped, but in CI (CI set) it fails.
func realRedis(t *testing.T) *redistest.Server {
	t.Helper()
	if redistest.Binary() == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed; CI must install it (.ci/run: need redis-server redis-server)")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server); skipping the tests against a real Redis")
	}
	srv, err := redistest.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

func realClient(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// The scripts on the Redis a fleet runs, not only on miniredis: one
// process's 429 gates the other, and the schedule is one.
func TestRealRedisSharesGateAndSlots(t *testing.T) {
	srv := realRedis(t)
	clk := newClock()
	a, _ := New(realClient(t, srv), WithClock(clk.Now), WithTimeout(10*time.Second), WithMargin(pacing.Margin))
	b, _ := New(realClient(t, srv), WithClock(clk.Now), WithTimeout(10*time.Second), WithMargin(pacing.Margin))
	lim := pacing.Limit{PerSecond: 5, Burst: 1}
	// The scripts read Redis's clock, which moves in real time between the
	// calls (more on a busy machine): the schedule is judged by the slots'
	// times, not by the delays.
	at := func(r pacing.Reservation) time.Duration { return time.Duration(slotMicros(r.Slot)) * time.Microsecond }
	r1, _ := a.Reserve(ctx, fp, lim, time.Minute)
	r2, _ := b.Reserve(ctx, fp, lim, time.Minute)
	if !r1.OK || !r2.OK || !fromRedis(r1) || !fromRedis(r2) || r1.Delay != 0 || (at(r2)-at(r1)).Round(time.Millisecond) != 206*time.Millisecond {
		t.Fatalf("slots %+v %+v, want b's one interval (206ms) after a's, both booked in Redis", r1, r2)
	}
	if err := a.Report(ctx, r1, pacing.Answer{Status: 429, RetryAfter: 3 * time.Second, Remaining: -1}); err != nil {
		t.Fatal(err)
	}
	r3, _ := b.Reserve(ctx, fp, lim, time.Minute)
	// The gate opens 3 s after the report, which came after a's slot.
	if !r3.Gated || !fromRedis(r3) || at(r3)-at(r1) < 3*time.Second {
		t.Fatalf("after a's 429, b got %+v: want a slot behind the 3s gate", r3)
	}
	stats, err := srv.CommandStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// One script per call: 3 reserves and a report, each pacer sending a
	// script whole (EVAL) the first time and by its SHA1 after; and New's
	// check, an EVAL and an EVALSHA per pacer.
	if stats["evalsha"]+stats["eval"] != 4+4 || stats["evalsha"] != 1+2 {
		t.Fatalf("commandstats %v: want 4 scripts, the second reserve of a by EVALSHA", stats)
	}
}

// Redis killed mid-run and restarted: no call fails, the fall back is
// logged once per outage, and pacing is shared again afterwards. Four
// clients (two in the default run; four with APIKIT_LONG_TESTS=1), each
// with its own Pacer and Redis connection, as as many processes would have,
// call a clienttest server over loopback HTTP.
func TestRealRedisKilledMidRun(t *testing.T) {
	procs, workers, calls := 2, 2, int64(40)
	if longtest.Enabled() {
		procs, workers, calls = 4, 4, 120
	}
	srv := realRedis(t)
	api := clienttest.NewServer(client.Hypedata)
	defer api.Close()
	key, _, err := api.IssueKey(clienttest.KeyParams{Name: "fleet", Scopes: []string{"scrape"}, RateLimitPerSecond: 50})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	var pacers []*Pacer
	var clients []*client.Client
	for range procs {
		p, err := New(realClient(t, srv), WithLogger(logger), WithRetryInterval(20*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		c, err := api.NewClient(key, client.WithPacer(p), client.WithRateLimit(50, 1), client.WithLogger(logger))
		if err != nil {
			t.Fatal(err)
		}
		pacers, clients = append(pacers, p), append(clients, c)
	}
	var done, failed atomic.Int64
	var errText sync.Map
	// The workers say when a quarter and a half of the calls are done:
	// Redis is killed at the first, restarted at the second.
	killAt, restartAt := int64(calls/4), int64(calls/2)
	kill, restart := make(chan struct{}), make(chan struct{})
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		<-kill
		srv.Kill()
		<-restart
		if err := srv.Restart(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for i := range procs * workers {
		c := clients[i%procs]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= calls {
				cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := c.Do(cctx, "GET", "/v1/scrape?url=https://example.com/", nil, nil)
				cancel()
				if err != nil {
					failed.Add(1)
					errText.Store(err.Error(), true)
				}
				switch done.Add(1) {
				case killAt:
					close(kill)
				case restartAt:
					close(restart)
				}
			}
		}()
	}
	wg.Wait()
	<-restarted
	if failed.Load() != 0 {
		errText.Range(func(k, _ any) bool { t.Log(k); return true })
		t.Fatalf("%d of %d calls failed while Redis was killed and restarted", failed.Load(), calls)
	}
	// Pacing resumes: an attempt past the retry interval goes to Redis
	// again (each call waits for its slot, so time passes).
	rdb := realClient(t, srv)
	for i, c := range clients {
		for range 200 {
			if pacers[i].Shared() {
				break
			}
			if err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com/", nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		if !pacers[i].Shared() {
			t.Fatalf("process %d still paces in process after Redis came back:\n%s", i, logs.String())
		}
	}
	fpKey := "apikit:pacing:{" + key.Fingerprint() + "}"
	if n, err := rdb.Exists(ctx, fpKey).Result(); err != nil || n != 1 {
		t.Fatalf("after the restart, %s exists %d times (%v): pacing did not resume in Redis", fpKey, n, err)
	}
	out := logs.String()
	// Logged at least once; once per outage is TestFallbackAndReturn's (on
	// a busy machine a slow answer is an outage of its own here).
	if n := strings.Count(out, "did not answer"); n < 1 {
		t.Fatalf("the fall back was never logged:\n%s", out)
	}
	leakCheck(t, key.Reveal(), rdb, out)
}

// leakCheck fails when any 8 characters of secret appear in the text or
// anywhere in Redis (key names and DUMPed values).
func leakCheck(t *testing.T, secret string, rdb *redis.Client, texts ...string) {
	t.Helper()
	var all bytes.Buffer
	for _, s := range texts {
		all.WriteString(s)
	}
	ks, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		all.WriteString(k)
		v, _ := rdb.Dump(ctx, k).Result()
		all.WriteString(v)
		h, _ := rdb.HGetAll(ctx, k).Result()
		fmt.Fprint(&all, h)
	}
	for i := 0; i+8 <= len(secret); i++ {
		if bytes.Contains(all.Bytes(), []byte(secret[i:i+8])) {
			t.Fatalf("8 characters of the key (from position %d) appear in the logs or in Redis", i)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
