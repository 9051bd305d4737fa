package credentials

import (
	"context"
	"strings"

	"github.com/apikit/apikit-go/keys"
)

// Provider yields a key and where it came from. A provider that finds
// nothing returns a *NotFoundError; one that finds a value it cannot use
// returns a *SourceError naming its source.
type Provider interface {
	// Retrieve looks for the key now. ctx bounds any waiting it does (a
	// key command, a secret store).
	Retrieve(ctx context.Context) (Credential, error)
}

// ProviderFunc adapts a function to Provider, for a key kept somewhere this
// package does not know (a secret store, a value rotated in memory).
type ProviderFunc func(ctx context.Context) (Credential, error)

// Retrieve calls f.
func (f ProviderFunc) Retrieve(ctx context.Context) (Credential, error) { return f(ctx) }

// Credential is a key and the place it was found. Printing it is safe: the
// key redacts itself.
type Credential struct {
	// Key is the validated key; it prints redacted, Key.Reveal gives the
	// secret for the wire.
	Key keys.Key
	// Source is where Key was found.
	Source Source
}

// String returns the redacted key and its source.
func (c Credential) String() string { return c.Key.String() + " from " + c.Source.String() }

// errBlank is the problem of a value made only of whitespace: set, but
// certainly not a key (often an export of an empty variable plus a newline).
var errBlank = malformedf("is set but blank (only whitespace): put the key there, or remove the setting")

// found validates raw as a key of any shape (the service's format is checked
// by the caller, see Validated); if it is not one, the error is a
// *SourceError naming src.
func found(raw string, src Source) (Credential, error) {
	if raw != "" && strings.TrimSpace(raw) == "" {
		return Credential{}, sourceError(src, errBlank)
	}
	k, err := keys.Parse(raw, keys.Opaque)
	if err != nil {
		return Credential{}, sourceError(src, err)
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
