package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/apikit/apikit-go/client"
)

// redirectingAPI answers every request with a 307 to elsewhere, as a
// compromised or misconfigured server might.
func redirectingAPI(elsewhere string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere+"/collect?session=abc", http.StatusTemporaryRedirect)
	}))
}

// By default a client follows no redirect to another origin: the call ends
// with a *RedirectError that says where the server tried to send it (query
// values redacted), and nothing — not the body, not a header — went there.
func ExampleRedirectError() {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Println("the other host was reached") }))
	defer other.Close()
	api := redirectingAPI(strings.Replace(other.URL, "127.0.0.1", "localhost", 1))
	defer api.Close()

	svc := client.Service{Name: "example", BaseURL: api.URL}
	c, _ := client.New(client.WithService(svc), client.WithAPIKey("any-opaque-key-123"))
	defer c.CloseIdleConnections()
	err := c.Do(context.Background(), "POST", "/v1/payments", map[string]int{"amount": 100}, nil)
	var re *client.RedirectError
	if errors.As(err, &re) {
		fmt.Println(re.StatusCode, re.Reason, strings.Contains(re.Location, "session=REDACTED"))
	}
	// Output:
	// 307 another host true
}

// WithRedirects(RedirectSameHost) also follows a redirect to another port
// of the API's host; the key still goes to the API's own origin only.
func ExampleWithRedirects() {
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("files got the key:", r.Header.Get("Authorization") != "")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"ok":true}`)
	}))
	defer files.Close()
	api := redirectingAPI(files.URL)
	defer api.Close()

	svc := client.Service{Name: "example", BaseURL: api.URL}
	c, _ := client.New(client.WithService(svc), client.WithAPIKey("any-opaque-key-123"), client.WithRedirects(client.RedirectSameHost))
	defer c.CloseIdleConnections()
	var out struct{ OK bool }
	err := c.Do(context.Background(), "GET", "/v1/export", nil, &out)
	fmt.Println(out.OK, err)
	// Output:
	// files got the key: false
	// true <nil>
}

// WithRedirectHosts names the other hosts a service may send its clients to
// ("*.example.com" for every subdomain), over HTTPS only.
func ExampleWithRedirectHosts() {
	_, err := client.New(client.WithService(client.Hypedata), client.WithRedirectHosts("files.hypedata.io", "*.hypedata-cdn.net"))
	fmt.Println(err == nil || !strings.Contains(err.Error(), "WithRedirectHosts"))
	_, err = client.New(client.WithService(client.Hypedata), client.WithRedirectHosts("https://files.hypedata.io"))
	fmt.Println(err)
	// Output:
	// true
	// client: WithRedirectHosts: "https://files.hypedata.io" is not a host name; give a name such as files.example.com or *.example.com (no scheme, port or path)
}
