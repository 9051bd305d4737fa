package client_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/errors"
)

// WithAPIKey gives the key in code; it wins over the environment, .env and
// the config file. New checks it against the service's key format, so a
// truncated paste fails there, before anything is sent — and the message
// never holds the key.
func ExampleWithAPIKey() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci"})

	c, err := client.New(client.WithService(client.Hypedata), client.WithBaseURL(srv.URL), client.WithAPIKey(key.Reveal()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseIdleConnections()
	cred, _ := c.Credential(context.Background())
	fmt.Println(cred.Source, cred.Key.Fingerprint() == key.Fingerprint())

	_, err = client.New(client.WithService(client.Hypedata), client.WithAPIKey(key.Reveal()[:20]))
	fmt.Println(errors.Is(err, apierrors.ErrMalformedToken))
	_, err = client.New(client.WithService(client.Hypedata), client.WithAPIKey(""))
	fmt.Println(err)
	// Output:
	// explicit option true
	// true
	// client: WithAPIKey: the key is empty (missing credentials); pass a key, or leave the option out to read it from the environment
}

// WithBaseURL points the client at another root: a staging server, or, as
// here, a clienttest server. A plain-HTTP URL is refused unless its host is
// loopback, so that a key never crosses the network in clear.
func ExampleWithBaseURL() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci"})

	c, err := client.New(client.WithService(client.Hypedata), client.WithBaseURL(srv.URL), client.WithAPIKey(key.Reveal()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseIdleConnections()
	err = c.Do(context.Background(), "GET", "/v1/whoami", nil, nil)
	fmt.Println(err, srv.Requests()[0].Path)

	_, err = client.New(client.WithService(client.Hypedata), client.WithBaseURL("http://api.example.com"), client.WithAPIKey(key.Reveal()))
	fmt.Println(err)
	// Output:
	// <nil> /v1/whoami
	// client: base URL http://api.example.com is plain HTTP to a non-loopback host, which would send the key in clear text; use https, or opt in with WithInsecureHTTP
}

// List returns every key of the workspace, revoked ones too, never with its
// secret: Redacted is what to show.
func ExampleKeysService_List() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	_, old, _ := srv.IssueKey(clienttest.KeyParams{Name: "old-ci"})
	_ = srv.RevokeKey(old.ID, "leaked")
	c, _ := srv.NewClient(admin)
	defer c.CloseIdleConnections()

	list, err := c.Keys().List(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range list {
		if k.Revoked() {
			fmt.Println(k.Name, "revoked:", k.RevokedReason)
		} else {
			fmt.Println(k.Name, "active")
		}
	}
	// Output:
	// admin active
	// old-ci revoked: leaked
}

// Revoke ends a key at once, with a reason the service keeps; the key's
// next request fails with ErrRevoked.
func ExampleKeysService_Revoke() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	leaked, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci"})
	c, _ := srv.NewClient(admin)
	defer c.CloseIdleConnections()

	revoked, err := c.Keys().Revoke(context.Background(), info.ID, "leaked in CI logs")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(revoked.Name, revoked.Revoked(), revoked.RevokedReason)

	lc, _ := srv.NewClient(leaked, client.WithMaxRetries(0))
	defer lc.CloseIdleConnections()
	err = lc.Do(context.Background(), "GET", "/v1/whoami", nil, nil)
	fmt.Println(errors.Is(err, apierrors.ErrRevoked))
	// Output:
	// ci true leaked in CI logs
	// true
}
