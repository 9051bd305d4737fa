package credentials

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// Cache resolves a Provider once and reuses the answer, so that a client
// reads the environment, files or a password manager on its first request
// only. A Cache is safe for concurrent use; make one with NewCache.
//
// Concurrent callers share one lookup. It runs in its own goroutine under
// context.WithoutCancel of the first caller's context (its values, not its
// deadline), so that one caller giving up does not fail the others: each
// caller returns as soon as its own context ends, and the lookup finishes
// for whoever is still waiting. A failure is not cached. A lookup that
// fails with a context error although the waiting caller's context is still
// live (a provider's own deadline) is tried once more for that caller.
//
// A provider that panics does not take the program down from the lookup's
// goroutine, nor leave later callers waiting forever: the panic becomes an
// error for everyone waiting (it names the panic's type, never its value,
// which could hold a key), and the next Retrieve asks the provider again.
//
// Invalidate makes the next Retrieve ask the provider again (the client does
// so when the server says the key is unknown, revoked or expired); a caller
// that arrives after Invalidate never gets the answer of a lookup that
// started before it.
type Cache struct {
	p      Provider
	mu     sync.Mutex
	cred   *Credential
	flight *flight
	gen    uint64 // bumped by Invalidate
}

// flight is one shared lookup.
type flight struct {
	done chan struct{} // closed when cred and err are set
	gen  uint64        // the Cache's generation when the lookup started
	cred Credential
	err  error
}

// errNoCacheProvider is the answer of a Cache made without NewCache or over
// a nil Provider.
var errNoCacheProvider = errors.New("credentials: the Cache has no provider; make it with NewCache(provider)")

// NewCache returns a Cache over p. A nil p gives a Cache whose Retrieve
// says so.
func NewCache(p Provider) *Cache { return &Cache{p: p} }

// Retrieve returns the cached credential, or resolves it (see Cache). It
// returns ctx's error as soon as ctx ends.
func (c *Cache) Retrieve(ctx context.Context) (Credential, error) {
	if c == nil || c.p == nil {
		return Credential{}, errNoCacheProvider
	}
	retried := false
	for {
		if err := ctx.Err(); err != nil {
			return Credential{}, err
		}
		f, cred, ok := c.join(ctx)
		if ok {
			return cred, nil
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return Credential{}, ctx.Err()
		}
		if f.err != nil && !retried && isContextError(f.err) && ctx.Err() == nil {
			retried = true // not this caller's context: ask again once
			continue
		}
		return f.cred, f.err
	}
}

// join returns the cached credential (ok), or the lookup of the current
// generation, starting one if there is none.
func (c *Cache) join(ctx context.Context) (f *flight, cred Credential, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cred != nil {
		return nil, *c.cred, true
	}
	if c.flight != nil && c.flight.gen == c.gen {
		return c.flight, Credential{}, false
	}
	f = &flight{done: make(chan struct{}), gen: c.gen}
	c.flight = f
	go c.lookup(context.WithoutCancel(ctx), f)
	return f, Credential{}, false
}

// lookup asks the provider for f, then caches a success if no Invalidate
// came in between. It always closes f.done, also when the provider panics.
func (c *Cache) lookup(ctx context.Context, f *flight) {
	defer func() {
		if r := recover(); r != nil {
			f.cred, f.err = Credential{}, panicError(r)
		}
		c.mu.Lock()
		if f.err == nil && c.gen == f.gen {
			cred := f.cred
			c.cred = &cred
		}
		if c.flight == f {
			c.flight = nil
		}
		c.mu.Unlock()
		close(f.done)
	}()
	f.cred, f.err = c.p.Retrieve(ctx)
}

// Invalidate forgets the cached credential, and makes lookups already under
// way answer only the callers that were waiting for them.
func (c *Cache) Invalidate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.cred = nil
	c.gen++
	c.mu.Unlock()
}

// isContextError reports whether err is, or wraps, a context's error.
func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// panicError describes a provider's panic without its value, which could
// hold a key; a runtime error's text (nil dereference, index out of range)
// holds none and helps find the bug.
func panicError(r any) error {
	var re runtime.Error
	if err, ok := r.(error); ok && errors.As(err, &re) {
		return fmt.Errorf("credentials: the key provider panicked: %s", re.Error())
	}
	return fmt.Errorf("credentials: the key provider panicked (with a value of type %T, not shown: it could hold a key)", r)
}
