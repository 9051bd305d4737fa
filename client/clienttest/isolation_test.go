package clienttest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
)

// TestClientsIgnoreTheDevelopersSetup: a developer's own base-URL variables
// and config file (even a broken one) must not send a test's requests to a
// real or staging host, nor break NewClient.
func TestClientsIgnoreTheDevelopersSetup(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte("profiles:\n  default:\n    hypedata: { colour: red }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("APIKIT_CONFIG_FILE", config)
	for _, svc := range allServices {
		if svc.BaseURLEnvVar != "" {
			t.Setenv(svc.BaseURLEnvVar, "https://staging.invalid")
		}
	}
	for _, svc := range allServices {
		t.Run(svc.Name, func(t *testing.T) {
			srv, _ := newServer(t, svc)
			k, _ := issue(t, srv, clienttest.KeyParams{})
			c, err := srv.NewClient(k)
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			if c.BaseURL() != srv.URL {
				t.Fatalf("base URL %s, want the server's %s", c.BaseURL(), srv.URL)
			}
			if err := c.Do(context.Background(), "GET", "/v1/scrape?url=x", nil, nil); err != nil {
				t.Errorf("a call: %v", err)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("the server saw %d requests, want 1", n)
			}
			if got := srv.Service().BaseURLEnvVar; got != "" {
				t.Errorf("Service().BaseURLEnvVar = %q; a client built from it would read it", got)
			}
			// A client built from Service() alone still ignores the env
			// var; the config file's base_url needs WithBaseURL (documented).
			c2, err := client.New(client.WithService(srv.Service()), client.WithBaseURL(srv.URL), client.WithAPIKey(k.Reveal()))
			if err != nil || c2.BaseURL() != srv.URL {
				t.Errorf("client.New from Service(): %v", err)
			}
		})
	}
}
