// Command quickstart walks through apikit-go's story against an in-memory
// Hypedata server: where the key came from, a call, a rate limit honoured,
// typed errors for a revoked key and a missing scope, and key management
// with a rotation. It needs no key and no network.
//
//	go run ./examples/quickstart
//
// With -live it instead runs the read-only parts (where the key was found,
// verify it, read its usage) against the real API of -service (default
// hypedata), with the key found the usual way: the service's env var (for
// example HYPEDATA_API_KEY), ./.env, or the config file.
//
//	HYPEDATA_API_KEY=hd_live_… go run ./examples/quickstart -live
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

func main() {
	live := flag.Bool("live", false, "run the read-only steps against the real API, with the key from the env var, ./.env or the config file")
	service := flag.String("service", "hypedata", "with -live: hypedata, hypersave, hopx, hypersync or web3storage")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var err error
	if *live {
		err = runLive(ctx, *service)
	} else {
		err = runOffline(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func step(n int, title string) { fmt.Printf("\n%d. %s\n", n, title) }

// sandbox keeps the offline walk-through away from your own setup: it puts
// the admin key in HYPEDATA_API_KEY for this process only, and moves the
// working directory and the config file to a temporary folder holding a
// .env and a config.yaml of its own (with other keys, to show what the env
// var shadows). Your real keys, .env, config file and api_key_command are
// never read.
func sandbox(srv *clienttest.Server, admin keys.Key) (cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "apikit-quickstart-")
	if err != nil {
		return nil, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	cleanup = func() {
		_ = os.Chdir(wd)
		_ = os.RemoveAll(dir)
	}
	dotenvKey, _, err1 := srv.IssueKey(clienttest.KeyParams{Name: "from-dotenv", Env: keys.EnvTest})
	configKey, _, err2 := srv.IssueKey(clienttest.KeyParams{Name: "from-config", Env: keys.EnvTest})
	if err := errors.Join(err1, err2); err != nil {
		cleanup()
		return nil, err
	}
	config := filepath.Join(dir, "config.yaml")
	err = errors.Join(
		os.WriteFile(filepath.Join(dir, ".env"), []byte("HYPEDATA_API_KEY="+dotenvKey.Reveal()+"\n"), 0o600),
		os.WriteFile(config, []byte("profiles:\n  default:\n    hypedata: { api_key: "+configKey.Reveal()+" }\n"), 0o600),
		os.Chdir(dir),
		os.Setenv("APIKIT_CONFIG_FILE", config),
		os.Unsetenv("APIKIT_PROFILE"),
		os.Unsetenv(client.Hypedata.BaseURLEnvVar),
		os.Setenv(client.Hypedata.EnvVar, admin.Reveal()),
	)
	if err != nil {
		cleanup()
		return nil, err
	}
	fmt.Printf("   (for this process only: %s holds an in-memory admin key, and the working directory and\n"+
		"    config file are a temporary folder with a .env and a config.yaml of their own; your keys are not read)\n",
		client.Hypedata.EnvVar)
	return cleanup, nil
}

func runOffline(ctx context.Context) error {
	fmt.Println("apikit-go quickstart — offline, against an in-memory Hypedata server (client/clienttest)")
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()

	// An admin key, as you would create it in the dashboard, put where the
	// SDK looks first: the service's environment variable (this process only).
	admin, _, err := srv.IssueKey(clienttest.KeyParams{Name: "quickstart", Env: keys.EnvTest,
		Scopes: []string{"scrape", "admin", "billing"}})
	if err != nil {
		return err
	}
	cleanup, err := sandbox(srv, admin)
	if err != nil {
		return err
	}
	defer cleanup()

	step(1, "Finding the key")
	c, err := client.New(client.WithService(client.Hypedata), client.WithBaseURL(srv.URL),
		client.WithRetryHook(func(ev client.RetryEvent) {
			fmt.Printf("   ↻ %s: attempt %d got %s; waiting %s (%s)\n", ev.Path, ev.Attempt, ev.Reason, ev.Wait, why(ev))
		}))
	if err != nil {
		return err
	}
	cred, err := c.Credential(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("   using %s (fingerprint %s, %s key)\n", cred, cred.Key.Fingerprint(), cred.Key.Env())
	fmt.Print(indent(c.Diagnose(ctx).String()))

	step(2, "A successful call")
	var page struct {
		URL     string `json:"url"`
		Content string `json:"content"`
	}
	if err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, &page); err != nil {
		return err
	}
	fmt.Printf("   GET /v1/scrape → %s (%d bytes of content)\n", page.URL, len(page.Content))
	who, err := c.Verify(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("   Verify: key %s is %q, %s, scopes %v\n", who.KeyID, who.Name, who.Environment, who.Scopes)

	step(3, "A rate limit, honoured")
	limited, _, err := srv.IssueKey(clienttest.KeyParams{Name: "limited", Scopes: []string{"scrape"}, RateLimitPerSecond: 1})
	if err != nil {
		return err
	}
	lc, err := srv.NewClient(limited, client.WithRetryHook(func(ev client.RetryEvent) {
		fmt.Printf("   ↻ attempt %d got %s; waiting %s (%s)\n", ev.Attempt, ev.Reason, ev.Wait, why(ev))
	}))
	if err != nil {
		return err
	}
	for i := 1; i <= 2; i++ {
		start := time.Now()
		if err := lc.Do(ctx, "GET", "/v1/scrape?url=https://example.com/"+fmt.Sprint(i), nil, nil); err != nil {
			return err
		}
		fmt.Printf("   call %d ok after %s\n", i, time.Since(start).Round(100*time.Millisecond))
	}
	// An hourly quota, on a server whose clock stands still at the top of
	// the hour, so that the wait is always the full hour.
	hourSrv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clienttest.NewFakeClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))))
	defer hourSrv.Close()
	hourly, _, _ := hourSrv.IssueKey(clienttest.KeyParams{Name: "hourly", Scopes: []string{"scrape"}, RateLimitPerHour: 1})
	hc, _ := hourSrv.NewClient(hourly)
	_ = hc.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil)
	start := time.Now()
	err = hc.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil)
	if d, ok := apierrors.RetryAfter(err); ok {
		fmt.Printf("   hourly limit: the server asks for %s, more than the 60s cap, so the SDK returned in %s\n", d.Round(time.Second), time.Since(start).Round(time.Millisecond))
		fmt.Printf("   with a typed error to schedule on: %v\n", err)
	}

	step(4, "Typed errors")
	revoked, revokedInfo, _ := srv.IssueKey(clienttest.KeyParams{Name: "old-laptop"})
	_ = srv.RevokeKey(revokedInfo.ID, "laptop lost")
	rc, _ := srv.NewClient(revoked)
	err = rc.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil)
	var apiErr *apierrors.Error
	if errors.As(err, &apiErr) {
		fmt.Printf("   revoked key: errors.Is(err, apierrors.ErrRevoked) = %v; reason %q\n", errors.Is(err, apierrors.ErrRevoked), apiErr.Reason)
		fmt.Printf("   %v\n", err)
	}
	err = c.Do(ctx, "GET", "/v1/serp?q=golang", nil, nil)
	if errors.As(err, &apiErr) && errors.Is(err, apierrors.ErrInsufficientScope) {
		fmt.Printf("   missing scope: the call needs %q\n   %v\n", apiErr.RequiredScope, err)
	}
	_, err = client.New(client.WithService(client.Hypedata), client.WithAPIKey("hd_live_abc "))
	fmt.Printf("   malformed key, refused before any request: %v\n", err)

	step(5, "Managing keys")
	nk, err := c.Keys().Create(ctx, client.CreateKeyParams{Name: "ci-runner", Environment: "test", Scopes: []string{"scrape"}})
	if err != nil {
		return err
	}
	fmt.Printf("   created %s %q: secret %s (shown once; printing it redacts it)\n", nk.ID, nk.Name, nk.Secret)
	list, err := c.Keys().List(ctx)
	if err != nil {
		return err
	}
	for _, k := range list {
		state := "active"
		if k.Revoked() {
			state = "revoked (" + k.RevokedReason + ")"
		}
		fmt.Printf("   - %s %-12s %-4s %s %s\n", k.ID, k.Name, k.Environment, k.Redacted, state)
	}

	step(6, "Rotating a key")
	deployed := nk.Secret
	res, err := c.Keys().Rotate(ctx, nk.ID, client.RotateOptions{
		Reason:       "scheduled rotation",
		PollInterval: 50 * time.Millisecond,
		Deploy: func(_ context.Context, k *client.NewKey) error {
			deployed = k.Secret // in real life: write it to your secret store, restart workers
			fmt.Printf("   deploy: new key %s is live in the workers\n", k.Secret)
			return nil
		},
	})
	if err != nil {
		return err
	}
	fmt.Printf("   rotated: %s → %s after %d usage polls; old key revoked: %v\n", res.Old.ID, res.New.ID, res.Polls, res.Old.Revoked())
	fmt.Printf("   the workers now use %s\n", deployed)
	fmt.Println("\nDone. Next: go test ./... — and see examples/ for more.")
	return nil
}

// services are the profiles -live can reach, by the name -service takes.
var services = map[string]client.Service{
	"hypedata": client.Hypedata, "hypersave": client.Hypersave, "hopx": client.HopX,
	"hypersync": client.HyperSync, "web3storage": client.Web3Storage,
}

// runLive runs the read-only steps against the real service: where the key
// is found (the usual order: env var, ./.env, config file), who it is, and
// its usage, where the service offers those endpoints. Nothing is created,
// changed or revoked.
func runLive(ctx context.Context, name string) error {
	svc, ok := services[name]
	if !ok {
		return fmt.Errorf("-service %q: want one of hypedata, hypersave, hopx, hypersync, web3storage", name)
	}
	c, err := client.New(client.WithService(svc))
	if err != nil {
		return err
	}
	fmt.Printf("apikit-go quickstart — live, read-only, against %s (%s)\n", svc.Name, c.BaseURL())
	fmt.Print(c.Diagnose(ctx).String())
	cred, err := c.Credential(ctx)
	if err != nil {
		return err // says every place it looked and what to set
	}
	fmt.Printf("using %s\n", cred)
	if svc.WhoamiPath != "" {
		who, err := c.Verify(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("key %s (%s), scopes %v\n", who.KeyID, who.Environment, who.Scopes)
	}
	if svc.UsagePath != "" {
		u, err := c.Usage(ctx)
		switch {
		case errors.Is(err, apierrors.ErrPermission):
			fmt.Printf("usage: not readable with this key: %v\n", err)
		case err != nil:
			return err
		default:
			fmt.Printf("usage: %d requests, %d credits this period\n", u.Requests, u.Credits)
		}
	}
	return nil
}

// why says where a retry's wait came from.
func why(ev client.RetryEvent) string {
	if ev.ServerAsked {
		return "as the server asked"
	}
	return "backoff"
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("   " + line + "\n")
	}
	return b.String()
}
