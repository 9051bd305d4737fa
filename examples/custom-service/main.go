// Command custom-service uses apikit-go for an API it does not ship a profile
// for: Acme, with its own key format (acme_live_/acme_test_ and 24 letters or
// digits), its own environment variable and its own key header. It runs
// offline, against an in-memory Acme (client/clienttest serves any Service).
//
// Run it with:
//
//	go run ./examples/custom-service
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// acmeKeys is Acme's key format, declared field by field instead of as a
// regular expression, so that a bad key gets a precise error.
var acmeKeys = keys.Format{
	Name:      "Acme",
	Prefixes:  []keys.Prefix{{Text: "acme_live_", Env: keys.EnvLive}, {Text: "acme_test_", Env: keys.EnvTest}},
	Charset:   keys.Alphanumeric,
	MinLength: 24,
	MaxLength: 24,
}

// acme is the service profile: where the API lives, where the key is looked
// for, how it is sent, how errors are spelled, and the management endpoints.
var acme = client.Service{
	Name:       "acme",
	EnvVar:     "ACME_API_KEY",
	KeyFormat:  &acmeKeys,
	Auth:       client.AuthHeader,
	HeaderName: "X-Acme-Key",
	Dialect:    client.DialectHopX, // {"error":{"code","message","request_id","details"}}
	KeysPath:   "/v1/keys",
	WhoamiPath: "/v1/whoami",
	UsagePath:  "/v1/usage",
	BaseURL:    "https://api.acme.example",
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "custom-service:", err)
		os.Exit(1)
	}
}

func step(n int, title string) { fmt.Printf("\n%d. %s\n", n, title) }

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

func run(ctx context.Context) error {
	fmt.Println("apikit-go with your own API — offline, against an in-memory Acme (client/clienttest)")
	srv := clienttest.NewServer(acme) // generates keys in acmeKeys, reads X-Acme-Key, answers in the HopX dialect
	defer srv.Close()
	key, info, err := srv.IssueKey(clienttest.KeyParams{Name: "acme-demo", Env: keys.EnvTest})
	if err != nil {
		return err
	}
	// Put the key where a deployment would: the service's env var (this
	// process only). The real profile is pointed at the test server with
	// WithBaseURL; the spy shows which header carries the key.
	os.Setenv(acme.EnvVar, key.Reveal())
	spy := &headerSpy{base: http.DefaultTransport}
	c, err := client.New(client.WithService(acme), client.WithBaseURL(srv.URL), client.WithHTTPClient(&http.Client{Transport: spy}))
	if err != nil {
		return err
	}

	step(1, "Which key, from where: c.Credential and c.Diagnose")
	cred, err := c.Credential(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("   c.Credential: %s (fingerprint %s, %s key)\n", cred, cred.Key.Fingerprint(), cred.Key.Env())
	fmt.Println("   c.Diagnose, every place the client looks, in order:")
	for _, line := range strings.Split(strings.TrimRight(c.Diagnose(ctx).String(), "\n"), "\n") {
		fmt.Println("     " + line)
	}

	step(2, "A call: c.Verify asks GET /v1/whoami who the key is")
	who, err := c.Verify(ctx)
	if err != nil {
		return err
	}
	if who.KeyID != info.ID {
		return fmt.Errorf("whoami says key %s, want %s", who.KeyID, info.ID)
	}
	fmt.Printf("   key %s, %q, %s environment\n", who.KeyID, who.Name, who.Environment)
	fmt.Printf("   sent as: %s\n", spy.last())
	u, err := c.Usage(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("   c.Usage (GET /v1/usage): %d requests on this key (whoami, and this one)\n", u.Requests)

	step(3, "Malformed keys are refused before any request, precisely, without the key in the error")
	for _, bad := range []struct{ what, key string }{
		{"4 characters short", "acme_live_" + "0123456789abcdefghij"},
		{"a character outside [A-Za-z0-9]", "acme_live_" + "0123456789ab-defghijklmn"},
		{"an unknown prefix", "acme_prod_" + "0123456789abcdefghijklmn"},
		{"pasted with a newline", "acme_live_" + "0123456789abcdefghijklmn\n"},
	} {
		_, err := client.New(client.WithService(acme), client.WithBaseURL(srv.URL), client.WithAPIKey(bad.key))
		if !errors.Is(err, apierrors.ErrMalformedToken) {
			return fmt.Errorf("%s: expected a malformed-key error, got: %v", bad.what, err)
		}
		secret := strings.TrimSpace(bad.key[len("acme_live_"):])
		if strings.Contains(err.Error(), secret) {
			return fmt.Errorf("%s: the error quotes the key", bad.what)
		}
		fmt.Printf("   %s:\n", bad.what)
		wrap("     ", err.Error())
		var pe *keys.ParseError
		if errors.As(err, &pe) && pe.Position > 0 {
			fmt.Printf("     (keys.ParseError.Position = %d)\n", pe.Position)
		}
	}
	if n := len(srv.Requests()); n != 2 {
		return fmt.Errorf("the server saw %d requests; want 2 (whoami and usage)", n)
	}
	fmt.Println("   srv.Requests() still holds only the two good calls")

	fmt.Println("\nDone.")
	return nil
}

// headerSpy is an http.RoundTripper that notes how the key travelled. It
// records the header's value only as a keys.Key, which prints redacted.
type headerSpy struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen string
}

func (s *headerSpy) RoundTrip(req *http.Request) (*http.Response, error) {
	desc := "no X-Acme-Key header"
	if v := req.Header.Get("X-Acme-Key"); v != "" {
		k, err := acmeKeys.Parse(v)
		if err != nil {
			desc = "X-Acme-Key: (not a valid Acme key)"
		} else {
			desc = "X-Acme-Key: " + k.String()
		}
	}
	if req.Header.Get("Authorization") == "" {
		desc += ", no Authorization header"
	} else {
		desc += ", and an Authorization header"
	}
	s.mu.Lock()
	s.seen = desc
	s.mu.Unlock()
	return s.base.RoundTrip(req)
}

func (s *headerSpy) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}
