package redispacing_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/pacing"
	"github.com/apikit/apikit-go/pacing/redispacing"
)

// Two processes on one key: a 429 answered to the first holds the second
// too, until the server's hint has passed. (An in-memory Redis and a fixed
// clock keep the example offline and its output exact.)
func ExampleNew() {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()
	now := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	mr.SetTime(now) // the scripts read Redis's clock (TIME)

	var conns []*redis.Client
	defer func() {
		for _, rdb := range conns {
			rdb.Close()
		}
	}()
	process := func() *redispacing.Pacer {
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()}) // one per process
		conns = append(conns, rdb)
		p, err := redispacing.New(rdb, redispacing.WithClock(clock))
		if err != nil {
			panic(err)
		}
		return p
	}
	a, b := process(), process()
	ctx := context.Background()
	const fp = "fp_0123456789ab" // a key's fingerprint: keys.Key.Fingerprint

	r, _ := a.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	fmt.Println("a: booked", r.OK, "wait", r.Delay)
	_ = a.Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: 2 * time.Second, Remaining: -1})

	r, _ = b.Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	fmt.Println("b: booked", r.OK, "gated", r.Gated, "wait", r.Delay)
	st, _ := b.State(ctx, fp)
	fmt.Println("b sees: rate", st.Source, st.Rate, "gate opens in", st.GateOpens.Sub(now))
	// Output:
	// a: booked true wait 0s
	// b: booked true gated true wait 2s
	// b sees: rate learned 1 gate opens in 2s
}

// A client paced by Redis, with the key's known limit: every process that
// builds its client this way shares the limit.
func ExamplePacer_client() {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	p, err := redispacing.New(rdb)
	if err != nil {
		panic(err)
	}

	api := clienttest.NewServer(client.Hypedata) // your service in production
	defer api.Close()
	key, _, _ := api.IssueKey(clienttest.KeyParams{Scopes: []string{"scrape"}})
	c, err := api.NewClient(key, client.WithPacer(p), client.WithRateLimit(20, 1))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for range 3 {
		if err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com/", nil, nil); err != nil {
			panic(err)
		}
	}
	st, _ := c.Pacing(ctx)
	fmt.Printf("paced at %.1f/s (%s), shared: %v\n", st.Rate, st.Source, p.Shared())
	fmt.Println("in Redis:", mr.Keys()[0] == "apikit:pacing:{"+key.Fingerprint()+"}")
	// Output:
	// paced at 18.4/s (known), shared: true
	// in Redis: true
}

// The Redis key that holds a key's pacing: the prefix, and the fingerprint
// as a cluster hash tag.
func ExamplePacer_Key() {
	rdb := redis.NewClient(&redis.Options{})
	defer rdb.Close()
	p, _ := redispacing.New(rdb, redispacing.WithPrefix("billing:"))
	k, _ := p.Key("fp_0123456789ab")
	fmt.Println(k)
	_, err := p.Key("hd_live_{not a fingerprint}")
	fmt.Println(err)
	// Output:
	// billing:{fp_0123456789ab}
	// redispacing: a key fingerprint has only letters, digits, '_' and '-'; position 8 is not one
}

// Each process of a fleet reports which key it uses (Heartbeat does it
// every few seconds with the client's key); a rotation lists them through
// client.RotateOptions.Fleet and revokes the old key only once every live
// process reports the new one.
func ExampleNewFleet() {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	now := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	fleet, err := redispacing.NewFleet(rdb, "billing-workers", redispacing.WithFleetClock(func() time.Time { return now }))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	_ = fleet.Beat(ctx, "worker-1", "fp_newkeynewkey") // moved to the new key
	_ = fleet.Beat(ctx, "worker-2", "fp_oldkeyoldkey") // not yet
	// A registry younger than its TTL may miss a live process (Redis may
	// have lost what it reported): it answers only once every live
	// process has had a TTL to report.
	_, err = fleet.Processes(ctx)
	fmt.Println("at once:", err != nil)
	for range 2 {
		now = now.Add(redispacing.DefaultFleetTTL / 2)
		_ = fleet.Beat(ctx, "worker-1", "fp_newkeynewkey")
		_ = fleet.Beat(ctx, "worker-2", "fp_oldkeyoldkey")
	}
	procs, _ := fleet.Processes(ctx)
	for _, p := range procs {
		fmt.Println(p.ID, p.KeyFingerprint)
	}
	// Output:
	// at once: true
	// worker-1 fp_newkeynewkey
	// worker-2 fp_oldkeyoldkey
}
