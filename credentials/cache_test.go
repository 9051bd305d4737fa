package credentials

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit/apikit-go/keys"
)

// cred is a Credential of key (any shape) from a test source.
func cred(t *testing.T, key string) Credential {
	t.Helper()
	k, err := keys.Parse(key, keys.Opaque)
	if err != nil {
		t.Fatal(err)
	}
	return Credential{Key: k, Source: Source{Kind: "test"}}
}

// gatedProvider answers each Retrieve with the next of keys, after the test
// lets it go; started reports each call as it begins.
type gatedProvider struct {
	calls   atomic.Int32
	started chan int32
	release chan struct{}
	keys    []string
	t       *testing.T
	sawCtx  chan error // ctx.Err() at the moment the provider answers
}

func newGated(t *testing.T, keys ...string) *gatedProvider {
	return &gatedProvider{started: make(chan int32, 16), release: make(chan struct{}, 16), keys: keys, t: t, sawCtx: make(chan error, 16)}
}

func (g *gatedProvider) Retrieve(ctx context.Context) (Credential, error) {
	n := g.calls.Add(1)
	g.started <- n
	<-g.release
	g.sawCtx <- ctx.Err()
	return cred(g.t, g.keys[int(n-1)%len(g.keys)]), nil
}

func TestCacheResolvesOnceAndInvalidates(t *testing.T) {
	g := newGated(t, envKey, dotKey)
	c := NewCache(g)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cred, err := c.Retrieve(context.Background()); err != nil || cred.Key.Reveal() != envKey {
				t.Errorf("Retrieve: %v", err)
			}
		}()
	}
	<-g.started
	g.release <- struct{}{}
	wg.Wait()
	if n := g.calls.Load(); n != 1 {
		t.Errorf("provider called %d times, want 1", n)
	}
	c.Invalidate()
	g.release <- struct{}{}
	if got, _ := c.Retrieve(context.Background()); got.Key.Reveal() != dotKey || g.calls.Load() != 2 {
		t.Errorf("after Invalidate: %d calls, key %v", g.calls.Load(), got.Key)
	}

	var calls atomic.Int32
	failing := NewCache(ProviderFunc(func(context.Context) (Credential, error) {
		calls.Add(1)
		return Credential{}, errors.New("boom")
	}))
	_, _ = failing.Retrieve(context.Background())
	_, _ = failing.Retrieve(context.Background())
	if n := calls.Load(); n != 2 {
		t.Errorf("failures were cached: %d calls", n)
	}
}

// A caller whose context ends returns at once; the lookup goes on, not
// cancelled, for the callers still waiting, who get the key.
func TestCacheCallerContextDoesNotFailOthers(t *testing.T) {
	g := newGated(t, envKey)
	c := NewCache(g)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.Retrieve(ctx)
		first <- err
	}()
	<-g.started // the first caller's lookup is under way
	second := make(chan Credential, 1)
	go func() {
		cred, err := c.Retrieve(context.Background())
		if err != nil {
			t.Errorf("second caller: %v", err)
		}
		second <- cred
	}()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("first caller: err = %v, want context.Canceled", err)
	}
	g.release <- struct{}{}
	if got := <-second; got.Key.Reveal() != envKey {
		t.Errorf("second caller got %v", got.Key)
	}
	if err := <-g.sawCtx; err != nil {
		t.Errorf("the shared lookup ran under the first caller's context: it saw %v", err)
	}
	if n := g.calls.Load(); n != 1 {
		t.Errorf("provider called %d times, want 1", n)
	}
}

// A lookup that failed with a context error that is not the waiting
// caller's is asked again for that caller.
func TestCacheRetriesAForeignContextError(t *testing.T) {
	var calls atomic.Int32
	c := NewCache(ProviderFunc(func(context.Context) (Credential, error) {
		if calls.Add(1) == 1 {
			return Credential{}, context.DeadlineExceeded // e.g. the provider's own timer
		}
		return cred(t, envKey), nil
	}))
	got, err := c.Retrieve(context.Background())
	if err != nil || got.Key.Reveal() != envKey || calls.Load() != 2 {
		t.Fatalf("got %v, %v after %d calls", got.Key, err, calls.Load())
	}
	// Only once: a provider that always times out is not asked forever.
	calls.Store(0)
	always := NewCache(ProviderFunc(func(context.Context) (Credential, error) {
		calls.Add(1)
		return Credential{}, context.DeadlineExceeded
	}))
	if _, err := always.Retrieve(context.Background()); !errors.Is(err, context.DeadlineExceeded) || calls.Load() != 2 {
		t.Fatalf("err = %v after %d calls, want DeadlineExceeded after 2", err, calls.Load())
	}
}

// A provider that panics gives an error (without the panic's value) to
// every waiter, and the next Retrieve asks again instead of waiting forever.
func TestCacheProviderPanic(t *testing.T) {
	var calls atomic.Int32
	c := NewCache(ProviderFunc(func(context.Context) (Credential, error) {
		if calls.Add(1) == 1 {
			panic("bad state near " + envKey)
		}
		return cred(t, envKey), nil
	}))
	_, err := c.Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "panicked") || strings.Contains(err.Error(), envKey[8:16]) {
		t.Fatalf("err = %v", err)
	}
	got, err := c.Retrieve(context.Background())
	if err != nil || got.Key.Reveal() != envKey {
		t.Fatalf("after the panic: %v, %v", got.Key, err)
	}
	var nilMap map[string]int
	rt := NewCache(ProviderFunc(func(context.Context) (Credential, error) {
		nilMap["x"] = 1 // a runtime error: its text is shown
		return Credential{}, nil
	}))
	if _, err := rt.Retrieve(context.Background()); err == nil || !strings.Contains(err.Error(), "assignment to entry in nil map") {
		t.Fatalf("runtime panic: %v", err)
	}
}

// Invalidate during a lookup: that lookup's answer is not cached, and a
// caller that comes after Invalidate starts its own lookup rather than
// joining the older one.
func TestCacheInvalidateDuringLookup(t *testing.T) {
	g := newGated(t, envKey, dotKey, fileKey)
	c := NewCache(g)
	old := make(chan Credential, 1)
	go func() {
		cred, _ := c.Retrieve(context.Background())
		old <- cred
	}()
	<-g.started // lookup 1 under way, answering envKey
	c.Invalidate()
	fresh := make(chan Credential, 1)
	go func() {
		cred, _ := c.Retrieve(context.Background())
		fresh <- cred
	}()
	select {
	case <-g.started: // the second lookup
	case <-time.After(5 * time.Second): // a bound on the bug, not a wait for success
		g.release <- struct{}{}
		t.Fatal("no second lookup started: the caller after Invalidate joined the older lookup")
	}
	g.release <- struct{}{}
	g.release <- struct{}{}
	a, b := <-old, <-fresh
	if b.Key.Reveal() == envKey {
		t.Fatal("a caller after Invalidate got the key of a lookup that started before it")
	}
	if a.Key.IsZero() || b.Key.IsZero() {
		t.Fatalf("keys %v %v", a.Key, b.Key)
	}
	// Whatever order the two finished in, the cached key is the fresh one.
	got, err := c.Retrieve(context.Background())
	if err != nil || got.Key.Reveal() != b.Key.Reveal() || g.calls.Load() != 2 {
		t.Fatalf("cached %v (%v) after %d calls, want %v", got.Key, err, g.calls.Load(), b.Key)
	}
}

// The generation check: a lookup that finishes after Invalidate does not
// put its (possibly revoked) key in the cache.
func TestCacheDoesNotKeepAKeyFromBeforeInvalidate(t *testing.T) {
	g := newGated(t, envKey, dotKey)
	c := NewCache(g)
	done := make(chan struct{})
	go func() {
		_, _ = c.Retrieve(context.Background())
		close(done)
	}()
	<-g.started
	c.Invalidate()
	g.release <- struct{}{}
	<-done
	g.release <- struct{}{}
	got, err := c.Retrieve(context.Background())
	if err != nil || got.Key.Reveal() != dotKey {
		t.Fatalf("got %v, %v: the key resolved before Invalidate was cached", got.Key, err)
	}
}

func TestCacheZeroValue(t *testing.T) {
	for name, c := range map[string]*Cache{"zero": {}, "NewCache(nil)": NewCache(nil), "nil": nil} {
		_, err := c.Retrieve(context.Background())
		if err == nil || !strings.Contains(err.Error(), "NewCache") {
			t.Errorf("%s: err = %v", name, err)
		}
		c.Invalidate() // no panic
	}
}

func TestCacheContextAlreadyDone(t *testing.T) {
	var calls atomic.Int32
	c := NewCache(ProviderFunc(func(context.Context) (Credential, error) {
		calls.Add(1)
		return cred(t, envKey), nil
	}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Retrieve(ctx); !errors.Is(err, context.Canceled) || calls.Load() != 0 {
		t.Fatalf("err = %v, %d calls", err, calls.Load())
	}
}
