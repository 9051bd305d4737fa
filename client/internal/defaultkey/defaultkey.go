// Package defaultkey carries a key that a test helper (clienttest's
// Server.NewClient) gives client.New on its caller's behalf: a default, used
// only when the caller's own options name no key source. The caller's
// client.WithAPIKey, client.WithCredentials or client.WithoutKey replaces it,
// where two explicit sources would be refused as a mistake.
package defaultkey

import (
	"context"

	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/keys"
)

// Key is the default key. It travels through client.WithCredentials, which
// recognises it and keeps it aside; it is a credentials.Provider only for
// that journey, and Retrieve is never called by the client.
type Key struct{ Key keys.Key }

// Retrieve returns the key; client.New never calls it.
func (k Key) Retrieve(ctx context.Context) (credentials.Credential, error) {
	return credentials.Static(k.Key.Reveal()).Retrieve(ctx)
}
