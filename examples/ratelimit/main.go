// Command ratelimit shows how apikit-go handles rate limits, offline, against
// an in-memory Hypedata server (client/clienttest):
//
//  1. a worker pool of 8 goroutines sharing one client and one key allowed
//     10 requests a second: no call fails and the pool finishes at the
//     limit's pace, because the client paces every attempt made with the
//     key (here at the rate the X-RateLimit-* headers announce; with
//     WithRateLimit, at the rate you give);
//  2. a wait longer than the cap (60 s by default, WithMaxRetryAfter) is not
//     slept through: the call returns at once and apierrors.RetryAfter(err)
//     says when to try again, so the caller can schedule;
//  3. neither is a wait longer than what is left of the context's deadline,
//     whether it is the server's hint or the key's next free slot.
//
// Run it with:
//
//	go run ./examples/ratelimit
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/errors"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "ratelimit:", err)
		os.Exit(1)
	}
}

func step(n int, title string) { fmt.Printf("\n%d. %s\n", n, title) }

// perSecond is the pool's key's limit; workers share one client.
const (
	perSecond = 10
	workers   = 8
	calls     = 30
)

func run(ctx context.Context) error {
	fmt.Println("apikit-go rate limits — offline, against an in-memory Hypedata server (client/clienttest)")
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()

	step(1, fmt.Sprintf("%d goroutines share one client; %d calls on a key allowed %d requests a second", workers, calls, perSecond))
	for _, known := range []bool{false, true} {
		if err := pool(ctx, srv, known); err != nil {
			return err
		}
	}

	key, _, err := srv.IssueKey(clienttest.KeyParams{Name: "burst", Scopes: []string{"scrape"}, RateLimitPerSecond: 2})
	if err != nil {
		return err
	}
	c, err := srv.NewClient(key)
	if err != nil {
		return err
	}

	step(2, "A wait longer than the cap is not slept through")
	// A fake clock pins this server's hourly window to the top of the hour, so
	// its hint is a full hour whatever the time of day the example runs.
	clock := clienttest.NewFakeClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	hsrv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	defer hsrv.Close()
	hourly, _, err := hsrv.IssueKey(clienttest.KeyParams{Name: "hourly", Scopes: []string{"scrape"}, RateLimitPerHour: 1})
	if err != nil {
		return err
	}
	hc, err := hsrv.NewClient(hourly)
	if err != nil {
		return err
	}
	if err := hc.Do(ctx, "GET", "/v1/scrape?url=https://example.com/a", nil, nil); err != nil {
		return fmt.Errorf("first call on the hourly key: %w", err)
	}
	// A deadline beyond the cap, so that the cap (not this example's own
	// 30 s deadline) is what refuses the wait.
	hctx, hcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer hcancel()
	t0 := time.Now()
	err = hc.Do(hctx, "GET", "/v1/scrape?url=https://example.com/b", nil, nil)
	if err := expectPrompt(err, time.Since(t0)); err != nil {
		return err
	}
	d, _ := apierrors.RetryAfter(err)
	fmt.Printf("   RateLimitPerHour 1, second call: the quota is spent for %s, over the default cap of %s,\n", d.Round(time.Second), client.DefaultMaxRetryAfter)
	fmt.Printf("   so Do returned in %s; schedule the next call for %s. The error:\n", quick(time.Since(t0)), time.Now().Add(d).Format("15:04:05"))
	printErr(err)

	// Your own cap: this client sleeps through at most 500ms, and on the
	// 2/s key the next free slot (or the server's 1s hint) is further away.
	capped, err := srv.NewClient(key, client.WithMaxRetryAfter(500*time.Millisecond))
	if err != nil {
		return err
	}
	took, err := callUntilLimited(capped, func() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) })
	if err := expectPrompt(err, took); err != nil {
		return err
	}
	d, _ = apierrors.RetryAfter(err)
	fmt.Printf("   WithMaxRetryAfter(500ms) on the 2/s key: a %s wait is over this client's cap,\n", d.Round(time.Millisecond))
	fmt.Printf("   so Do returned in %s, and apierrors.RetryAfter(err) says when to come back. The error:\n", quick(took))
	printErr(err)

	step(3, "A wait longer than the context's deadline is not started")
	took, err = callUntilLimited(c, func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, 300*time.Millisecond)
	})
	if err := expectPrompt(err, took); err != nil {
		return err
	}
	d, _ = apierrors.RetryAfter(err)
	fmt.Printf("   a 300ms deadline and a %s wait on the 2/s key: Do returned in %s instead of failing\n", d.Round(time.Millisecond), quick(took))
	fmt.Println("   at the deadline; the deadline is left for something useful, and the error says when to come back:")
	printErr(err)

	fmt.Println("\nDone.")
	return nil
}

// callUntilLimited calls the 2-per-second endpoint, each call with a context
// from newCtx, until one fails (at the latest the third call of a one-second
// window), and returns how long that call took and its error.
func callUntilLimited(c *client.Client, newCtx func() (context.Context, context.CancelFunc)) (time.Duration, error) {
	for i := 0; i < 10; i++ {
		ctx, cancel := newCtx()
		t0 := time.Now()
		err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com/burst", nil, nil)
		took := time.Since(t0)
		cancel()
		if err != nil {
			return took, err
		}
	}
	return 0, errors.New("10 calls in a row passed a 2-per-second limit")
}

// expectPrompt checks that err is a rate limit that came back at once with
// the server's wait in it.
func expectPrompt(err error, took time.Duration) error {
	if !errors.Is(err, apierrors.ErrRateLimited) {
		return fmt.Errorf("expected a rate-limit error, got: %v", err)
	}
	if _, ok := apierrors.RetryAfter(err); !ok {
		return fmt.Errorf("the rate-limit error carries no RetryAfter: %v", err)
	}
	if took >= time.Second {
		return fmt.Errorf("the call took %s; it should have returned at once: %v", took, err)
	}
	return nil
}

// printErr prints err indented, wrapped at 100 columns.
func printErr(err error) {
	line := "  "
	for _, w := range strings.Fields(err.Error()) {
		if len([]rune(line))+1+len([]rune(w)) > 100 && strings.TrimSpace(line) != "" {
			fmt.Println(line)
			line = "    "
		}
		line += " " + w
	}
	fmt.Println(line)
}

// quick renders a short duration readably.
func quick(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }

// pool runs the worker pool on a fresh key of srv: the rate learned from
// the server's X-RateLimit-* headers, or, when known, given with
// WithRateLimit. It prints the failures, the 429s the server sent, and the
// wall time against the limit's own.
func pool(ctx context.Context, srv *clienttest.Server, known bool) error {
	key, info, err := srv.IssueKey(clienttest.KeyParams{Name: fmt.Sprintf("pool-%t", known), Scopes: []string{"scrape"}, RateLimitPerSecond: perSecond})
	if err != nil {
		return err
	}
	var opts []client.Option
	how := "rate from the X-RateLimit-* headers"
	if known {
		opts = append(opts, client.WithRateLimit(perSecond, 1))
		how = fmt.Sprintf("client.WithRateLimit(%d, 1)", perSecond)
	}
	c, err := srv.NewClient(key, opts...)
	if err != nil {
		return err
	}
	var next, failed atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= calls {
				if err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	refused := 0
	for _, r := range srv.Requests() {
		if r.KeyID == info.ID && r.Status == 429 {
			refused++
		}
	}
	limitTime := time.Duration(float64(calls) / perSecond * float64(time.Second))
	fmt.Printf("   %-32s %d failed, %d answered 429, wall %s (%d calls ÷ %d/s = %s)\n",
		how+":", failed.Load(), refused, wall.Round(10*time.Millisecond), calls, perSecond, limitTime)
	if st, ok := c.Pacing(ctx); ok {
		fmt.Printf("   %-32s c.Pacing(): %.2f requests a second (%s)\n", "", st.Rate, st.Source)
	}
	if failed.Load() > 0 {
		return fmt.Errorf("%d of %d calls failed, e.g. %v", failed.Load(), calls, firstErr.Load())
	}
	return nil
}
