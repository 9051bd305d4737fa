package credentials

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// Provider yields a key and where it came from. A provider that finds
// nothing returns a *NotFoundError; one that finds a value that is not a key
// returns an error naming its source.
type Provider interface {
	Retrieve(ctx context.Context) (Credential, error)
}

// ProviderFunc adapts a function to Provider.
type ProviderFunc func(ctx context.Context) (Credential, error)

// Retrieve calls f.
func (f ProviderFunc) Retrieve(ctx context.Context) (Credential, error) { return f(ctx) }

// Credential is a key and the place it was found. Printing it is safe: the
// key redacts itself.
type Credential struct {
	Key    keys.Key
	Source Source
}

// String returns the redacted key and its source.
func (c Credential) String() string { return c.Key.String() + " from " + c.Source.String() }

// Source is where a key was found or looked for.
type Source struct {
	Kind   string // one of the Kind constants, or a custom provider's own word
	Detail string // which variable, file, profile or command
}

// The kinds of source this package knows.
const (
	KindExplicit = "explicit option"
	KindEnv      = "env"
	KindDotEnv   = ".env file"
	KindConfig   = "config file"
	KindCommand  = "command"
)

// String renders the source for a person: "env HYPEDATA_API_KEY",
// ".env file /app/.env (HYPEDATA_API_KEY)", "explicit option".
func (s Source) String() string {
	if s.Detail == "" {
		return s.Kind
	}
	return s.Kind + " " + s.Detail
}

// Attempt is one place a provider looked without finding a key.
type Attempt struct {
	Source Source
	Why    string // "not set", "no such file", `no such profile "prod"`, "unreadable: permission denied", …
	Fix    string // what to do to put a key there, e.g. "set HYPEDATA_API_KEY"
}

// NotFoundError is the answer when no source holds a key. It matches
// apierrors.ErrMissingCredentials (and so apierrors.ErrAuthentication).
type NotFoundError struct {
	Tried []Attempt
}

// Error lists every place looked, in order, with why it gave nothing, then
// what to set.
func (e *NotFoundError) Error() string {
	var b strings.Builder
	b.WriteString("no API key found; looked in: ")
	var fixes []string
	for i, a := range e.Tried {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%d. %s: %s", i+1, a.Source, a.Why)
		if a.Fix != "" {
			fixes = append(fixes, a.Fix)
		}
	}
	if len(e.Tried) == 0 {
		b.WriteString("nowhere (no sources configured)")
	}
	if len(fixes) > 0 {
		b.WriteString(" — to fix: ")
		b.WriteString(strings.Join(fixes, ", or "))
	}
	return b.String()
}

// Unwrap returns apierrors.ErrMissingCredentials.
func (e *NotFoundError) Unwrap() error { return apierrors.ErrMissingCredentials }

// notFound is the error of a provider that looked in one place.
func notFound(src Source, why, fix string) error {
	return &NotFoundError{Tried: []Attempt{{Source: src, Why: why, Fix: fix}}}
}

// found validates raw as a key of any shape (the service's format is checked
// by the caller, see Validated) and names the source if it is not one.
func found(raw string, src Source) (Credential, error) {
	k, err := keys.Parse(raw, keys.Opaque)
	if err != nil {
		return Credential{}, fmt.Errorf("%s: %w", src, err)
	}
	if known, err := keys.Parse(raw); err == nil {
		k = known // a built-in format: the key knows its prefix and environment
	}
	return Credential{Key: k, Source: src}, nil
}

// Static yields key, given in code. Its source is "explicit option".
func Static(key string) Provider {
	return ProviderFunc(func(context.Context) (Credential, error) {
		return found(key, Source{Kind: KindExplicit})
	})
}

// Env yields the first of the named environment variables that is set and
// not empty. It reads the environment at each Retrieve.
func Env(names ...string) Provider {
	return ProviderFunc(func(context.Context) (Credential, error) {
		var tried []Attempt
		for _, name := range names {
			src := Source{Kind: KindEnv, Detail: name}
			v, ok := os.LookupEnv(name)
			switch {
			case !ok:
				tried = append(tried, Attempt{src, "not set", "set " + name})
			case v == "":
				tried = append(tried, Attempt{src, "set but empty", "set " + name})
			default:
				return found(v, src)
			}
		}
		return Credential{}, &NotFoundError{Tried: tried}
	})
}

// Validated re-parses what p yields against formats (keys.Parse) so that a
// key of the wrong shape fails before any request, with an error naming its
// source that matches apierrors.ErrMalformedToken (or ErrExpired).
func Validated(p Provider, formats ...*keys.Format) Provider {
	return ProviderFunc(func(ctx context.Context) (Credential, error) {
		c, err := p.Retrieve(ctx)
		if err != nil {
			return Credential{}, err
		}
		k, err := keys.Parse(c.Key.Reveal(), formats...)
		if err != nil {
			return Credential{}, fmt.Errorf("%s: %w", c.Source, err)
		}
		c.Key = k
		return c, nil
	})
}

// chain is the Provider Chain returns; Diagnose looks inside it.
type chain []Provider

// Chain tries providers in order. The first that yields a key wins; the
// first that finds a value that is not a key ends the search with its error
// (a lower source is never used instead). If none has a key, the
// *NotFoundError lists every attempt of every provider.
func Chain(providers ...Provider) Provider { return chain(providers) }

func (c chain) Retrieve(ctx context.Context) (Credential, error) {
	var tried []Attempt
	for _, p := range c {
		if p == nil {
			continue
		}
		cred, err := p.Retrieve(ctx)
		if err == nil {
			return cred, nil
		}
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			return Credential{}, err
		}
		tried = append(tried, nf.Tried...)
		if ctx.Err() != nil {
			return Credential{}, ctx.Err()
		}
	}
	return Credential{}, &NotFoundError{Tried: tried}
}
