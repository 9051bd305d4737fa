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
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

func main() {
	live := flag.Bool("live", false, "run the read-only steps against the real API, with the key from the env var, ./.env or the config file")
	service := flag.String("service", "hypedata", "with -live: hypedata, hypersave, hopx, hypersync or web3storage")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := &printer{w: os.Stdout, width: width}
	var err error
	if *live {
		err = runLive(ctx, p, *service)
	} else {
		err = runOffline(ctx, p)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// width is the terminal width the output is wrapped to.
const width = 100

// printer writes the walk-through wrapped to width columns, so that it reads
// well in an ordinary terminal: a long line breaks between words, and its
// continuation lines are indented under the text it began.
type printer struct {
	w     io.Writer
	width int
}

// say prints one paragraph: format and args, indented by indent, wrapped.
func (p *printer) say(indent, format string, args ...any) {
	for _, line := range strings.Split(fmt.Sprintf(format, args...), "\n") {
		fmt.Fprint(p.w, wrap(line, indent, indent+"  ", p.width))
	}
}

// step prints a numbered heading.
func (p *printer) step(n int, title string) { fmt.Fprintf(p.w, "\n%d. %s\n", n, title) }

// wrap breaks text between words so that no line passes width columns
// (a word longer than a whole line stands on its own). The first line is
// indented by first, the others by rest. Text that fits is left as it is.
func wrap(text, first, rest string, width int) string {
	if utf8.RuneCountInString(first+text) <= width {
		return first + text + "\n" // as written: a table row keeps its spacing
	}
	var b strings.Builder
	line, col := first, utf8.RuneCountInString(first)
	empty := true
	for _, word := range strings.Fields(text) {
		n := utf8.RuneCountInString(word)
		if !empty && col+1+n > width {
			b.WriteString(line + "\n")
			line, col, empty = rest, utf8.RuneCountInString(rest), true
		}
		if !empty {
			line += " "
			col++
		}
		line += word
		col += n
		empty = false
	}
	b.WriteString(line + "\n")
	return b.String()
}

// sandbox keeps the offline walk-through away from your own setup: it puts
// the admin key in HYPEDATA_API_KEY for this process only, and moves the
// working directory and the config file to a temporary folder holding a
// .env and a config.yaml of their own (with other keys, to show which
// place wins). Your real keys, .env, config file and api_key_command are
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
	return cleanup, nil
}

func runOffline(ctx context.Context, p *printer) error {
	p.say("", "apikit-go quickstart: the whole story, offline, against an in-memory copy of the Hypedata API "+
		"(package client/clienttest). No key and no network needed.")
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

	p.step(1, "Finding the key")
	p.say("   ", "For this run only, %s holds a key of the in-memory server, and a temporary folder "+
		"stands in for your working directory and config file, each with a key of its own. Your own keys are not read.",
		client.Hypedata.EnvVar)
	c, err := client.New(client.WithService(client.Hypedata), client.WithBaseURL(srv.URL),
		client.WithRetryHook(func(ev client.RetryEvent) {
			p.say("   ", "↻ %s: attempt %d got %s; waiting %s (%s)", ev.Path, ev.Attempt, ev.Reason, ev.Wait, why(ev))
		}))
	if err != nil {
		return err
	}
	cred, err := c.Credential(ctx)
	if err != nil {
		return err
	}
	p.say("   ", "The SDK looks in these places, in this order, and uses the first key it finds:")
	showPlaces(p, c.Diagnose(ctx))
	p.say("   ", "It uses %s, a %s key. The SDK never prints a key whole: it shows its start and end, as here, "+
		"and in logs names it by a fingerprint (%s), a short label made from the key that cannot be turned back into it.",
		cred.Key, cred.Key.Env(), cred.Key.Fingerprint())

	p.step(2, "A successful call")
	var page struct {
		URL     string `json:"url"`
		Content string `json:"content"`
	}
	if err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, &page); err != nil {
		return err
	}
	p.say("   ", "GET /v1/scrape → %s (%d bytes of content)", page.URL, len(page.Content))
	who, err := c.Verify(ctx)
	if err != nil {
		return err
	}
	p.say("   ", "Verify: the key is %s, named %q, a %s key with the scopes %v", who.KeyID, who.Name, who.Environment, who.Scopes)
	if who.Assumed { // Hypedata documents no key test: its whoami is this SDK's assumption
		p.say("   ", "(Verify asked %s, which this SDK assumes Hypedata has: its documentation names no key test.)", who.CheckedWith)
	}

	p.step(3, "A rate limit, honoured")
	limited, _, err := srv.IssueKey(clienttest.KeyParams{Name: "limited", Scopes: []string{"scrape"}, RateLimitPerSecond: 1})
	if err != nil {
		return err
	}
	lc, err := srv.NewClient(limited, client.WithRetryHook(func(ev client.RetryEvent) {
		p.say("   ", "↻ attempt %d got %s; waiting %s (%s)", ev.Attempt, ev.Reason, ev.Wait, why(ev))
	}))
	if err != nil {
		return err
	}
	p.say("   ", "A key allowed one request a second makes two calls:")
	for i := 1; i <= 2; i++ {
		start := time.Now()
		if err := lc.Do(ctx, "GET", "/v1/scrape?url=https://example.com/"+fmt.Sprint(i), nil, nil); err != nil {
			return err
		}
		p.say("   ", "call %d ok after %s", i, time.Since(start).Round(100*time.Millisecond))
	}
	// An hourly quota, on a server whose clock stands still at the top of
	// the hour, so that the wait is always the full hour.
	hourSrv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clienttest.NewFakeClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))))
	defer hourSrv.Close()
	hourly, _, _ := hourSrv.IssueKey(clienttest.KeyParams{Name: "hourly", Scopes: []string{"scrape"}, RateLimitPerHour: 1})
	hc, _ := hourSrv.NewClient(hourly)
	// A deadline longer than the cap, so that the cap is what refuses the wait.
	hctx, hcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer hcancel()
	_ = hc.Do(hctx, "GET", "/v1/scrape?url=https://example.com", nil, nil)
	start := time.Now()
	err = hc.Do(hctx, "GET", "/v1/scrape?url=https://example.com", nil, nil)
	if d, ok := apierrors.RetryAfter(err); ok {
		p.say("   ", "A key allowed one request an hour makes a second call. The first call's answer said the "+
			"quota is spent for %s, longer than the SDK waits by itself (60s, WithMaxRetryAfter), so the second "+
			"is not sent: it returns at once (after %s) with an error your code can read the wait from, to "+
			"schedule the work later:",
			d.Round(time.Second), time.Since(start).Round(time.Millisecond))
		p.say("     ", "%v", err)
	}

	p.step(4, "Typed errors")
	revoked, revokedInfo, _ := srv.IssueKey(clienttest.KeyParams{Name: "old-laptop"})
	_ = srv.RevokeKey(revokedInfo.ID, "laptop lost")
	rc, _ := srv.NewClient(revoked)
	err = rc.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil)
	var apiErr *apierrors.Error
	if errors.As(err, &apiErr) {
		p.say("   ", "A revoked key: errors.Is(err, apierrors.ErrRevoked) is %v, and the reason given is %q. "+
			"The error reads:", errors.Is(err, apierrors.ErrRevoked), apiErr.Reason)
		p.say("     ", "%v", err)
	}
	err = c.Do(ctx, "GET", "/v1/serp?q=golang", nil, nil)
	if errors.As(err, &apiErr) && errors.Is(err, apierrors.ErrInsufficientScope) {
		p.say("   ", "A key without the permission (scope) a call needs: the call needs %q.", apiErr.RequiredScope)
		p.say("     ", "%v", err)
	}
	_, err = client.New(client.WithService(client.Hypedata), client.WithAPIKey("hd_live_abc "))
	p.say("   ", "A key with a typo is refused before any request is sent:")
	p.say("     ", "%v", err)

	p.step(5, "Managing keys")
	nk, err := c.Keys().Create(ctx, client.CreateKeyParams{Name: "ci-runner", Environment: "test", Scopes: []string{"scrape"}})
	if err != nil {
		return err
	}
	p.say("   ", "Created %s %q. Its secret, %s, is shown only this once; printing it shows only its ends.", nk.ID, nk.Name, nk.Secret)
	list, err := c.Keys().List(ctx)
	if err != nil {
		return err
	}
	p.say("   ", "Every key of the account:")
	for _, k := range list {
		state := "active"
		if k.Revoked() {
			state = "revoked (" + k.RevokedReason + ")"
		}
		p.say("   ", "- %s %-12s %-4s %s %s", k.ID, k.Name, k.Environment, k.Redacted, state)
	}

	p.step(6, "Rotating a key")
	deployed := nk.Secret
	res, err := c.Keys().Rotate(ctx, nk.ID, client.RotateOptions{
		Reason:       "scheduled rotation",
		PollInterval: 50 * time.Millisecond,
		Deploy: func(_ context.Context, k *client.NewKey) error {
			deployed = k.Secret // in real life: write it to your secret store, restart workers
			p.say("   ", "deploy: the new key %s is now in use by the workers", k.Secret)
			return nil
		},
	})
	if err != nil {
		return err
	}
	p.say("   ", "Rotated %s → %s: the SDK checked the old key's usage %d times until its traffic stopped, then "+
		"revoked it (revoked: %v).", res.Old.ID, res.New.ID, res.Polls, res.Old.Revoked())
	p.say("   ", "The workers now use %s.", deployed)
	p.say("", "\nDone. Next: see examples/ for more, and README.md, \"Testing your code\", to use this in-memory server in your own tests.")
	return nil
}

// showPlaces prints where the client looked for its key, in plain words:
// each place, the key it holds (shown by its ends only) or why it holds
// none, and which one is used.
func showPlaces(p *printer, r credentials.Report) {
	for i, e := range r.Entries {
		var what string
		switch {
		case e.Wins && e.Found && e.Valid:
			what = fmt.Sprintf("%s  <- used", e.Key)
		case e.ShadowedBy != "":
			what = fmt.Sprintf("%s, not used: a place above has a key", e.Key)
		case e.Found && !e.Valid:
			what = "not a valid key: " + e.Problem
		case e.Problem != "":
			what = "no key (" + e.Problem + ")"
		default:
			what = "no key"
		}
		p.say("   ", "%d. %s: %s", i+1, e.Source, what)
	}
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
func runLive(ctx context.Context, p *printer, name string) error {
	svc, ok := services[name]
	if !ok {
		return fmt.Errorf("-service %q: want one of hypedata, hypersave, hopx, hypersync, web3storage", name)
	}
	c, err := client.New(client.WithService(svc))
	if err != nil {
		return err
	}
	p.say("", "apikit-go quickstart: live and read-only, against %s (%s)", svc.Name, c.BaseURL())
	p.say("", "The SDK looks in these places, in this order, and uses the first key it finds:")
	showPlaces(p, c.Diagnose(ctx))
	cred, err := c.Credential(ctx)
	if err != nil {
		return err // says every place it looked and what to set
	}
	p.say("", "Using %s from %s.", cred.Key, cred.Source)
	who, err := c.Verify(ctx) // the service's documented key test, where it has one
	switch {
	case errors.Is(err, client.ErrNoKeyTest):
		p.say("", "%s documents no key test, so the key is not checked here: %v", svc.Name, err)
	case err != nil:
		return err
	case who.KeyID != "":
		p.say("", "The key is %s (%s), with the scopes %v.", who.KeyID, who.Environment, who.Scopes)
		if who.Assumed {
			p.say("", "(Verify asked %s, this SDK's assumption: %s documents no key test.)", who.CheckedWith, svc.Name)
		}
	default:
		p.say("", "The service accepts the key (%s).", who.CheckedWith)
	}
	if svc.UsagePath != "" {
		u, err := c.Usage(ctx)
		switch {
		case errors.Is(err, apierrors.ErrPermission):
			p.say("", "Usage: this key may not read it: %v", err)
		case notFound(err): // Hypedata's /v1/usage is this SDK's assumption (docs/PROTOCOL.md)
			p.say("", "Usage: the service has no GET %s (this SDK's assumption), so it is not shown.", svc.UsagePath)
		case err != nil:
			return err
		default:
			p.say("", "Usage: %d requests, %d credits this period.", u.Requests, u.Credits)
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

// notFound reports whether err is the service's 404: a path this SDK assumes
// the service has, and it does not.
func notFound(err error) bool {
	var ae *apierrors.Error
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}
