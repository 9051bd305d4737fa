package credentials

import (
	"context"
	"sync"
)

// Cache resolves a Provider once and reuses the answer, so that a client
// reads the environment, files or a password manager on its first request
// only. Concurrent callers share one resolution; a failure is not cached.
// Invalidate makes the next Retrieve ask the provider again (the client does
// so when the server says the key is unknown, revoked or expired). A Cache
// is safe for concurrent use.
type Cache struct {
	p      Provider
	mu     sync.Mutex
	cred   *Credential
	flight *flight
	gen    uint64
}

type flight struct {
	done chan struct{}
	cred Credential
	err  error
}

// NewCache returns a Cache over p.
func NewCache(p Provider) *Cache { return &Cache{p: p} }

// Retrieve returns the cached credential, or resolves it.
func (c *Cache) Retrieve(ctx context.Context) (Credential, error) {
	c.mu.Lock()
	if c.cred != nil {
		cred := *c.cred
		c.mu.Unlock()
		return cred, nil
	}
	if f := c.flight; f != nil {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.cred, f.err
		case <-ctx.Done():
			return Credential{}, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	c.flight = f
	gen := c.gen
	c.mu.Unlock()

	f.cred, f.err = c.p.Retrieve(ctx)

	c.mu.Lock()
	if f.err == nil && c.gen == gen {
		cred := f.cred
		c.cred = &cred
	}
	c.flight = nil
	c.mu.Unlock()
	close(f.done)
	return f.cred, f.err
}

// Invalidate forgets the cached credential.
func (c *Cache) Invalidate() {
	c.mu.Lock()
	c.cred = nil
	c.gen++
	c.mu.Unlock()
}
