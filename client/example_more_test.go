package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
	"github.com/apikit/apikit-go/pacing"
)

// Send takes any request: here a PUT of raw bytes to an upload API that is
// not JSON. The key is attached, the retry policy applies (a PUT is
// idempotent and a bytes.Reader body can be sent again), and the caller reads
// the answer.
func ExampleClient_Send() {
	var attempts atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the first attempt fails
			return
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "stored %s: %d bytes of %s (key sent: %t)",
			r.URL.Path, len(body), r.Header.Get("Content-Type"), r.Header.Get("Authorization") != "")
	}))
	defer api.Close()

	c, err := client.New(
		client.WithBaseURL(api.URL), // an API without a service profile: any key, bearer auth
		client.WithAPIKey("files-key-0123456789"),
		client.WithRetryWait(time.Millisecond, time.Millisecond),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseIdleConnections()

	req, _ := http.NewRequest("PUT", "/v1/files/report.csv", bytes.NewReader([]byte("day,visits\nmon,12\n")))
	req.Header.Set("Content-Type", "text/csv")
	resp, err := c.Send(context.Background(), req) // a relative URL is joined to the base URL
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close() // on success the caller owns the body
	answer, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(answer))
	fmt.Println("attempts:", attempts.Load())
	// Output:
	// 200 stored /v1/files/report.csv: 18 bytes of text/csv (key sent: true)
	// attempts: 2
}

// Credential says which key the client uses and where it found it. Printing
// it is safe: the key redacts itself.
func ExampleClient_Credential() {
	// A deployment puts the key in the service's variable; this example sets
	// one of its own for the time it runs.
	svc := client.Hypedata
	svc.EnvVar = "EXAMPLE_CREDENTIAL_HYPEDATA_KEY"
	os.Setenv(svc.EnvVar, "hd_test_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z")
	defer os.Unsetenv(svc.EnvVar)

	c, err := client.New(client.WithService(svc), client.WithBaseURL("https://api.hypedata.io"))
	if err != nil {
		fmt.Println(err)
		return
	}
	cred, err := c.Credential(context.Background()) // resolves the key; nothing is sent
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("source:", cred.Source)
	fmt.Println("key:", cred.Key, cred.Key.Env())
	// Output:
	// source: env EXAMPLE_CREDENTIAL_HYPEDATA_KEY
	// key: hd_test_…Xy4z test
}

// RateLimit reports the X-RateLimit-* headers of the latest response, so a
// caller can pace itself.
func ExampleClient_RateLimit() {
	clock := clienttest.NewFakeClock(time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "crawler", RateLimitPerHour: 100})
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()

	_, ok := c.RateLimit()
	fmt.Println("seen before any call:", ok)

	clock.Advance(15 * time.Minute) // a quarter of the hour's window has passed
	_ = c.Do(context.Background(), "GET", "/v1/scrape?url=https://example.com", nil, nil)
	_ = c.Do(context.Background(), "GET", "/v1/scrape?url=https://example.com", nil, nil)
	rl, ok := c.RateLimit()
	fmt.Println("seen:", ok)
	fmt.Println("limit:", rl.Limit, "remaining:", rl.Remaining)
	fmt.Println("window resets in:", rl.Reset.Sub(rl.Observed))
	// Output:
	// seen before any call: false
	// seen: true
	// limit: 100 remaining: 98
	// window resets in: 45m0s
}

// A retry hook sees every retry before its wait: the place for metrics.
func ExampleWithRetryHook() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "metrics"})
	retries := 0
	c, _ := srv.NewClient(key,
		client.WithRetryWait(time.Millisecond, time.Millisecond),
		client.WithRetryHook(func(ev client.RetryEvent) {
			retries++
			fmt.Printf("retry after attempt %d: %s %s: %s (server asked: %t, wait %s)\n",
				ev.Attempt, ev.Method, ev.Path, ev.Reason, ev.ServerAsked, ev.Wait)
		}))
	defer c.CloseIdleConnections()

	srv.FailNext(1, http.StatusServiceUnavailable, 0) // one 503 without a Retry-After: backoff
	err := c.Do(context.Background(), "GET", "/v1/whoami", nil, nil)
	fmt.Println(err, "retries:", retries)
	// Output:
	// retry after attempt 1: GET /v1/whoami: 503 unavailable (server asked: false, wait 1ms)
	// <nil> retries: 1
}

// The client logs through log/slog: a debug line per attempt and an info
// line per retry. The key appears only as its fingerprint.
func ExampleWithLogger() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "logged"})

	var all bytes.Buffer // a copy of every line, to search for the key
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(os.Stdout, &all), &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "request_id": // vary from run to run
				return slog.Attr{}
			case "key":
				if a.Value.String() == key.Fingerprint() {
					return slog.String("key", "<the key's fingerprint>")
				}
			}
			return a
		},
	}))
	c, _ := srv.NewClient(key, client.WithLogger(logger), client.WithRetryWait(time.Millisecond, time.Millisecond))
	defer c.CloseIdleConnections()

	srv.FailNext(1, http.StatusServiceUnavailable, 0)
	_ = c.Do(context.Background(), "GET", "/v1/whoami", nil, nil)
	fmt.Println("the key in the logs:", strings.Contains(all.String(), key.Reveal()))
	// Output:
	// level=DEBUG msg="apikit: attempt" method=GET path=/v1/whoami attempt=1 key="<the key's fingerprint>" status=503 code=unavailable
	// level=INFO msg="apikit: retrying" method=GET path=/v1/whoami attempt=1 wait=1ms server_asked=false reason="503 unavailable" key="<the key's fingerprint>" status=503 code=unavailable
	// level=DEBUG msg="apikit: attempt" method=GET path=/v1/whoami attempt=2 key="<the key's fingerprint>" status=200
	// the key in the logs: false
}

// exampleRoundTripFunc adapts a function to http.RoundTripper.
type exampleRoundTripFunc func(*http.Request) (*http.Response, error)

func (f exampleRoundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The SDK builds on the caller's *http.Client: its transport (a proxy,
// instrumentation, this request counter) sees every attempt, retries
// included.
func ExampleWithHTTPClient() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "instrumented"})

	var sent atomic.Int32
	base := srv.HTTPClient().Transport // http.DefaultTransport, or otelhttp.NewTransport(…), in a program
	hc := &http.Client{Transport: exampleRoundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		return base.RoundTrip(r)
	})}
	c, _ := srv.NewClient(key, client.WithHTTPClient(hc), client.WithRetryWait(time.Millisecond, time.Millisecond))

	srv.FailNext(2, http.StatusBadGateway, 0)
	err := c.Do(context.Background(), "GET", "/v1/whoami", nil, nil)
	fmt.Println(err, "requests seen by the caller's transport:", sent.Load())
	// Output: <nil> requests seen by the caller's transport: 3
}

// WithHeaderAuth sends the key in a header instead of Authorization. The
// server's request log shows how it came, never the key.
func ExampleWithHeaderAuth() {
	srv := clienttest.NewServer(client.HopX) // HopX reads Bearer or X-API-Key
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "gateway"})
	c, _ := srv.NewClient(key, client.WithHeaderAuth("")) // "" means the service's header, X-API-Key
	defer c.CloseIdleConnections()

	_, err := c.Verify(context.Background())
	r := srv.Requests()[0]
	fmt.Println(err, r.Path, r.Status, "key via:", r.AuthVia, "| logged redacted:", r.Key == key.String())
	// Output: <nil> /v1/templates 200 key via: header | logged redacted: true
}

// WithQueryAuth puts the key in the query string, for APIs that require it.
// It is an explicit opt-in: URLs end up in proxy logs.
func ExampleWithQueryAuth() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("server: api_key in the query: %t, Authorization header: %t, page=%s\n",
			r.URL.Query().Get("api_key") != "", r.Header.Get("Authorization") != "", r.URL.Query().Get("page"))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{}`)
	}))
	defer api.Close()
	c, err := client.New(client.WithBaseURL(api.URL), client.WithAPIKey("query-key-0123456789"),
		client.WithQueryAuth("")) // "" means the service's parameter, else api_key
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseIdleConnections()

	err = c.Do(context.Background(), "GET", "/v1/items?page=2", nil, nil)
	fmt.Println(err)
	// Output:
	// server: api_key in the query: true, Authorization header: false, page=2
	// <nil>
}

// Declare a Service for an API the SDK has no profile for: its key format
// (a prefix per environment, the characters and length of the rest), where
// the key is looked for and how it is sent. clienttest serves any Service.
func ExampleService() {
	acmeKeys := &keys.Format{
		Name:      "Acme",
		Prefixes:  []keys.Prefix{{Text: "acme_live_", Env: keys.EnvLive}, {Text: "acme_test_", Env: keys.EnvTest}},
		Charset:   keys.Alphanumeric,
		MinLength: 24,
		MaxLength: 24,
	}
	acme := client.Service{
		Name:       "acme",
		BaseURL:    "https://api.acme.example",
		EnvVar:     "ACME_API_KEY",
		KeyFormat:  acmeKeys,
		Auth:       client.AuthHeader,
		HeaderName: "X-Acme-Key",
		Dialect:    client.DialectHopX,
		KeysPath:   "/v1/keys",
		WhoamiPath: "/v1/whoami",
	}

	// A malformed key fails in New, before any request, without being quoted.
	_, err := client.New(client.WithService(acme), client.WithAPIKey("acme_prod_0123456789abcdefghijklmn"))
	fmt.Println(errors.Is(err, apierrors.ErrMalformedToken))

	srv := clienttest.NewServer(acme)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "acme-ci", Env: keys.EnvTest})
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()
	who, err := c.Verify(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(who.Name, who.Environment, len(key.Reveal()), srv.Requests()[0].AuthVia)
	// Output:
	// true
	// acme-ci test 34 header
}

// WithoutRetry sends a request once, whatever the failure: for a caller
// that has its own retry loop, or a deadline that cannot wait.
func ExampleWithoutRetry() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "once"})
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()

	srv.FailNext(1, http.StatusServiceUnavailable, 0)
	err := c.DoWith(context.Background(), "GET", "/v1/whoami", nil, nil, client.WithoutRetry())
	var apiErr *apierrors.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, "attempts:", apiErr.Attempts, "temporary:", apiErr.Temporary())
		fmt.Println("not retried:", apiErr.NotRetried)
	}
	fmt.Println("requests:", len(srv.Requests()))
	// Output:
	// 503 unavailable attempts: 1 temporary: true
	// not retried: the request was sent WithoutRetry
	// requests: 1
}

// An idempotency key makes a POST safe to retry: every attempt carries the
// same key, and the server does the work once.
func ExampleWithIdempotencyKey() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "queue", Scopes: []string{"jobs"}})
	c, _ := srv.NewClient(key, client.WithRetryWait(time.Millisecond, time.Millisecond))
	defer c.CloseIdleConnections()

	srv.FailNext(1, http.StatusServiceUnavailable, 0)
	var job struct{ Status string }
	err := c.DoWith(context.Background(), "POST", "/v1/jobs", map[string]string{"url": "https://example.com"}, &job,
		client.WithIdempotencyKey("invoice-2027-001"))
	fmt.Println(err, job.Status)
	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Status, r.IdempotencyKey)
	}
	fmt.Println("jobs processed:", srv.JobsProcessed())
	// Output:
	// <nil> queued
	// POST /v1/jobs 503 invoice-2027-001
	// POST /v1/jobs 201 invoice-2027-001
	// jobs processed: 1
}

// A rate limit whose wait is beyond WithMaxRetryAfter ends the call at once:
// the error matches apierrors.ErrRateLimited and says how long to wait. Here
// the first answer already said the hour's quota was spent
// (X-RateLimit-Remaining: 0), so the key's pacer holds the second call back
// without sending it (Attempts 0).
func Example_rateLimited() {
	clock := clienttest.NewFakeClock(time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "hourly", Scopes: []string{"scrape"}, RateLimitPerHour: 1})
	// The key's pacer keeps the server's time too, so that its gate opens
	// when the server's clock says the hour is over (and a second more: a
	// reset in whole seconds may end up to a second after it says).
	c, _ := srv.NewClient(key, client.WithMaxRetryAfter(time.Minute),
		client.WithPacer(pacing.New(pacing.WithClock(clock.Now))))
	defer c.CloseIdleConnections()
	ctx := context.Background()

	_ = c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil)
	err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil) // the hour's one request is spent
	fmt.Println("rate limited:", errors.Is(err, apierrors.ErrRateLimited))
	wait, ok := apierrors.RetryAfter(err)
	fmt.Println("retry after:", wait, ok)
	var apiErr *apierrors.Error
	if errors.As(err, &apiErr) {
		fmt.Println("attempts:", apiErr.Attempts)
		fmt.Println("not retried:", apiErr.NotRetried)
	}

	clock.Advance(wait) // a scheduler would come back then
	fmt.Println("after the wait:", c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil))
	// Output:
	// rate limited: true
	// retry after: 1h0m1s true
	// attempts: 0
	// not retried: the key's rate-limit gate (closed by a 429 or a spent quota) stays closed 1h0m1s away, over the 1m0s cap (WithMaxRetryAfter)
	// after the wait: <nil>
}

// A key's credit ceiling, like an empty workspace balance, is a 402: it
// matches apierrors.ErrPayment and its code sentinel, and is not retried.
func Example_payment() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "capped", Scopes: []string{"scrape"}, CreditCeiling: 2})
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()
	ctx := context.Background()

	for i := 1; i <= 3; i++ { // a scrape costs one credit
		err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil)
		fmt.Printf("scrape %d: payment %t, key ceiling %t, workspace balance %t\n", i,
			errors.Is(err, apierrors.ErrPayment), errors.Is(err, apierrors.ErrKeyCeilingExceeded),
			errors.Is(err, apierrors.ErrWorkspaceBalance))
	}
	var apiErr *apierrors.Error
	err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil)
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, "attempts:", apiErr.Attempts, "temporary:", apiErr.Temporary())
	}
	// Output:
	// scrape 1: payment false, key ceiling false, workspace balance false
	// scrape 2: payment false, key ceiling false, workspace balance false
	// scrape 3: payment true, key ceiling true, workspace balance false
	// 402 key_ceiling_exceeded attempts: 1 temporary: false
}

// A call that never got an answer is a *client.TransportError, after the
// retries. Its text names the request (credential and key-shaped query
// values redacted), never the key.
func Example_transportError() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "unlucky"})
	c, _ := srv.NewClient(key, client.WithMaxRetries(1), client.WithRetryWait(time.Millisecond, time.Millisecond))
	defer c.CloseIdleConnections()

	srv.DropNext(2) // both attempts: the connection is closed without an answer
	err := c.Do(context.Background(), "GET", "/v1/whoami", nil, nil)
	var te *client.TransportError
	if errors.As(err, &te) {
		fmt.Println(te.Method, strings.TrimPrefix(te.URL, srv.URL), "attempts:", te.Attempts)
		fmt.Println("not retried:", te.NotRetried)
		fmt.Println(strings.Contains(err.Error(), "no answer after 2 attempts"), strings.Contains(err.Error(), key.Reveal()))
	}
	fmt.Println("an API error:", errors.As(err, new(*apierrors.Error)))
	// Output:
	// GET /v1/whoami attempts: 2
	// not retried: its one retry was used (WithMaxRetries)
	// true false
	// an API error: false
}

// DefaultSources is the search a client runs when given no key: the
// service's variable, the same name in ./.env, then the config file. Put a
// source of your own (a vault, a secret store) before it.
func ExampleDefaultSources() {
	// Point the config file somewhere empty for the example's duration, so
	// that a developer's own configuration does not change the output.
	old, had := os.LookupEnv("APIKIT_CONFIG_FILE")
	os.Setenv("APIKIT_CONFIG_FILE", "/nonexistent/apikit-example/config.yaml")
	defer func() {
		if had {
			os.Setenv("APIKIT_CONFIG_FILE", old)
		} else {
			os.Unsetenv("APIKIT_CONFIG_FILE")
		}
	}()

	svc := client.Service{Name: "acme", BaseURL: "https://api.acme.example", EnvVar: "EXAMPLE_ACME_API_KEY_UNSET"}
	vault := credentials.ProviderFunc(func(context.Context) (credentials.Credential, error) {
		k, err := keys.Parse("acme-0123456789abcdef", keys.Opaque)
		return credentials.Credential{Key: k, Source: credentials.Source{Kind: "vault", Detail: "secret/acme"}}, err
	})
	c, err := client.New(client.WithService(svc),
		client.WithCredentials(credentials.Chain(append([]credentials.Provider{vault}, client.DefaultSources(svc)...)...)))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range c.Diagnose(context.Background()).Entries {
		fmt.Println(e.Source.Kind, e.Found, e.Wins)
	}
	// Output:
	// vault true true
	// env false false
	// .env file false false
	// config file false false
}

// A 2xx answer that is not JSON — here a captive portal's page — is a
// *client.DecodeError naming the status and the content type, never the
// page's bytes.
func ExampleDecodeError() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	srv.Handle("GET /v1/portal", clienttest.Endpoint{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>Sign in to the hotel Wi-Fi</html>")
	})})
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "traveller"})
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()

	var page struct{ Content string }
	err := c.Do(context.Background(), "GET", "/v1/portal", nil, &page)
	var de *client.DecodeError
	if errors.As(err, &de) {
		fmt.Println(de.StatusCode, de.ContentType, de.Reason)
	}
	fmt.Println(err)
	// Output:
	// 200 text/html invalid JSON at byte 1
	// client: GET /v1/portal: the 200 answer (39 bytes) is text/html, not JSON, so it cannot fill *struct { Content string } (invalid JSON at byte 1); check the base URL: a proxy or a captive portal may have answered
}
