// Command rotation rotates a key while a worker keeps using it: the worker's
// key lives in a "secret store"; Rotate creates the new key, deploys it
// there, waits for the old key's traffic to stop and revokes it; the worker
// picks the new key up by itself when the old one is refused. Offline.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/keys"
)

// store is a stand-in for a secret manager.
type store struct {
	mu  sync.Mutex
	key keys.Key
}

func (s *store) set(k keys.Key) { s.mu.Lock(); s.key = k; s.mu.Unlock() }

func (s *store) provider() credentials.Provider {
	return credentials.ProviderFunc(func(context.Context) (credentials.Credential, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return credentials.Credential{Key: s.key, Source: credentials.Source{Kind: "secret store", Detail: "workers/hypedata"}}, nil
	})
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "rotation:", err)
		os.Exit(1)
	}
}

func run() error {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	ctx := context.Background()
	admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	ac, err := srv.NewClient(admin)
	if err != nil {
		return err
	}
	oldKey, oldInfo, _ := srv.IssueKey(clienttest.KeyParams{Name: "workers", Scopes: []string{"scrape"}})
	var secrets store
	secrets.set(oldKey)
	worker, err := client.New(client.WithService(srv.Service()), client.WithCredentials(secrets.provider()))
	if err != nil {
		return err
	}
	show := func(when string) {
		cred, _ := worker.Credential(ctx)
		fmt.Printf("   %s: the worker uses %s (%s)\n", when, cred.Key, cred.Key.Fingerprint())
	}
	if err := worker.Do(ctx, "GET", "/v1/scrape?url=a", nil, nil); err != nil {
		return err
	}
	show("before")

	fmt.Println("1. Rotate:")
	res, err := ac.Keys().Rotate(ctx, oldInfo.ID, client.RotateOptions{
		PollInterval: 20 * time.Millisecond,
		Deploy: func(_ context.Context, nk *client.NewKey) error {
			secrets.set(nk.Secret)
			fmt.Printf("   deployed %s to the secret store\n", nk.Secret)
			return nil
		},
	})
	if err != nil {
		return err
	}
	fmt.Printf("   old key %s revoked (%s); new key %s\n", res.Old.ID, res.Old.RevokedReason, res.New.ID)

	fmt.Println("2. The worker's next call: its cached key is refused as revoked, so it asks the store again:")
	if err := worker.Do(ctx, "GET", "/v1/scrape?url=b", nil, nil); err != nil {
		return err
	}
	show("after")

	fmt.Println("3. A failed deploy leaves both keys working and says which step failed:")
	_, info2, _ := srv.IssueKey(clienttest.KeyParams{Name: "batch"})
	_, err = ac.Keys().Rotate(ctx, info2.ID, client.RotateOptions{Deploy: func(context.Context, *client.NewKey) error {
		return errors.New("secret store is read-only")
	}})
	var re *client.RotateError
	if !errors.As(err, &re) {
		return fmt.Errorf("expected a RotateError, got %v", err)
	}
	old2, _ := srv.Key(info2.ID)
	new2, _ := srv.Key(re.NewKey.ID)
	fmt.Printf("   step %q failed: %v\n   old key revoked: %v, new key revoked: %v\n", re.Step, re.Err, old2.Revoked(), new2.Revoked())
	return nil
}
