package client_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/internal/longtest"
	"github.com/apikit/apikit-go/keys"
	"github.com/apikit/apikit-go/pacing"
)

// TestWorkersOnOneKeyFinishWithoutFailures: W goroutines share one client
// (default options) on a key limited to 20 requests a second; every call
// succeeds, whether the limit is read from the headers or given. The
// figures (429s, wall time) are scripts/pacing's business, not a unit
// test's.
func TestWorkersOnOneKeyFinishWithoutFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 25 calls at 20 a second (over a second)")
	}
	for _, tc := range []struct {
		name string
		opts []client.Option
		want pacing.Source
	}{
		{"headers", nil, pacing.SourceHeaders},
		{"known", []client.Option{client.WithRateLimit(20, 1)}, pacing.SourceKnown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := clienttest.NewServer(client.Hypedata)
			defer srv.Close()
			key, _, err := srv.IssueKey(clienttest.KeyParams{Name: "workers", Env: keys.EnvLive, RateLimitPerSecond: 20})
			if err != nil {
				t.Fatal(err)
			}
			c, err := srv.NewClient(key, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			// 25 calls cross one of the server's one-second windows; the long
			// suite (APIKIT_LONG_TESTS=1) makes 40.
			workers, calls := 16, int64(25)
			if longtest.Enabled() {
				calls = 40
			}
			var next, failed atomic.Int64
			var firstErr atomic.Value
			var wg sync.WaitGroup
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= calls {
						if err := c.Do(context.Background(), "GET", "/v1/scrape?url=https://example.com", nil, nil); err != nil {
							failed.Add(1)
							firstErr.CompareAndSwap(nil, err.Error())
						}
					}
				}()
			}
			wg.Wait()
			if n := failed.Load(); n != 0 {
				t.Fatalf("%d of %d calls failed, e.g. %v", n, calls, firstErr.Load())
			}
			if st, ok := c.Pacing(context.Background()); !ok || st.Source != tc.want {
				t.Errorf("Pacing = %+v, %v; want source %s", st, ok, tc.want)
			}
		})
	}
}
