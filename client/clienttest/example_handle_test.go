package clienttest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// Test a call of your own — here a HopX endpoint this SDK does not model —
// with the real service's key checks in front of it.
func ExampleServer_Handle() {
	srv := clienttest.NewServer(client.HopX)
	defer srv.Close()
	srv.Handle("POST /v1/sandboxes/{id}/commands", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"sandbox":%q,"exit_code":0}`, r.PathValue("id"))
	}))
	good, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci"})
	revoked, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "old"})
	_ = srv.RevokeKey(info.ID, "leaked")

	run := func(c *client.Client) error {
		var out struct {
			ExitCode int `json:"exit_code"`
		}
		return c.Do(context.Background(), "POST", "/v1/sandboxes/sbx_1/commands", map[string]string{"cmd": "ls"}, &out)
	}
	c, _ := srv.NewClient(good)
	defer c.CloseIdleConnections()
	fmt.Println(run(c))
	rc, _ := srv.NewClient(revoked)
	defer rc.CloseIdleConnections()
	fmt.Println(errors.Is(run(rc), apierrors.ErrRevoked))
	// Output:
	// <nil>
	// true
}

// An Endpoint needs a scope and costs credits: the server's scope, credit
// ceiling and balance checks then apply to it too, and CallerKey says who
// called.
func ExampleEndpoint() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	srv.Handle("POST /v1/screenshots", clienttest.Endpoint{Scope: "screenshots", Cost: 5,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			who, _ := clienttest.CallerKey(r)
			fmt.Fprintf(w, `{"taken_for":%q}`, who.Name)
		})})
	shooter, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "shooter", Scopes: []string{"screenshots"}})
	scraper, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "scraper", Scopes: []string{"scrape"}})

	for _, k := range []struct {
		Name string
		Key  keys.Key
	}{{"shooter", shooter}, {"scraper", scraper}} {
		c, _ := srv.NewClient(k.Key)
		var out struct {
			TakenFor string `json:"taken_for"`
		}
		err := c.Do(context.Background(), "POST", "/v1/screenshots", map[string]string{"url": "https://example.com"}, &out)
		var ae *apierrors.Error
		if errors.As(err, &ae) {
			fmt.Println(k.Name, ae.Code, ae.RequiredScope)
		} else {
			fmt.Println(k.Name, out.TakenFor, err)
		}
		c.CloseIdleConnections()
	}
	fmt.Println("balance", srv.Balance())
	// Output:
	// shooter shooter <nil>
	// scraper insufficient_scope screenshots
	// balance 995
}

// HyperSync serves indexers deployed on Envio Cloud without a token.
func ExampleServer_AllowKeyless() {
	srv := clienttest.NewServer(client.HyperSync)
	defer srv.Close()
	fmt.Println(srv.AllowKeyless(100)) // 100 keyless requests a second, shared

	resp, err := srv.HTTPClient().Get(srv.URL + "/height")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)

	hd := clienttest.NewServer(client.Hypedata)
	defer hd.Close()
	fmt.Println(hd.AllowKeyless(0))
	// Output:
	// <nil>
	// 200
	// clienttest: AllowKeyless: hypedata needs a key on every request (its profile's KeyOptional is false)
}

// Deleting a Hypersave key (as its dashboard, or DELETE /keys/:id, does)
// leaves a secret the service no longer knows: it reads as unknown, not as
// revoked.
func ExampleServer_DeleteKey() {
	srv := clienttest.NewServer(client.Hypersave)
	defer srv.Close()
	key, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "old-app"})
	_ = srv.DeleteKey(info.ID)

	c, _ := srv.NewClient(key, client.WithMaxRetries(0))
	defer c.CloseIdleConnections()
	err := c.Do(context.Background(), "GET", "/v1/memories", nil, nil)
	fmt.Println(errors.Is(err, apierrors.ErrUnknownKey), errors.Is(err, apierrors.ErrRevoked))
	// Output: true false
}
