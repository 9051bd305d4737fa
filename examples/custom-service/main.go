// Command custom-service uses the SDK for an API it does not know: Acme,
// with its own key format (acme_live_/acme_test_ + 24 letters and digits),
// its own header and env var. Offline, against clienttest speaking Acme.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/keys"
)

// acmeKeys is Acme's key format, declared without a regular expression.
var acmeKeys = &keys.Format{
	Name:      "Acme",
	Prefixes:  []keys.Prefix{{Text: "acme_live_", Env: keys.EnvLive}, {Text: "acme_test_", Env: keys.EnvTest}},
	Charset:   keys.Alphanumeric,
	MinLength: 24, MaxLength: 24,
}

// acme is the service profile: where it lives and how it takes its key.
var acme = client.Service{
	Name: "acme", BaseURL: "https://api.acme.example", EnvVar: "ACME_API_KEY",
	KeyFormat: acmeKeys, Auth: client.AuthHeader, HeaderName: "X-Acme-Key",
	Dialect: client.DialectHopX, KeysPath: "/v1/keys", WhoamiPath: "/v1/whoami", UsagePath: "/v1/usage",
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "custom-service:", err)
		os.Exit(1)
	}
}

func run() error {
	srv := clienttest.NewServer(acme) // an in-memory Acme
	defer srv.Close()
	ctx := context.Background()
	key, _, err := srv.IssueKey(clienttest.KeyParams{Name: "acme-demo", Env: keys.EnvTest})
	if err != nil {
		return err
	}
	os.Setenv(acme.EnvVar, key.Reveal()) // as a deployment would
	c, err := client.New(client.WithService(acme), client.WithBaseURL(srv.URL))
	if err != nil {
		return err
	}
	cred, err := c.Credential(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("key %s (%s key) from %s\n", cred.Key, cred.Key.Env(), cred.Source)
	who, err := c.Verify(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("Verify: %s is %q (%s), sent in header X-Acme-Key\n", who.KeyID, who.Name, who.Environment)

	fmt.Println("\nMalformed keys are refused before any request, precisely and without echoing the key:")
	for _, bad := range []string{
		"acme_live_0123456789abcdefghij",     // too short
		"acme_live_0123456789abcdefghij-klm", // a bad character
		"acme_prod_0123456789abcdefghijklmn", // unknown prefix
		"acme_live_0123456789abcdefghijklmn\n",
	} {
		_, err := client.New(client.WithService(acme), client.WithAPIKey(bad))
		fmt.Println("  ", err)
	}
	fmt.Println("\nWhere the client looks for the key, and which source wins:")
	fmt.Print(c.Diagnose(ctx))
	return nil
}
