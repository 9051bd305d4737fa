package credentials

import (
	"context"
	"errors"
	"fmt"
)

// errNilProvider is what a wrapper over a nil Provider returns, rather than
// panicking.
var errNilProvider = errors.New("credentials: no provider given (nil Provider)")

// chain is the Provider Chain returns; Diagnose looks inside it.
type chain []Provider

// Chain tries providers in order. The first that yields a key wins; the
// first that finds a value it cannot use ends the search with its error (a
// lower source is never used instead). A provider that answers with neither
// a key nor an error is such a source too. If none has a key, the
// *NotFoundError lists every attempt of every provider. When ctx ends, the
// search stops with an error that matches ctx.Err(). nil providers are
// skipped.
func Chain(providers ...Provider) Provider { return chain(append([]Provider(nil), providers...)) }

// Retrieve asks each provider in turn; see Chain.
func (c chain) Retrieve(ctx context.Context) (Credential, error) {
	var tried []Attempt
	for i, p := range c {
		if p == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return Credential{}, fmt.Errorf("credentials: stopped looking for a key: %w", err)
		}
		cred, err := p.Retrieve(ctx)
		if err == nil {
			if cred.Key.IsZero() {
				src := cred.Source
				if src == (Source{}) {
					src = Source{Kind: "provider", Detail: fmt.Sprintf("%d of the chain (%T)", i+1, p)}
				}
				return Credential{}, &SourceError{Source: src, Err: errors.New("the provider returned neither a key nor an error; it should return a *NotFoundError when it has no key")}
			}
			return cred, nil
		}
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			return Credential{}, err
		}
		tried = append(tried, nf.Tried...)
	}
	if err := ctx.Err(); err != nil {
		return Credential{}, fmt.Errorf("credentials: stopped looking for a key: %w", err)
	}
	return Credential{}, &NotFoundError{Tried: tried}
}
