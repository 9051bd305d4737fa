package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// ErrEnvMismatch is returned, before any request, when the key's
// environment is not the one WithRequireEnv asks for: a live key in a test
// setup, or a test key in production.
var ErrEnvMismatch = errors.New("key environment mismatch")

// validated checks what p finds against the service's key format (and the
// required environment) before the client caches it, naming the source on
// failure. A source whose key is bad is an error: the chain behind p has
// already stopped at it, so a lower source is never used silently instead.
type validated struct {
	p      credentials.Provider
	format *keys.Format
	env    keys.Env
}

func (v validated) Retrieve(ctx context.Context) (credentials.Credential, error) {
	cred, err := v.p.Retrieve(ctx)
	if err != nil {
		return credentials.Credential{}, err
	}
	k, err := keys.Parse(cred.Key.Reveal(), v.format)
	if err != nil {
		return credentials.Credential{}, &credentials.SourceError{Source: cred.Source, Err: err}
	}
	if v.env != keys.EnvUnknown && k.Env() != v.env {
		return credentials.Credential{}, &credentials.SourceError{Source: cred.Source,
			Err: fmt.Errorf("%w: the key %s is %s and this client requires %s keys (WithRequireEnv); use a %s key",
				ErrEnvMismatch, k, envName(k.Env()), v.env, v.env)}
	}
	cred.Key = k
	return cred, nil
}

func envName(e keys.Env) string {
	if e == keys.EnvUnknown {
		return "of no environment"
	}
	return "a " + e.String() + " key"
}

// resolve returns the validated credential, asking the source only when
// none is cached, or when the cached key has passed the expiry it carries
// (a JWT's exp): then the source is asked again, and an expired key from it
// fails validation, so an expired key is never sent.
func (c *Client) resolve(ctx context.Context) (*resolved, error) {
	if c.keyless {
		return keylessResolved, nil
	}
	if r := c.cur.Load(); r != nil {
		if r.expires.IsZero() || c.now().Before(r.expires) {
			return r, nil
		}
		if c.cur.CompareAndSwap(r, nil) {
			c.creds.Invalidate()
		}
	}
	cred, err := c.creds.Retrieve(ctx)
	if err != nil {
		return nil, err
	}
	r := c.newResolved(cred)
	if err := checkBaseKey(r, c.baseStr); err != nil {
		return nil, err // not cached: every call fails, before anything is sent
	}
	if !c.cur.CompareAndSwap(nil, r) {
		if cur := c.cur.Load(); cur != nil {
			return cur, nil
		}
	}
	return r, nil
}

// newResolved readies a validated credential for sending.
func (c *Client) newResolved(cred credentials.Credential) *resolved {
	r := &resolved{cred: cred, fp: cred.Key.Fingerprint(), red: apierrors.NewRedactor(cred.Key.Reveal())}
	r.expires, _ = cred.Key.ExpiresAt()
	switch c.auth {
	case AuthBearer:
		r.header = "Bearer " + cred.Key.Reveal()
	case AuthHeader:
		r.header = cred.Key.Reveal()
	}
	return r
}

// refresh forgets old (if it is still current) and asks the source again;
// it is how a deployed rotation reaches a running client after a 401.
func (c *Client) refresh(ctx context.Context, old *resolved) (*resolved, error) {
	if c.cur.CompareAndSwap(old, nil) {
		c.creds.Invalidate()
	}
	return c.resolve(ctx)
}

// Diagnose reports every place the client looks for its key, in order:
// which holds one (redacted, with its fingerprint), which wins, and which
// it shadows. Run it when "the wrong key is being used". It never prints a
// secret.
func (c *Client) Diagnose(ctx context.Context) credentials.Report {
	if c.keyless {
		return credentials.Report{Winner: -1}
	}
	return credentials.Diagnose(ctx, c.format, c.chain...)
}

// ResetCredential forgets the cached key, so that the next request asks the
// key's source again. Call it from a rotation's Deploy step (or when your
// secret store says the key changed) to move a running client to the new
// key at once, instead of at its first 401.
func (c *Client) ResetCredential() {
	if c.keyless {
		return
	}
	c.cur.Store(nil)
	c.creds.Invalidate()
}
