package clienttest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// TestNewClientCallersKeySourceWins: a key source the caller passes to
// NewClient replaces the key given to it (it was refused with "both
// WithAPIKey and WithCredentials given", though the caller passed no
// WithAPIKey); WithAPIKey and WithoutKey replace it too.
func TestNewClientCallersKeySourceWins(t *testing.T) {
	ctx := context.Background()
	srv, _ := newServer(t, client.Hypedata)
	first, _ := issue(t, srv, clienttest.KeyParams{Name: "first"})
	second, secondInfo := issue(t, srv, clienttest.KeyParams{Name: "second"})

	for _, tc := range []struct {
		name string
		opt  client.Option
	}{
		{"WithCredentials", client.WithCredentials(credentials.Static(second.Reveal()))},
		{"WithAPIKey", client.WithAPIKey(second.Reveal())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := srv.NewClient(first, tc.opt)
			if err != nil {
				t.Fatalf("NewClient(key, %s): %v", tc.name, err)
			}
			defer c.CloseIdleConnections()
			srv.ResetRequests()
			if err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil); err != nil {
				t.Fatal(err)
			}
			if rs := srv.Requests(); len(rs) != 1 || rs[0].KeyID != secondInfo.ID {
				t.Errorf("requests %+v: want one, with the caller's key %s", rs, secondInfo.ID)
			}
		})
	}

	t.Run("WithoutKey", func(t *testing.T) {
		ks := clienttest.NewServer(client.HyperSync)
		defer ks.Close()
		k, _, _ := ks.IssueKey(clienttest.KeyParams{})
		c, err := ks.NewClient(k, client.WithoutKey())
		if err != nil {
			t.Fatalf("NewClient(key, WithoutKey()): %v", err)
		}
		defer c.CloseIdleConnections()
		_ = ks.AllowKeyless(0)
		if err := c.Do(ctx, "GET", "/height", nil, nil); err != nil {
			t.Fatal(err)
		}
		if rs := ks.Requests(); len(rs) != 1 || rs[0].AuthVia != "" {
			t.Errorf("requests %+v: want one, with no key", rs)
		}
	})

	t.Run("default", func(t *testing.T) {
		c, err := srv.NewClient(first)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseIdleConnections()
		cred, err := c.Credential(ctx)
		if err != nil || cred.Key.Reveal() != first.Reveal() || cred.Source.Kind != credentials.KindExplicit {
			t.Errorf("Credential = %v from %v, %v; want the key given to NewClient, as an explicit option", cred.Key, cred.Source, err)
		}
	})

	t.Run("zero key", func(t *testing.T) {
		t.Setenv(client.Hypedata.EnvVar, first.Reveal()) // must not be picked up instead
		if _, err := srv.NewClient(keys.Key{}); !errors.Is(err, apierrors.ErrMissingCredentials) {
			t.Errorf("NewClient(keys.Key{}) = %v, want ErrMissingCredentials (not the environment's key)", err)
		}
	})
}

// TestNewClientSwappableRotation: a credentials.Swappable passed to
// NewClient carries a rotation: after Set and ResetCredential the next
// request sends the new key.
func TestNewClientSwappableRotation(t *testing.T) {
	ctx := context.Background()
	srv, _ := newServer(t, client.Hypedata)
	oldKey, oldInfo := issue(t, srv, clienttest.KeyParams{Name: "old"})
	newKey, newInfo := issue(t, srv, clienttest.KeyParams{Name: "new"})
	src := credentials.NewSwappable(oldKey)
	c, err := srv.NewClient(oldKey, client.WithCredentials(src))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	if err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil); err != nil {
		t.Fatal(err)
	}
	src.Set(newKey)
	c.ResetCredential()
	if err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil); err != nil {
		t.Fatal(err)
	}
	rs := srv.Requests()
	if len(rs) != 2 || rs[0].KeyID != oldInfo.ID || rs[1].KeyID != newInfo.ID {
		t.Errorf("requests %+v: want the old key, then the new", rs)
	}
}
