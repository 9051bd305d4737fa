// Command errors shows every documented failure as the typed error the SDK
// returns: its one-line text, the sentinels it matches, and its fields.
// Offline, against clienttest.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

var sentinels = []struct {
	name string
	err  error
}{
	{"ErrAuthentication", apierrors.ErrAuthentication}, {"ErrPermission", apierrors.ErrPermission},
	{"ErrPayment", apierrors.ErrPayment}, {"ErrRateLimited", apierrors.ErrRateLimited},
	{"ErrMissingCredentials", apierrors.ErrMissingCredentials}, {"ErrMalformedToken", apierrors.ErrMalformedToken},
	{"ErrUnknownKey", apierrors.ErrUnknownKey}, {"ErrRevoked", apierrors.ErrRevoked}, {"ErrExpired", apierrors.ErrExpired},
	{"ErrUnauthorizedIP", apierrors.ErrUnauthorizedIP}, {"ErrInsufficientScope", apierrors.ErrInsufficientScope},
	{"ErrKeyCeilingExceeded", apierrors.ErrKeyCeilingExceeded}, {"ErrWorkspaceBalance", apierrors.ErrWorkspaceBalance},
}

func report(title string, err error) {
	fmt.Printf("\n%s\n   %v\n   matches:", title, err)
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			fmt.Print(" ", s.name)
		}
	}
	var apiErr *apierrors.Error
	if errors.As(err, &apiErr) {
		fmt.Printf("\n   fields: status %d, code %s, raw code %q, request id %s", apiErr.StatusCode, apiErr.Code, apiErr.RawCode, apiErr.RequestID)
	}
	fmt.Println()
}

func main() {
	clock := clienttest.NewFakeClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	defer srv.Close()
	ctx := context.Background()
	call := func(k keys.Key, path string) error {
		c, err := srv.NewClient(k, client.WithMaxRetries(0))
		if err != nil {
			return err
		}
		return c.Do(ctx, "GET", path, nil, nil)
	}
	issue := func(p clienttest.KeyParams) keys.Key {
		p.Name = "example"
		k, _, err := srv.IssueKey(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return k
	}

	os.Unsetenv("EXAMPLE_NOT_SET")
	nowhere, _ := client.New(client.WithService(srv.Service()), client.WithCredentials(credentials.Env("EXAMPLE_NOT_SET")))
	report("Missing key (nothing sent):", nowhere.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil))

	_, err := client.New(client.WithService(srv.Service()), client.WithAPIKey("hd_live_0123456789abcdef0123456789abcde"))
	report("Malformed key (refused before any request):", err)

	unknown, _ := keys.Hypedata.Generate(keys.EnvLive, nil)
	report("Unknown key:", call(unknown, "/v1/scrape?url=x"))

	revoked, rinfo, _ := srv.IssueKey(clienttest.KeyParams{Name: "laptop"})
	_ = srv.RevokeKey(rinfo.ID, "laptop stolen")
	report("Revoked key:", call(revoked, "/v1/scrape?url=x"))

	expiring := issue(clienttest.KeyParams{ExpiresAt: clock.Now().Add(time.Hour)})
	clock.Advance(2 * time.Hour)
	report("Expired key:", call(expiring, "/v1/scrape?url=x"))

	report("IP not allowed:", call(issue(clienttest.KeyParams{AllowedIPs: []string{"10.0.0.0/8"}}), "/v1/scrape?url=x"))
	report("Missing scope:", call(issue(clienttest.KeyParams{Scopes: []string{"scrape"}}), "/v1/serp?q=go"))

	ceiling := issue(clienttest.KeyParams{CreditCeiling: 1})
	_ = call(ceiling, "/v1/scrape?url=x")
	report("Credit ceiling:", call(ceiling, "/v1/scrape?url=x"))

	srv.SetBalance(0)
	report("Workspace balance:", call(issue(clienttest.KeyParams{}), "/v1/scrape?url=x"))
	srv.SetBalance(1000)

	limited := issue(clienttest.KeyParams{RateLimitPerSecond: 1})
	_ = call(limited, "/v1/scrape?url=x")
	report("Rate limit (no retries allowed here):", call(limited, "/v1/scrape?url=x"))

	fmt.Println("\nThe same revoked key, three dialects:")
	for _, svc := range []client.Service{client.Hypedata, client.Hypersave, client.Web3Storage} {
		s := clienttest.NewServer(svc)
		k, info, _ := s.IssueKey(clienttest.KeyParams{Name: "x"})
		_ = s.RevokeKey(info.ID, "rotated")
		c, _ := s.NewClient(k)
		err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil)
		var apiErr *apierrors.Error
		errors.As(err, &apiErr)
		fmt.Printf("   %-12s raw %-22q → code %-18s ErrRevoked=%v ErrAuthentication=%v\n", svc.Name, apiErr.RawCode, apiErr.Code,
			errors.Is(err, apierrors.ErrRevoked), errors.Is(err, apierrors.ErrAuthentication))
		s.Close()
	}
	fmt.Println("   (web3.storage answers 403 ERROR_TOKEN_BLOCKED for a revoked token, so only the permission class applies)")
}
