package credentials

import (
	"context"
	"sync/atomic"

	"github.com/apikit/apikit-go/keys"
)

// KindSwappable is the source kind of a Swappable's key.
const KindSwappable = "swappable key"

// Swappable is a key held in memory that can be replaced while clients use
// it: a rotation's Deploy step (or a rotation test) calls Set with the new
// key, then the client's ResetCredential, and the next request sends the
// new key. Pass it with client.WithCredentials (or clienttest's
// Server.NewClient, where it replaces the key given there). It is safe for
// concurrent use.
type Swappable struct {
	key atomic.Pointer[keys.Key]
}

// NewSwappable holds key until Set replaces it.
func NewSwappable(key keys.Key) *Swappable {
	s := &Swappable{}
	s.Set(key)
	return s
}

// Set replaces the key. Clients that cached the old one read the new one
// after their ResetCredential, or when the service refuses the old one as
// revoked, expired or unknown.
func (s *Swappable) Set(key keys.Key) { s.key.Store(&key) }

// Key returns the key held now.
func (s *Swappable) Key() keys.Key {
	if k := s.key.Load(); k != nil {
		return *k
	}
	return keys.Key{}
}

// Retrieve returns the key held now; with none (a zero keys.Key) it returns
// a *NotFoundError, which matches apierrors.ErrMissingCredentials.
func (s *Swappable) Retrieve(context.Context) (Credential, error) {
	src := Source{Kind: KindSwappable}
	k := s.Key()
	if k.IsZero() {
		return Credential{}, &NotFoundError{Tried: []Attempt{{Source: src, Why: "holds no key", Fix: "call Set with a key"}}}
	}
	return Credential{Key: k, Source: src}, nil
}
