package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
)

// TestWithoutKeyRefused: WithoutKey builds a client only for a service
// whose profile allows keyless calls, and never together with a key.
func TestWithoutKeyRefused(t *testing.T) {
	for _, svc := range []client.Service{client.Hypedata, client.Hypersave, client.HopX, client.Web3Storage} {
		_, err := client.New(client.WithService(svc), client.WithBaseURL("http://127.0.0.1:1"), client.WithoutKey())
		if err == nil || !strings.Contains(err.Error(), svc.Name) || !strings.Contains(err.Error(), "KeyOptional") {
			t.Errorf("%s WithoutKey: %v, want a refusal naming the service", svc.Name, err)
		}
	}
	for name, opt := range map[string]client.Option{
		"WithAPIKey":      client.WithAPIKey("00000000-0000-4000-8000-000000000000"),
		"WithCredentials": client.WithCredentials(nil),
	} {
		_, err := client.New(client.WithService(client.HyperSync), client.WithBaseURL("http://127.0.0.1:1"), client.WithoutKey(), opt)
		if err == nil {
			t.Errorf("WithoutKey with %s: no error", name)
		}
	}
}

// TestWithoutKeySendsNoKey: a keyless client sends no key, whatever the
// environment holds, and says so when asked for its credential; against a
// server that does not serve keyless callers it gets the typed 401.
func TestWithoutKeySendsNoKey(t *testing.T) {
	srv := clienttest.NewServer(client.HyperSync)
	t.Cleanup(srv.Close)
	k, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "env"})
	t.Setenv("ENVIO_API_TOKEN", k.Reveal()) // present, and must not be sent
	c, err := client.New(client.WithService(srv.Service()), client.WithBaseURL(srv.URL), client.WithoutKey(), client.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	ctx := context.Background()
	if err := c.Do(ctx, "GET", "/height", nil, nil); !errors.Is(err, apierrors.ErrMissingCredentials) && !errors.Is(err, apierrors.ErrAuthentication) {
		t.Errorf("keyless call to a server that wants a token: %v", err)
	}
	if err := srv.AllowKeyless(0); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "GET", "/height", nil, nil); err != nil {
		t.Errorf("keyless call: %v", err)
	}
	for _, r := range srv.Requests() {
		if r.AuthVia != "" || r.KeyID != "" {
			t.Errorf("a key was sent: %+v", r)
		}
	}
	if _, err := c.Credential(ctx); err == nil || !strings.Contains(err.Error(), "WithoutKey") {
		t.Errorf("Credential: %v", err)
	}
	if rep := c.Diagnose(ctx); len(rep.Entries) != 0 || rep.Winner != -1 {
		t.Errorf("Diagnose: %+v", rep)
	}
	c.ResetCredential() // no key to forget; must not panic
}

// TestWithoutKey401Hint: a keyless client's 401 says the endpoint needs a
// key the client was made not to send — drop WithoutKey and set the env var
// or pass WithAPIKey — not that the key went missing.
func TestWithoutKey401Hint(t *testing.T) {
	srv := clienttest.NewServer(client.HyperSync)
	t.Cleanup(srv.Close)
	c, err := client.New(client.WithService(srv.Service()), client.WithBaseURL(srv.URL), client.WithoutKey(), client.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	err = c.Do(context.Background(), "GET", "/height", nil, nil)
	var ae *apierrors.Error
	if !errors.As(err, &ae) || !ae.WithoutKey || ae.KeyEnv != "ENVIO_API_TOKEN" {
		t.Fatalf("keyless 401: %v, want an *apierrors.Error with WithoutKey and KeyEnv set", err)
	}
	msg := err.Error()
	for _, want := range []string{"this client sends no key (WithoutKey)", "drop WithoutKey and set ENVIO_API_TOKEN or pass WithAPIKey"} {
		if !strings.Contains(msg, want) {
			t.Errorf("keyless 401 %q: no %q", msg, want)
		}
	}
	if strings.Contains(msg, "no API key was sent") {
		t.Errorf("keyless 401 %q blames a missing key", msg)
	}

	// A client that sends a key gets the usual hint.
	k, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci"})
	if err := srv.RevokeKey(info.ID, "leaked"); err != nil {
		t.Fatal(err)
	}
	kc, _ := srv.NewClient(k, client.WithMaxRetries(0))
	defer kc.CloseIdleConnections()
	err = kc.Do(context.Background(), "GET", "/height", nil, nil)
	if !errors.As(err, &ae) || ae.WithoutKey || strings.Contains(err.Error(), "WithoutKey") {
		t.Errorf("keyed 401: %v", err)
	}
}

// A HyperSync indexer deployed on Envio Cloud needs no token: say so with
// WithoutKey. Any other service refuses it.
func ExampleWithoutKey() {
	srv := clienttest.NewServer(client.HyperSync)
	defer srv.Close()
	_ = srv.AllowKeyless(0) // as HyperSync serves Envio Cloud indexers

	c, err := client.New(client.WithService(client.HyperSync), client.WithBaseURL(srv.URL), client.WithoutKey())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseIdleConnections()
	var h struct {
		Height int64 `json:"height"`
	}
	err = c.Do(context.Background(), "GET", "/height", nil, &h)
	fmt.Println(h.Height > 0, err, srv.Requests()[0].AuthVia == "")

	_, err = client.New(client.WithService(client.Hypedata), client.WithoutKey())
	fmt.Println(err)
	// Output:
	// true <nil> true
	// client: WithoutKey: service hypedata needs a key on every request (its profile's KeyOptional is false); set HYPEDATA_API_KEY, or pass WithAPIKey
}

// HopX documents its key test — listing templates — and Verify uses it.
// Hypersave documents none, and Verify says so without sending anything.
func ExampleClient_Verify() {
	hopx := clienttest.NewServer(client.HopX)
	defer hopx.Close()
	key, _, _ := hopx.IssueKey(clienttest.KeyParams{Name: "ci"})
	c, _ := hopx.NewClient(key)
	defer c.CloseIdleConnections()
	who, err := c.Verify(context.Background())
	fmt.Println(who.CheckedWith, err)

	hs := clienttest.NewServer(client.Hypersave)
	defer hs.Close()
	hkey, _, _ := hs.IssueKey(clienttest.KeyParams{Name: "ci"})
	hc, _ := hs.NewClient(hkey)
	_, err = hc.Verify(context.Background())
	fmt.Println(errors.Is(err, client.ErrNoKeyTest), len(hs.Requests()))
	// Output:
	// GET /v1/templates <nil>
	// true 0
}

// TestVerifyExplainsA404: a service that answers Verify's path with 404
// has no such endpoint; the error says the profile's path is wrong, and
// still matches the typed 404.
func TestVerifyExplainsA404(t *testing.T) {
	srv := clienttest.NewServer(client.HopX)
	t.Cleanup(srv.Close)
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci"})
	svc := srv.Service()
	svc.VerifyPath = "/v1/whoami" // HopX has none
	c, err := client.New(client.WithService(svc), client.WithBaseURL(srv.URL), client.WithAPIKey(key.Reveal()), client.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	_, err = c.Verify(context.Background())
	var ae *apierrors.Error
	if !errors.As(err, &ae) || ae.StatusCode != 404 || !strings.Contains(err.Error(), "no such endpoint") || strings.Contains(err.Error(), key.Reveal()) {
		t.Errorf("Verify against a missing path: %v", err)
	}
}
