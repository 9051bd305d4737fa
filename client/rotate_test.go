package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
)

// TestRotateTheCallingKey: rotating the very key the client calls with.
// The drain's usage polls would be traffic on the old key themselves and
// the drain would never end, so after Deploy they go out with the new key.
func TestRotateTheCallingKey(t *testing.T) {
	for _, svc := range []client.Service{client.Hypedata, client.Hypersave, client.HopX} {
		t.Run(svc.Name, func(t *testing.T) {
			srv := clienttest.NewServer(svc)
			t.Cleanup(srv.Close)
			k, info, err := srv.IssueKey(clienttest.KeyParams{Name: "only", Scopes: []string{"admin", "scrape"}})
			if err != nil {
				t.Fatal(err)
			}
			c, _ := srv.NewClient(k)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := c.Keys().Rotate(ctx, info.ID, client.RotateOptions{
				PollInterval: time.Millisecond, MaxPollInterval: time.Millisecond,
				Deploy: func(context.Context, *client.NewKey) error { return nil },
			})
			if err != nil {
				t.Fatalf("Rotate: %v", err)
			}
			if !res.Old.Revoked() || res.Polls > 3 {
				t.Errorf("old revoked %v after %d polls", res.Old.Revoked(), res.Polls)
			}
			// Hypedata and HopX revoke; Hypersave deletes (unknown key).
			if err := c.Do(ctx, "GET", readPath(svc), nil, nil); !errors.Is(err, apierrors.ErrAuthentication) ||
				(svc.Dialect != client.DialectHypersave && !errors.Is(err, apierrors.ErrRevoked)) {
				t.Errorf("the old key after rotation: %v", err)
			}
			nc, _ := srv.NewClient(res.New.Secret)
			if err := nc.Do(ctx, "GET", readPath(svc), nil, nil); err != nil {
				t.Errorf("the new key: %v", err)
			}
			if recs := srv.Requests(); recs[len(recs)-1].KeyID != res.New.ID {
				t.Errorf("the last call was made with key %s, want the new %s", recs[len(recs)-1].KeyID, res.New.ID)
			}
		})
	}
}

// TestRotateExpiry: the new key gets the old key's lifetime from now, not
// its expiry date (which would hand out a key as close to death as the old
// one), or the expiry asked for; a key without expiry stays without.
func TestRotateExpiry(t *testing.T) {
	// The server's clock starts 80 days back, so the key below is created
	// then; the client computes the new expiry from its own (real) clock.
	clock := clienttest.NewFakeClock(time.Now().Add(-80 * 24 * time.Hour))
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	t.Cleanup(srv.Close)
	admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	c, _ := srv.NewClient(admin)
	ctx := context.Background()
	deploy := func(context.Context, *client.NewKey) error { return nil }
	fast := client.RotateOptions{Deploy: deploy, PollInterval: time.Millisecond, MaxPollInterval: time.Millisecond}

	_, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "90d", ExpiresAt: clock.Now().Add(90 * 24 * time.Hour)})
	clock.Set(time.Now()) // ten days left
	res, err := c.Keys().Rotate(ctx, info.ID, fast)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Now().Add(90 * 24 * time.Hour); res.New.ExpiresAt == nil || res.New.ExpiresAt.Sub(want).Abs() > time.Minute {
		t.Errorf("new expiry %v, want %v (the old key's 90 days from now)", res.New.ExpiresAt, want)
	}

	_, info, _ = srv.IssueKey(clienttest.KeyParams{Name: "asked", ExpiresAt: clock.Now().Add(time.Hour)})
	asked := fast
	asked.ExpiresAt = clock.Now().Add(7 * 24 * time.Hour).UTC()
	if res, err = c.Keys().Rotate(ctx, info.ID, asked); err != nil || res.New.ExpiresAt == nil || !res.New.ExpiresAt.Equal(asked.ExpiresAt) {
		t.Errorf("asked expiry: %+v %v", res, err)
	}

	_, info, _ = srv.IssueKey(clienttest.KeyParams{Name: "forever"})
	if res, err = c.Keys().Rotate(ctx, info.ID, fast); err != nil || res.New.ExpiresAt != nil {
		t.Errorf("no expiry: %+v %v", res, err)
	}

	past := clock.Now().Add(-time.Hour)
	if _, err := c.Keys().Create(ctx, client.CreateKeyParams{Name: "dead", ExpiresAt: &past}); err == nil {
		t.Error("the server created a key that expired an hour ago")
	}
}
