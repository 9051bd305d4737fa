package client_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/pacing"
)

// A key known to allow 20 requests a second: every attempt is spaced under
// it (less pacing.Margin), so four workers sharing the client are never
// refused.
func ExampleWithRateLimit() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "workers", RateLimitPerSecond: 20})
	c, _ := srv.NewClient(key, client.WithRateLimit(20, 1))
	defer c.CloseIdleConnections()

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2 {
				errs <- c.Do(context.Background(), "GET", "/v1/scrape?url=https://example.com", nil, nil)
			}
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
		}
	}
	st, _ := c.Pacing(context.Background())
	fmt.Printf("failed: %d; paced at %.1f/s (%s)\n", failed, st.Rate, st.Source)
	// Output: failed: 0; paced at 19.4/s (known)
}

// Two clients with the same key share its limit through one pacer.
func ExampleWithPacer() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "shared", RateLimitPerSecond: 20})
	p := pacing.New()
	a, _ := srv.NewClient(key, client.WithPacer(p), client.WithRateLimit(20, 1))
	b, _ := srv.NewClient(key, client.WithPacer(p), client.WithRateLimit(20, 1))
	defer a.CloseIdleConnections()
	defer b.CloseIdleConnections()

	ctx := context.Background()
	_ = a.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil)
	_ = b.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil)
	sa, _ := a.Pacing(ctx)
	sb, _ := b.Pacing(ctx)
	fmt.Println("one schedule:", sa == sb, sa.Source)
	// Output: one schedule: true known
}

// Without a known limit the client reads it from the X-RateLimit-* headers
// the service sends (clienttest sends them, as HyperSync does).
func ExampleClient_Pacing() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "limited", RateLimitPerSecond: 50})
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()

	_ = c.Do(context.Background(), "GET", "/v1/scrape?url=https://example.com", nil, nil)
	st, _ := c.Pacing(context.Background())
	fmt.Printf("%s: %.1f requests a second; gate open: %v\n", st.Source, st.Rate, st.GateOpens.IsZero())
	// Output: headers: 48.5 requests a second; gate open: true
}

// The hook sees every attempt the pacer holds back: here, under a known
// limit, the second and third calls wait for their slots.
func ExampleWithPacingHook() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "hooked"})
	held := 0
	c, _ := srv.NewClient(key, client.WithRateLimit(10, 1),
		client.WithPacingHook(func(ev client.PacingEvent) { held++ }))
	defer c.CloseIdleConnections()

	for range 3 {
		_ = c.Do(context.Background(), "GET", "/v1/scrape?url=https://example.com", nil, nil)
	}
	fmt.Println("attempts held back:", held)
	// Output: attempts held back: 2
}

// A service that announces its limit in headers of its own: name them on
// its Service, and the client reads them (RateLimit, and the pacer's rate).
func ExampleRateLimitHeaders() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Quota-Limit", "50")
		w.Header().Set("X-Quota-Left", "49")
		w.Header().Set("X-Quota-Reset", "10s")
		fmt.Fprint(w, `{}`)
	}))
	defer srv.Close()
	svc := client.Service{Name: "quotas", Auth: client.AuthBearer,
		RateLimitHeaders: client.RateLimitHeaders{Limit: "X-Quota-Limit", Remaining: "X-Quota-Left", Reset: "X-Quota-Reset"}}
	c, _ := client.New(client.WithService(svc), client.WithBaseURL(srv.URL), client.WithAPIKey("sk-example-0123456789"),
		client.WithInsecureHTTP())
	defer c.CloseIdleConnections()

	_ = c.Do(context.Background(), "GET", "/v1/items", nil, nil)
	rl, _ := c.RateLimit()
	st, _ := c.Pacing(context.Background())
	fmt.Printf("limit %d, remaining %d; paced at %.2f/s (%s)\n", rl.Limit, rl.Remaining, st.Rate, st.Source)
	// Output: limit 50, remaining 49; paced at 4.85/s (headers)
}
