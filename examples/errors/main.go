// Command errors shows every documented failure of an API key as the typed
// error apikit-go returns, offline, against an in-memory Hypedata server
// (client/clienttest): for each, its one-line text, the sentinels it matches
// with errors.Is, and its fields through errors.As to *apierrors.Error. It
// ends with the same revoked key against every dialect, to show that the
// canonical code does not depend on how the service spells it.
//
// Run it with:
//
//	go run ./examples/errors
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// sentinels are the class sentinels (first four) and the code sentinels.
var sentinels = []struct {
	name string
	err  error
}{
	{"ErrAuthentication", apierrors.ErrAuthentication},
	{"ErrPermission", apierrors.ErrPermission},
	{"ErrPayment", apierrors.ErrPayment},
	{"ErrRateLimited", apierrors.ErrRateLimited},
	{"ErrMissingCredentials", apierrors.ErrMissingCredentials},
	{"ErrMalformedToken", apierrors.ErrMalformedToken},
	{"ErrUnknownKey", apierrors.ErrUnknownKey},
	{"ErrRevoked", apierrors.ErrRevoked},
	{"ErrExpired", apierrors.ErrExpired},
	{"ErrUnauthorizedIP", apierrors.ErrUnauthorizedIP},
	{"ErrInsufficientScope", apierrors.ErrInsufficientScope},
	{"ErrKeyCeilingExceeded", apierrors.ErrKeyCeilingExceeded},
	{"ErrWorkspaceBalance", apierrors.ErrWorkspaceBalance},
}

// matching lists the sentinels err matches.
func matching(err error) string {
	var names []string
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			names = append(names, s.name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

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

// report prints one scenario's error and checks it is the expected one.
func report(title string, err, want error) error {
	fmt.Printf("\n── %s\n", title)
	if err == nil {
		return fmt.Errorf("%s: expected an error, got none", title)
	}
	wrap("   error:     ", err.Error())
	wrap("   errors.Is: ", matching(err))
	var apiErr *apierrors.Error
	if errors.As(err, &apiErr) {
		wrap("   fields:    ", fields(apiErr))
	} else {
		fmt.Println("   fields:    not an *apierrors.Error: the SDK refused before sending anything")
	}
	if !errors.Is(err, want) {
		return fmt.Errorf("%s: expected an error matching %v, got: %v", title, want, err)
	}
	return nil
}

// fields renders the *apierrors.Error fields that are set.
func fields(e *apierrors.Error) string {
	s := fmt.Sprintf("StatusCode %d, Code %s, RawCode %q", e.StatusCode, e.Code, e.RawCode)
	if e.RequiredScope != "" {
		s += fmt.Sprintf(", RequiredScope %q", e.RequiredScope)
	}
	if !e.RevokedAt.IsZero() {
		s += fmt.Sprintf(", RevokedAt %s, Reason %q", e.RevokedAt.Format(time.RFC3339), e.Reason)
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(", RetryAfter %s", e.RetryAfter)
	}
	if e.RequestID != "" {
		s += ", RequestID " + e.RequestID
	}
	return s
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "errors:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	fmt.Println("apikit-go errors — offline, against an in-memory Hypedata server (client/clienttest)")
	// A fake clock lets the example expire a key without waiting for it, and
	// keeps rate windows still.
	clock := clienttest.NewFakeClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	defer srv.Close()
	const scrape = "/v1/scrape?url=https://example.com"

	// call sends one request with key and returns its error.
	call := func(k keys.Key, path string) error {
		c, err := srv.NewClient(k)
		if err != nil {
			return err
		}
		return c.Do(ctx, "GET", path, nil, nil)
	}
	// issue makes a key with p's settings.
	issue := func(p clienttest.KeyParams) (keys.Key, client.KeyInfo, error) {
		if p.Name == "" {
			p.Name = "example"
		}
		return srv.IssueKey(p)
	}

	// 1. No key anywhere: the client's only source is an unset variable.
	const unset = "APIKIT_EXAMPLE_UNSET_KEY"
	os.Unsetenv(unset)
	nokey, err := client.New(client.WithService(srv.Service()), client.WithBaseURL(srv.URL), client.WithCredentials(credentials.Env(unset)))
	if err != nil {
		return err
	}
	err = nokey.Do(ctx, "GET", scrape, nil, nil)
	if err := report("Missing key: credentials.Env of an unset variable", err, apierrors.ErrMissingCredentials); err != nil {
		return err
	}
	var nf *credentials.NotFoundError
	if errors.As(err, &nf) {
		wrap("   errors.As(err, &notFound): ", fmt.Sprintf("%d place(s) tried, first: %s (%s)", len(nf.Tried), nf.Tried[0].Source, nf.Tried[0].Why))
	}

	// 2. A key one character short, as a truncated copy-paste gives: refused
	// by New, before any request.
	truncated := "hd_live_" + strings.Repeat("x", 31)
	_, err = client.New(client.WithService(srv.Service()), client.WithBaseURL(srv.URL), client.WithAPIKey(truncated))
	if err := report("Malformed key: one character short (client.New)", err, apierrors.ErrMalformedToken); err != nil {
		return err
	}
	var pe *keys.ParseError
	if errors.As(err, &pe) {
		wrap("   errors.As(err, &parseErr): ", fmt.Sprintf("Format %q, Problem %q", pe.Format, pe.Problem))
	}
	// The same from a source read lazily: refused by Do, before any request.
	const badVar = "APIKIT_EXAMPLE_BAD_KEY"
	os.Setenv(badVar, "hd_live_"+strings.Repeat("x", 20)+"+"+strings.Repeat("x", 11))
	defer os.Unsetenv(badVar)
	badc, err := client.New(client.WithService(srv.Service()), client.WithBaseURL(srv.URL), client.WithCredentials(credentials.Env(badVar)))
	if err != nil {
		return err
	}
	err = badc.Do(ctx, "GET", scrape, nil, nil)
	if err := report("Malformed key: a bad character, from an env var (c.Do)", err, apierrors.ErrMalformedToken); err != nil {
		return err
	}
	if errors.As(err, &pe) {
		fmt.Printf("   errors.As(err, &parseErr): Position %d\n", pe.Position)
	}
	if n := len(srv.Requests()); n != 0 {
		return fmt.Errorf("the missing and malformed keys should not reach the server; it saw %d requests", n)
	}
	fmt.Println("   srv.Requests() is empty: the missing and malformed keys never left the process")

	// 3. Well-formed, but the server never issued it.
	unknown, err := keys.Hypedata.Generate(keys.EnvLive, nil)
	if err != nil {
		return err
	}
	if err := report("Unknown key: well-formed, never issued", call(unknown, scrape), apierrors.ErrUnknownKey); err != nil {
		return err
	}

	// 4. Revoked by an admin.
	revoked, info, err := issue(clienttest.KeyParams{Name: "old-laptop"})
	if err != nil {
		return err
	}
	if err := srv.RevokeKey(info.ID, "laptop stolen"); err != nil {
		return err
	}
	if err := report("Revoked key", call(revoked, scrape), apierrors.ErrRevoked); err != nil {
		return err
	}

	// 5. Past its expiry: works at 09:00, refused two hours later.
	expiring, _, err := issue(clienttest.KeyParams{ExpiresAt: clock.Now().Add(time.Hour)})
	if err != nil {
		return err
	}
	if err := call(expiring, scrape); err != nil {
		return fmt.Errorf("the key should work before it expires: %w", err)
	}
	clock.Advance(2 * time.Hour)
	if err := report("Expired key: ExpiresAt 10:00, clock advanced to 11:00", call(expiring, scrape), apierrors.ErrExpired); err != nil {
		return err
	}

	// 6. Allowed from 10.0.0.0/8 only; the example calls from 127.0.0.1.
	ipKey, _, err := issue(clienttest.KeyParams{AllowedIPs: []string{"10.0.0.0/8"}})
	if err != nil {
		return err
	}
	if err := report("IP not allowed: AllowedIPs 10.0.0.0/8", call(ipKey, scrape), apierrors.ErrUnauthorizedIP); err != nil {
		return err
	}

	// 7. A scrape-only key calling the search endpoint.
	scoped, _, err := issue(clienttest.KeyParams{Scopes: []string{"scrape"}})
	if err != nil {
		return err
	}
	if err := report("Missing scope: a scrape-only key on /v1/serp", call(scoped, "/v1/serp?q=golang"), apierrors.ErrInsufficientScope); err != nil {
		return err
	}

	// 8. A key allowed to spend 1 credit; each scrape costs 1.
	ceiling, _, err := issue(clienttest.KeyParams{CreditCeiling: 1})
	if err != nil {
		return err
	}
	if err := call(ceiling, scrape); err != nil {
		return fmt.Errorf("the first call should fit the ceiling: %w", err)
	}
	if err := report("Credit ceiling: CreditCeiling 1, second call", call(ceiling, scrape), apierrors.ErrKeyCeilingExceeded); err != nil {
		return err
	}

	// 9. The workspace has run out of credits.
	payer, _, err := issue(clienttest.KeyParams{})
	if err != nil {
		return err
	}
	balance := srv.Balance()
	srv.SetBalance(0)
	err = call(payer, scrape)
	srv.SetBalance(balance)
	if err := report("Workspace balance: srv.SetBalance(0)", err, apierrors.ErrWorkspaceBalance); err != nil {
		return err
	}

	// 10. One request per hour: the second call's wait (an hour) is over the
	// client's 60s cap, so it returns at once with RetryAfter set.
	hourly, _, err := issue(clienttest.KeyParams{RateLimitPerHour: 1})
	if err != nil {
		return err
	}
	if err := call(hourly, scrape); err != nil {
		return fmt.Errorf("the first call should fit the rate limit: %w", err)
	}
	err = call(hourly, scrape)
	if err := report("Rate limit: RateLimitPerHour 1, second call", err, apierrors.ErrRateLimited); err != nil {
		return err
	}
	if d, ok := apierrors.RetryAfter(err); ok {
		fmt.Printf("   apierrors.RetryAfter(err) = %s: schedule the next call, or use another key\n", d)
	}

	return dialects(ctx)
}

// dialects revokes a key on a server of each dialect and shows how the SDK
// reads each answer.
func dialects(ctx context.Context) error {
	fmt.Println("\n── The same revoked key, five dialects")
	fmt.Printf("   %-12s %-7s %-22s %-18s %s\n", "service", "status", "server's code", "Code", "errors.Is")
	for _, tc := range []struct {
		svc  client.Service
		want error
	}{
		{client.Hypedata, apierrors.ErrRevoked},
		{client.Hypersave, apierrors.ErrRevoked},
		{client.HopX, apierrors.ErrRevoked},
		{client.HyperSync, apierrors.ErrRevoked},
		// web3.storage answers a revoked token with 403 ERROR_TOKEN_BLOCKED,
		// which it also uses for expired tokens: only the class survives.
		{client.Web3Storage, apierrors.ErrPermission},
	} {
		err := revokedCall(ctx, tc.svc)
		var apiErr *apierrors.Error
		if !errors.As(err, &apiErr) {
			return fmt.Errorf("%s: expected an *apierrors.Error, got: %v", tc.svc.Name, err)
		}
		raw := apiErr.RawCode
		if raw == "" {
			raw = "(none: plain text)"
		}
		fmt.Printf("   %-12s %-7d %-22s %-18s %s\n", tc.svc.Name, apiErr.StatusCode, raw, apiErr.Code, matching(err))
		if !errors.Is(err, tc.want) {
			return fmt.Errorf("%s: expected an error matching %v, got: %v", tc.svc.Name, tc.want, err)
		}
	}
	fmt.Println("   One canonical code, revoked, whatever the spelling; web3.storage's dialect cannot say")
	fmt.Println("   \"revoked\" (403 ERROR_TOKEN_BLOCKED), so there only ErrPermission is honest.")
	return nil
}

// revokedCall issues a key on an in-memory server of svc, revokes it and
// returns the error of a call made with it.
func revokedCall(ctx context.Context, svc client.Service) error {
	srv := clienttest.NewServer(svc)
	defer srv.Close()
	k, info, err := srv.IssueKey(clienttest.KeyParams{Name: "old-laptop"})
	if err != nil {
		return err
	}
	if err := srv.RevokeKey(info.ID, "laptop stolen"); err != nil {
		return err
	}
	c, err := srv.NewClient(k)
	if err != nil {
		return err
	}
	err = c.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, nil)
	if err == nil {
		return fmt.Errorf("%s: a revoked key was accepted", svc.Name)
	}
	return err
}
