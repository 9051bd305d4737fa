package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	apierrors "github.com/apikit/apikit-go/errors"
)

// ErrNoKeyTest is what Verify returns for a service that documents no key
// test and no whoami endpoint: rather than guess a path the real service
// may answer with 404, the client says so. It also matches when the path
// Verify used was this SDK's assumption (Service.WhoamiAssumed) and the
// service answered 404: the key was not refused, the service just has no
// such endpoint. Prove such a key with a call your program makes anyway, or
// set Service.VerifyPath (or WhoamiPath) on your own copy of the profile.
var ErrNoKeyTest = errors.New("the service documents no key test")

// Verify proves the client's key works with the service's documented key
// test, before your program relies on it:
//
//   - Service.VerifyPath, when set, is a GET whose 2xx answer proves the key
//     (HopX: GET /v1/templates, as its page says). The Identity then holds
//     only CheckedWith: the service does not say who the key is.
//   - Otherwise Service.WhoamiPath, when set, is asked who the key is.
//     Hypedata documents no key test: its /v1/whoami is this SDK's
//     assumption (Service.WhoamiAssumed; docs/PROTOCOL.md), so its Identity
//     has Assumed set, and a 404 there is an error matching ErrNoKeyTest
//     (the key was not refused; the endpoint does not exist).
//   - Otherwise the service documents no key test (Hypersave, HyperSync,
//     web3.storage) and Verify sends nothing: the error matches ErrNoKeyTest.
//
// A rejected key is the service's typed error (apierrors.ErrUnknownKey,
// ErrRevoked, ...), wrapped.
func (c *Client) Verify(ctx context.Context) (*Identity, error) {
	svc := c.Service()
	switch {
	case svc.VerifyPath != "":
		if err := c.Do(ctx, http.MethodGet, svc.VerifyPath, nil, nil); err != nil {
			return nil, fmt.Errorf("verifying key with %s's key test (GET %s)%s: %w", svc.Name, svc.VerifyPath, noSuchPath(err), err)
		}
		return &Identity{CheckedWith: "GET " + svc.VerifyPath}, nil
	case svc.WhoamiPath != "":
		var raw json.RawMessage
		if err := c.Do(ctx, http.MethodGet, svc.WhoamiPath, nil, &raw); err != nil {
			if svc.WhoamiAssumed && isNotFound(err) {
				return nil, fmt.Errorf("verifying a %s key: GET %s is this SDK's assumption and the service has no such endpoint, "+
					"so %w: the key was not refused; make one of your own calls and check its error: %w", svc.Name, svc.WhoamiPath, ErrNoKeyTest, err)
			}
			return nil, fmt.Errorf("verifying key with GET %s%s: %w", svc.WhoamiPath, noSuchPath(err), err)
		}
		out, err := readIdentity(raw)
		if err != nil {
			return nil, fmt.Errorf("verifying key: GET %s: %w", svc.WhoamiPath, err)
		}
		out.CheckedWith = "GET " + svc.WhoamiPath
		out.Assumed = svc.WhoamiAssumed
		return out, nil
	}
	return nil, fmt.Errorf("apikit: verifying a %s key: %w (Service.VerifyPath and WhoamiPath are empty), so Verify sends nothing rather than guess an endpoint; "+
		"make one of your own calls and check its error (a 401 is apierrors.ErrAuthentication), or set VerifyPath on your copy of the profile", svc.Name, ErrNoKeyTest)
}

// noSuchPath explains a 404 to Verify's request: the key was accepted or not,
// but the path does not exist there, so the profile names a wrong one.
func noSuchPath(err error) string {
	if isNotFound(err) {
		return " — the service has no such endpoint, so the profile's path is wrong for it (docs/PROTOCOL.md says which paths are this SDK's assumption); fix VerifyPath or WhoamiPath on your copy of the profile"
	}
	return ""
}

// isNotFound reports whether err is the service's 404.
func isNotFound(err error) bool {
	var ae *apierrors.Error
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}
