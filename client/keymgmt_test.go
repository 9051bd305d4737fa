package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

func adminClient(t *testing.T, svc client.Service) (*clienttest.Server, *client.Client) {
	t.Helper()
	srv := clienttest.NewServer(svc)
	t.Cleanup(srv.Close)
	k, _, err := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin", "billing", "scrape"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := srv.NewClient(k)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// readPath is a GET every key of svc may call, free and without a scope:
// a read each service's page shows (Hypedata's scrape costs a credit).
func readPath(svc client.Service) string {
	switch svc.Dialect {
	case client.DialectHopX:
		return "/v1/templates"
	case client.DialectHypersave:
		return "/v1/memories"
	case client.DialectWeb3:
		return "/user/uploads"
	case client.DialectHyperSync:
		return "/height"
	}
	return "/v1/scrape?url=x"
}

func TestKeyLifecycle(t *testing.T) {
	for _, svc := range []client.Service{client.Hypedata, client.Hypersave, client.HopX, client.Web3Storage} {
		t.Run(svc.Name, func(t *testing.T) {
			srv, c := adminClient(t, svc)
			ctx := context.Background()
			nk, err := c.Keys().Create(ctx, client.CreateKeyParams{Name: "ci", Environment: "test", Scopes: []string{"scrape"}})
			if err != nil {
				t.Fatal(err)
			}
			if nk.ID == "" || nk.Secret.IsZero() || nk.Environment != "test" || strings.Contains(nk.Redacted, nk.Secret.Reveal()) {
				t.Fatalf("created %+v", nk)
			}
			worker, _ := srv.NewClient(nk.Secret)
			if err := worker.Do(ctx, "GET", readPath(svc), nil, nil); err != nil {
				t.Fatalf("new key does not work: %v", err)
			}
			list, err := c.Keys().List(ctx)
			if err != nil || len(list) != 2 {
				t.Fatalf("List: %d keys, %v", len(list), err)
			}
			b, _ := json.Marshal(list)
			if strings.Contains(string(b), nk.Secret.Reveal()) {
				t.Error("List holds a secret")
			}
			got, err := c.Keys().Get(ctx, nk.ID)
			if err != nil || got.Name != "ci" {
				t.Fatalf("Get: %+v %v", got, err)
			}
			{
				_, err := c.Keys().Get(ctx, "key_nope")
				var ae *apierrors.Error
				if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Code != apierrors.CodeNotFound {
					t.Errorf("Get unknown: %v", err)
				}
			}
			regen, err := c.Keys().Regenerate(ctx, nk.ID)
			if err != nil || regen.ID != nk.ID || regen.Secret.Reveal() == nk.Secret.Reveal() {
				t.Fatalf("Regenerate: %v", err)
			}
			if err := worker.Do(ctx, "GET", readPath(svc), nil, nil); !errors.Is(err, apierrors.ErrAuthentication) {
				t.Errorf("old secret after regenerate: %v", err)
			}
			if svc.Dialect != client.DialectHypersave && !errors.Is(worker.Do(ctx, "GET", readPath(svc), nil, nil), apierrors.ErrUnknownKey) {
				t.Errorf("old secret is not unknown_key")
			}
			worker2, _ := srv.NewClient(regen.Secret)
			if err := worker2.Do(ctx, "GET", readPath(svc), nil, nil); err != nil {
				t.Fatalf("regenerated key: %v", err)
			}
			u, err := c.Keys().Usage(ctx, nk.ID)
			if err != nil || u.Requests < 2 {
				t.Errorf("Usage: %+v %v", u, err)
			}
			rev, err := c.Keys().Revoke(ctx, nk.ID, "leaked")
			if err != nil || !rev.Revoked() || rev.RevokedReason != "leaked" {
				t.Fatalf("Revoke: %+v %v", rev, err)
			}
			err = worker2.Do(ctx, "GET", readPath(svc), nil, nil)
			var ae *apierrors.Error
			switch svc.Dialect {
			case client.DialectHypersave, client.DialectWeb3:
				// Hypersave's DELETE /keys/:id and web3.storage's token
				// deletion remove the key: its secret is unknown.
				if !errors.Is(err, apierrors.ErrUnknownKey) || errors.Is(err, apierrors.ErrRevoked) {
					t.Errorf("%s deleted: %v", svc.Name, err)
				}
			default:
				if !errors.Is(err, apierrors.ErrRevoked) || !errors.As(err, &ae) {
					t.Errorf("revoked: %v", err)
				}
			}
		})
	}
}

func TestVerifyAndUsage(t *testing.T) {
	srv, c := adminClient(t, client.Hypedata)
	ctx := context.Background()
	who, err := c.Verify(ctx)
	if err != nil || who.Environment != "live" || len(who.Scopes) != 3 {
		t.Fatalf("Verify: %+v %v", who, err)
	}
	_ = c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil)
	u, err := c.Usage(ctx)
	if err != nil || u.Requests != 3 || u.Credits != 1 || u.KeyID != who.KeyID {
		t.Errorf("Usage: %+v %v", u, err)
	}
	hs := client.HyperSync
	srv2 := clienttest.NewServer(hs)
	defer srv2.Close()
	k, _, _ := srv2.IssueKey(clienttest.KeyParams{})
	c2, _ := srv2.NewClient(k)
	if _, err := c2.Keys().List(ctx); err == nil || !strings.Contains(err.Error(), "no key-management API") {
		t.Errorf("HyperSync List: %v", err)
	}
	_ = srv
}

func TestRotate(t *testing.T) {
	srv, c := adminClient(t, client.Hypedata)
	ctx := context.Background()
	old, oldInfo, _ := srv.IssueKey(clienttest.KeyParams{Name: "worker", Scopes: []string{"scrape"}, CreditCeiling: 50})
	worker, _ := srv.NewClient(old)
	_ = worker.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil)

	var deployed keys.Key
	res, err := c.Keys().Rotate(ctx, oldInfo.ID, client.RotateOptions{
		PollInterval: time.Millisecond, MaxPollInterval: 2 * time.Millisecond,
		Deploy: func(ctx context.Context, nk *client.NewKey) error {
			deployed = nk.Secret
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Polls < 2 || !res.Old.Revoked() || res.Old.RevokedReason != "rotated" || res.New.Name != "worker" || res.New.CreditCeiling != 50 {
		t.Errorf("result %+v", res)
	}
	fresh, _ := srv.NewClient(deployed)
	if err := fresh.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil); err != nil {
		t.Errorf("new key: %v", err)
	}
	if err := worker.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil); !errors.Is(err, apierrors.ErrRevoked) {
		t.Errorf("old key after rotation: %v", err)
	}

	// A failing deploy leaves both keys valid and names the step.
	old2, info2, _ := srv.IssueKey(clienttest.KeyParams{Name: "w2"})
	_, err = c.Keys().Rotate(ctx, info2.ID, client.RotateOptions{Deploy: func(context.Context, *client.NewKey) error {
		return errors.New("vault is sealed")
	}})
	var re *client.RotateError
	if !errors.As(err, &re) || re.Step != client.StepDeploy || re.NewKey == nil || !strings.Contains(err.Error(), "vault is sealed") {
		t.Fatalf("err = %v", err)
	}
	for _, k := range []keys.Key{old2, re.NewKey.Secret} {
		kc, _ := srv.NewClient(k)
		if err := kc.Do(ctx, "GET", "/v1/whoami", nil, nil); err != nil {
			t.Errorf("key %s no longer works after a failed rotation: %v", k, err)
		}
	}
	if _, err := c.Keys().Rotate(ctx, info2.ID, client.RotateOptions{}); err == nil || !strings.Contains(err.Error(), "Deploy is nil") {
		t.Errorf("nil deploy: %v", err)
	}
	// A context that ends during the rotation stops it, revoking nothing.
	cctx, cancel := context.WithCancel(ctx)
	_, err = c.Keys().Rotate(cctx, info2.ID, client.RotateOptions{
		Deploy: func(context.Context, *client.NewKey) error { cancel(); return nil },
	})
	if !errors.As(err, &re) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled rotation: %v", err)
	}
	if k, ok := srv.Key(info2.ID); !ok || k.Revoked() {
		t.Error("the old key was revoked by a cancelled rotation")
	}
}
