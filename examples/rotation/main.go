// Command rotation rotates a key while a worker keeps using it, offline,
// against an in-memory Hypedata server (client/clienttest).
//
// The worker's key lives in a "secret store" that its client reads through a
// credentials.ProviderFunc. c.Keys().Rotate creates the new key, deploys it
// into the store, waits for the old key's traffic to stop and revokes it.
// The worker is not told: its next call is refused as revoked (401), the
// client asks its key source again, finds the new key and sends the call
// again. A failed deploy ends the rotation with a *client.RotateError naming
// the step, and leaves both keys working.
//
// Run it with:
//
//	go run ./examples/rotation
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/keys"
)

// secretStore stands in for a secret manager (Vault, AWS Secrets Manager,
// a Kubernetes secret, …): one value, read and written concurrently.
type secretStore struct {
	mu  sync.Mutex
	key keys.Key
}

func (s *secretStore) put(k keys.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = k
}

// provider is how the worker's client reads the store: on its first request,
// and again whenever the server refuses the key as unknown, revoked or
// expired.
func (s *secretStore) provider() credentials.Provider {
	src := credentials.Source{Kind: "secret store", Detail: "prod/workers/hypedata"}
	return credentials.ProviderFunc(func(context.Context) (credentials.Credential, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.key.IsZero() {
			return credentials.Credential{}, &credentials.NotFoundError{Tried: []credentials.Attempt{{Source: src, Why: "empty", Fix: "write the key to " + src.Detail}}}
		}
		return credentials.Credential{Key: s.key, Source: src}, nil
	})
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "rotation:", err)
		os.Exit(1)
	}
}

func step(n int, title string) { fmt.Printf("\n%d. %s\n", n, title) }

// wrap prints text after label, wrapped at 100 columns, continuation lines
// indented under the text.
func wrap(label, text string) {
	line, indent := label, strings.Repeat(" ", len([]rune(label)))
	for i, w := range strings.Fields(text) {
		if i > 0 && len([]rune(line))+1+len([]rune(w)) > 100 {
			fmt.Println(line)
			line = indent + w
			continue
		}
		if i > 0 {
			line += " "
		}
		line += w
	}
	fmt.Println(line)
}

func run(ctx context.Context) error {
	fmt.Println("apikit-go key rotation — offline, against an in-memory Hypedata server (client/clienttest)")
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()

	// The admin key manages keys; the worker key does the work.
	admin, _, err := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	if err != nil {
		return err
	}
	ac, err := srv.NewClient(admin)
	if err != nil {
		return err
	}
	oldKey, oldInfo, err := srv.IssueKey(clienttest.KeyParams{Name: "workers", Scopes: []string{"scrape"}})
	if err != nil {
		return err
	}
	var store secretStore
	store.put(oldKey)
	worker, err := client.New(client.WithService(srv.Service()), client.WithBaseURL(srv.URL), client.WithCredentials(store.provider()))
	if err != nil {
		return err
	}
	scrape := func(n int) error {
		return worker.Do(ctx, "GET", fmt.Sprintf("/v1/scrape?url=https://example.com/%d", n), nil, nil)
	}
	showWorkerKey := func(when string) error {
		cred, err := worker.Credential(ctx)
		if err != nil {
			return err
		}
		wrap("   ", fmt.Sprintf("%s: the worker's client holds %s, fingerprint %s", when, cred, cred.Key.Fingerprint()))
		return nil
	}

	step(1, "A worker whose key comes from the secret store")
	if err := scrape(1); err != nil {
		return err
	}
	fmt.Printf("   call ok (key %s)\n", oldInfo.ID)
	if err := showWorkerKey("before"); err != nil {
		return err
	}

	step(2, "Rotate: create a twin, deploy it to the store, wait for the old key to go quiet, revoke it")
	res, err := ac.Keys().Rotate(ctx, oldInfo.ID, client.RotateOptions{
		Reason:       "scheduled rotation",
		PollInterval: 50 * time.Millisecond, // the default, 5s, suits real traffic
		Deploy: func(_ context.Context, nk *client.NewKey) error {
			store.put(nk.Secret)
			fmt.Printf("   deploy: wrote %s (%s, key %s) to the secret store\n", nk.Secret, nk.Secret.Fingerprint(), nk.ID)
			return nil
		},
	})
	if err != nil {
		return err
	}
	fmt.Printf("   old key %s revoked (%q) after %d usage polls; new key %s\n", res.Old.ID, res.Old.RevokedReason, res.Polls, res.New.ID)
	if err := showWorkerKey("now"); err != nil {
		return err
	}
	fmt.Println("   (it still caches the old key: nobody told it)")

	step(3, "The worker's next call")
	srv.ResetRequests()
	if err := scrape(2); err != nil {
		return fmt.Errorf("the worker's call after the rotation: %w", err)
	}
	fmt.Println("   call ok. What the server saw:")
	for _, r := range srv.Requests() {
		code := r.Code
		if code == "" {
			code = "ok"
		}
		fmt.Printf("     %s %s with %s → %d %s\n", r.Method, r.Path, r.Key, r.Status, code)
	}
	fmt.Println("   the 401 revoked made the client read the secret store again and resend with the new key")
	if err := showWorkerKey("after"); err != nil {
		return err
	}
	fmt.Println("   (to switch before the first 401, call worker.ResetCredential() from Deploy)")

	step(4, "A failed deploy")
	batchKey, batchInfo, err := srv.IssueKey(clienttest.KeyParams{Name: "batch", Scopes: []string{"scrape"}})
	if err != nil {
		return err
	}
	_, err = ac.Keys().Rotate(ctx, batchInfo.ID, client.RotateOptions{
		PollInterval: 50 * time.Millisecond,
		Deploy: func(context.Context, *client.NewKey) error {
			return errors.New("secret store: permission denied")
		},
	})
	var re *client.RotateError
	if !errors.As(err, &re) {
		return fmt.Errorf("expected a *client.RotateError, got: %v", err)
	}
	if re.Step != client.StepDeploy || re.NewKey == nil {
		return fmt.Errorf("expected the deploy step to fail with a new key made, got: %v", err)
	}
	wrap("   errors.As(err, &rotateErr): ", fmt.Sprintf("step %q failed: %v", re.Step, re.Err))
	wrap("   ", err.Error())
	for _, k := range []struct {
		what string
		key  keys.Key
	}{{"old key " + re.OldID, batchKey}, {"new key " + re.NewKey.ID, re.NewKey.Secret}} {
		c, err := srv.NewClient(k.key)
		if err != nil {
			return err
		}
		if err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com/3", nil, nil); err != nil {
			return fmt.Errorf("%s should still work: %w", k.what, err)
		}
		fmt.Printf("   %s (%s) still works\n", k.what, k.key)
	}
	// Nothing uses the new key: clean it up (or retry the rotation).
	if _, err := ac.Keys().Revoke(ctx, re.NewKey.ID, "rotation aborted: deploy failed"); err != nil {
		return err
	}
	fmt.Printf("   cleaned up: revoked the unused new key %s; the old key stays in service\n", re.NewKey.ID)

	fmt.Println("\nDone.")
	return nil
}
