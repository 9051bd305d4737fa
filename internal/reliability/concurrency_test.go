package reliability

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/internal/longtest"
)

// concurrentCalls is how many Do calls TestConcurrentCallsWhileRotating
// makes at once through one client: 3,000 in the long suite
// (APIKIT_LONG_TESTS=1), 300 in the default run.
func concurrentCalls() int64 {
	if longtest.Enabled() {
		return 3000
	}
	return 300
}

// TestConcurrentCallsWhileRotating sends thousands of concurrent calls
// through one client while its key is rotated, a rate limit bites and the
// server fails requests; every call must succeed or fail typed, and the
// connections must be reused.
func TestConcurrentCallsWhileRotating(t *testing.T) {
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithBalance(1<<40))
	defer srv.Close()
	admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	ac, err := srv.NewClient(admin)
	if err != nil {
		t.Fatal(err)
	}
	oldKey, oldInfo, _ := srv.IssueKey(clienttest.KeyParams{Name: "workers", Scopes: []string{"scrape"}, RateLimitPerSecond: 1500})

	var mu sync.Mutex
	current := oldKey
	store := credentials.ProviderFunc(func(context.Context) (credentials.Credential, error) {
		mu.Lock()
		defer mu.Unlock()
		return credentials.Credential{Key: current, Source: credentials.Source{Kind: "store"}}, nil
	})
	const maxConns = 32
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost = maxConns, maxConns
	defer tr.CloseIdleConnections()
	var retries atomic.Int64
	worker, err := client.New(client.WithService(srv.Service()), client.WithCredentials(store),
		client.WithHTTPClient(&http.Client{Transport: tr}), client.WithMaxRetries(6),
		client.WithRetryWait(time.Millisecond, 10*time.Millisecond),
		// 200 503s at once, before any call has succeeded, is what the
		// client-wide retry budget exists to cut short (a server in
		// trouble); this test is about every call surviving a rotation,
		// so it turns the budget off.
		client.WithRetryBudget(0),
		client.WithRetryHook(func(client.RetryEvent) { retries.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	calls := concurrentCalls()
	var ok, typed, untyped atomic.Int64
	var firstUntyped atomic.Value
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := worker.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil)
			var ae *apierrors.Error
			var te *client.TransportError
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &ae), errors.As(err, &te):
				typed.Add(1)
			default:
				untyped.Add(1)
				firstUntyped.CompareAndSwap(nil, err.Error())
			}
		}()
	}
	srv.FailNext(200, http.StatusServiceUnavailable, 0)
	rotated := make(chan error, 1)
	go func() {
		_, err := ac.Keys().Rotate(ctx, oldInfo.ID, client.RotateOptions{
			PollInterval: 5 * time.Millisecond, MaxPollInterval: 20 * time.Millisecond,
			Deploy: func(_ context.Context, nk *client.NewKey) error {
				mu.Lock()
				current = nk.Secret
				mu.Unlock()
				worker.ResetCredential()
				return nil
			},
		})
		rotated <- err
	}()
	close(start)
	wg.Wait()
	if err := <-rotated; err != nil {
		t.Fatalf("rotation: %v", err)
	}

	t.Logf("%d calls: %d ok, %d typed failures, %d untyped; %d retries; %d connections; key rotated",
		calls, ok.Load(), typed.Load(), untyped.Load(), retries.Load(), srv.Connections())
	if untyped.Load() != 0 {
		t.Errorf("%d calls failed with an untyped error, e.g. %v", untyped.Load(), firstUntyped.Load())
	}
	if ok.Load() != calls {
		t.Errorf("%d of %d calls failed (typed)", calls-ok.Load(), calls)
	}
	if n := srv.Connections(); n > 2*maxConns {
		t.Errorf("%d connections opened for %d calls: bodies not drained or connections not reused", n, calls)
	}
	cred, _ := worker.Credential(ctx)
	if cred.Key.Reveal() == oldKey.Reveal() {
		t.Error("the worker still uses the old key")
	}
	if info, _ := srv.Key(oldInfo.ID); !info.Revoked() {
		t.Error("the old key was not revoked")
	}
}
