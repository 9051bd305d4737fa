package credentials

import (
	"context"

	"github.com/apikit/apikit-go/keys"
)

// Validated re-parses what p yields against formats (keys.Parse; none means
// every built-in format) so that a key of the wrong shape fails before any
// request, with a *SourceError naming its source that matches
// apierrors.ErrMalformedToken (or ErrExpired). p's own errors pass through
// unchanged.
func Validated(p Provider, formats ...*keys.Format) Provider {
	return ProviderFunc(func(ctx context.Context) (Credential, error) {
		if p == nil {
			return Credential{}, errNilProvider
		}
		c, err := p.Retrieve(ctx)
		if err != nil {
			return Credential{}, err
		}
		k, err := keys.Parse(c.Key.Reveal(), formats...)
		if err != nil {
			return Credential{}, sourceError(c.Source, err)
		}
		c.Key = k
		return c, nil
	})
}
