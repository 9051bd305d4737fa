// Command ratelimit shows how the client handles rate limits: it waits
// exactly as long as the server asks, exposes the X-RateLimit-* headers, and
// returns at once — with the wait in the error — when the wait is longer
// than the cap or than the caller's deadline. Offline, against clienttest.
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
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ratelimit:", err)
		os.Exit(1)
	}
}

func run() error {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	ctx := context.Background()

	fmt.Println("1. A key limited to 2 requests per second; 5 calls in a row:")
	key, _, err := srv.IssueKey(clienttest.KeyParams{Name: "burst", Scopes: []string{"scrape"}, RateLimitPerSecond: 2})
	if err != nil {
		return err
	}
	c, err := srv.NewClient(key, client.WithRetryHook(func(ev client.RetryEvent) {
		fmt.Printf("   ↻ attempt %d: %s; the server asked to wait %s — waiting exactly that\n", ev.Attempt, ev.Reason, ev.Wait)
	}))
	if err != nil {
		return err
	}
	start := time.Now()
	for i := 1; i <= 5; i++ {
		if err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil); err != nil {
			return err
		}
		rl, _ := c.RateLimit()
		fmt.Printf("   call %d ok at +%s; X-RateLimit: %d of %d left\n", i, time.Since(start).Round(100*time.Millisecond), rl.Remaining, rl.Limit)
	}

	fmt.Println("\n2. A wait longer than the cap (60 s by default) is not slept through:")
	hourly, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "hourly", Scopes: []string{"scrape"}, RateLimitPerHour: 1})
	hc, _ := srv.NewClient(hourly)
	_ = hc.Do(ctx, "GET", "/v1/scrape?url=a", nil, nil)
	start = time.Now()
	err = hc.Do(ctx, "GET", "/v1/scrape?url=b", nil, nil)
	if !errors.Is(err, apierrors.ErrRateLimited) {
		return fmt.Errorf("expected a rate limit, got %v", err)
	}
	d, _ := apierrors.RetryAfter(err)
	fmt.Printf("   returned after %s with RetryAfter = %s: schedule the next call for then\n", time.Since(start).Round(time.Millisecond), d.Round(time.Second))

	fmt.Println("\n3. Nor is a wait longer than the caller's deadline:")
	srv.FailNext(1, 503, 5*time.Second)
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start = time.Now()
	err = c.Do(short, "GET", "/v1/scrape?url=c", nil, nil)
	d, _ = apierrors.RetryAfter(err)
	fmt.Printf("   a 503 asking for %s, with 2s left: returned after %s: %v\n", d, time.Since(start).Round(time.Millisecond), err)
	return nil
}
