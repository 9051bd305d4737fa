// Command ratelimit shows how apikit-go handles rate limits, offline, against
// an in-memory Hypedata server (client/clienttest):
//
//  1. a 429 is retried after exactly the wait the server asks for
//     (Retry-After), and c.RateLimit() exposes the X-RateLimit-* headers;
//  2. a wait longer than the cap (60 s by default, WithMaxRetryAfter) is not
//     slept through: the call returns at once and apierrors.RetryAfter(err)
//     says when to try again, so the caller can schedule;
//  3. neither is a wait longer than what is left of the context's deadline.
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
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
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

func run(ctx context.Context) error {
	fmt.Println("apikit-go rate limits — offline, against an in-memory Hypedata server (client/clienttest)")
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()

	step(1, "A key allowed 2 requests per second, and 5 calls in a row")
	key, _, err := srv.IssueKey(clienttest.KeyParams{Name: "burst", Scopes: []string{"scrape"}, RateLimitPerSecond: 2})
	if err != nil {
		return err
	}
	start := time.Now()
	elapsed := func() time.Duration { return time.Since(start).Round(100 * time.Millisecond) }
	c, err := srv.NewClient(key, client.WithRetryHook(func(ev client.RetryEvent) {
		// Called before each retry, once the wait is decided: the place for metrics.
		fmt.Printf("   ↻ at +%s: attempt %d got %q; waiting %s, as the server asked\n", elapsed(), ev.Attempt, ev.Reason, ev.Wait)
	}))
	if err != nil {
		return err
	}
	for i := 1; i <= 5; i++ {
		if err := c.Do(ctx, "GET", fmt.Sprintf("/v1/scrape?url=https://example.com/%d", i), nil, nil); err != nil {
			return fmt.Errorf("call %d: %w", i, err)
		}
		rl, ok := c.RateLimit()
		if !ok {
			return errors.New("the server sent no X-RateLimit-* headers")
		}
		fmt.Printf("   call %d ok at +%s; c.RateLimit(): limit %d, remaining %d, window resets in %s\n",
			i, elapsed(), rl.Limit, rl.Remaining, rl.Reset.Sub(rl.Observed))
	}
	fmt.Println("   (the caller saw only successes: each 429 was waited out inside Do)")

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
	t0 := time.Now()
	err = hc.Do(ctx, "GET", "/v1/scrape?url=https://example.com/b", nil, nil)
	if err := expectPrompt(err, time.Since(t0)); err != nil {
		return err
	}
	d, _ := apierrors.RetryAfter(err)
	fmt.Printf("   RateLimitPerHour 1, second call: the server asks for %s, more than the default cap of %s,\n", d, client.DefaultMaxRetryAfter)
	fmt.Printf("   so Do returned in %s; schedule the next call for %s. The error:\n", quick(time.Since(t0)), time.Now().Add(d).Format("15:04:05"))
	fmt.Printf("   %v\n", err)

	// Your own cap: this client sleeps through at most 500ms, and the
	// per-second key's hint is 1s.
	capped, err := srv.NewClient(key, client.WithMaxRetryAfter(500*time.Millisecond))
	if err != nil {
		return err
	}
	took, err := callUntilLimited(capped, func() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) })
	if err := expectPrompt(err, took); err != nil {
		return err
	}
	d, _ = apierrors.RetryAfter(err)
	fmt.Printf("   WithMaxRetryAfter(500ms) on the 2/s key: the server's %s hint is over this client's cap,\n", d)
	fmt.Printf("   so Do returned in %s, and apierrors.RetryAfter(err) = %s\n", quick(took), d)

	step(3, "A wait longer than the context's deadline is not started")
	took, err = callUntilLimited(c, func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, 300*time.Millisecond)
	})
	if err := expectPrompt(err, took); err != nil {
		return err
	}
	d, _ = apierrors.RetryAfter(err)
	fmt.Printf("   a 300ms deadline and a %s hint: Do returned in %s instead of failing at the deadline;\n", d, quick(took))
	fmt.Println("   the deadline is left for something useful, and the error says when to come back:")
	fmt.Printf("   %v\n", err)

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

// quick renders a short duration readably.
func quick(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
