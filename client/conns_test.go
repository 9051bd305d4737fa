package client

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConnectionsReusedByConcurrentCallers: 32 goroutines sharing one
// client (default transport) keep their connections between calls; with
// net/http's default of 2 idle connections per host they would open ~30
// new ones every round (450 for these 480 calls). The calls go in rounds,
// and the server holds each request until all 32 of its round have arrived,
// so that every round has 32 calls in flight and, between rounds, 32 idle
// connections.
func TestConnectionsReusedByConcurrentCallers(t *testing.T) {
	const workers, calls = 32, 15
	var dials atomic.Int64
	var mu sync.Mutex
	arrived, round := 0, make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		arrived++
		wait := round
		if arrived%workers == 0 {
			close(round)
			round = make(chan struct{})
		}
		mu.Unlock()
		<-wait
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(WithService(testService(srv.URL)), WithAPIKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	for range calls { // in rounds: between them every connection is idle
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	t.Logf("%d calls from %d goroutines: %d connections", workers*calls, workers, dials.Load())
	if n := dials.Load(); n > 2*workers {
		t.Errorf("%d calls from %d goroutines opened %d connections; want at most %d (one per goroutine, and as many again for the moments when a goroutine's connection is not yet back in the pool)",
			workers*calls, workers, n, 2*workers)
	}
}
