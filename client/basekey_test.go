package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/internal/redact"
	"github.com/apikit/apikit-go/keys"
)

// leaked names the first piece of secret's secret part (MinRun characters
// or more; its public prefix such as "hd_live_" is no secret) found in
// text, "" when there is none.
func leaked(text, secret string) string {
	part := secret[redact.PublicPrefix(secret):]
	for i := 0; i+redact.MinRun <= len(part); i++ {
		if s := part[i : i+redact.MinRun]; strings.Contains(text, s) {
			return s
		}
	}
	return ""
}

// A base URL whose path holds a key, or what looks like one, is refused by
// New, wherever it comes from, and by a call's WithBaseURL; the error
// says why and what to do, and repeats no piece of the key.
func TestBaseURLWithKeyShapedPathRefused(t *testing.T) {
	const hd = "hd_live_8K2nB7q4XwY1zR5tV9mC3pL6sD0fG2hJ"
	const random = "Zx81KqP0mWv3Lr7TnY2bQ9cD" // no known format: random-looking
	for _, tc := range []struct{ name, base, secret string }{
		{"built-in key", "https://api.example.com/v1/" + hd + "/", hd},
		{"random word", "https://api.example.com/" + random, random},
		{"hex", "https://api.example.com/v3/023e105f4ecef8ad9ca31a8372d0c353", "023e105f4ecef8ad9ca31a8372d0c353"},
		{"upper case and digits", "https://api.example.com/01HGW2BBYRZ9N5M9X7YP8D6ZQ4/", "01HGW2BBYRZ9N5M9X7YP8D6ZQ4"},
		{"escaped", "https://api.example.com/v1/" + strings.ReplaceAll(hd, "_", "%5F"), hd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(WithService(testService("https://api.example.com")), WithAPIKey(testKey), WithBaseURL(tc.base))
			if !errors.Is(err, ErrKeyInBaseURL) || !strings.Contains(err.Error(), "WithAPIKey or WithCredentials") {
				t.Fatalf("New: %v; want ErrKeyInBaseURL saying what to do", err)
			}
			if s := leaked(fmt.Sprintf("%v %+v %#v", err, err, err), tc.secret); s != "" {
				t.Errorf("the error holds %q: %v", s, err)
			}
			t.Setenv("TESTSVC_BASE_URL", tc.base)
			svc := testService("https://api.example.com")
			svc.BaseURLEnvVar = "TESTSVC_BASE_URL"
			if _, err := New(WithService(svc), WithAPIKey(testKey)); !errors.Is(err, ErrKeyInBaseURL) || leaked(err.Error(), tc.secret) != "" {
				t.Errorf("from the environment: %v", err)
			}
			c, err := New(WithService(testService("https://api.example.com")), WithAPIKey(testKey))
			if err != nil {
				t.Fatal(err)
			}
			err = c.DoWith(context.Background(), "GET", "/x", nil, nil, WithBaseURL(tc.base))
			if !errors.Is(err, ErrKeyInBaseURL) || leaked(err.Error(), tc.secret) != "" {
				t.Errorf("per call: %v", err)
			}
		})
	}
}

// Ids and versions in a base URL path are not keys.
func TestBaseURLPathsThatAreNoKeys(t *testing.T) {
	for _, base := range []string{
		"https://api.example.com/v1", "https://api.example.com/api/v2/projects/acme-production-eu-west-1",
		"https://api.example.com/tenants/42/", "https://api.example.com/hypedata-proxy/",
		"https://api.example.com/v1/projects/3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d/",
		// CamelCase names change case as often as a secret, but in words.
		"https://services.odata.org/V4/TripPinServiceRW", "https://contoso.sharepoint.com/sites/MarketingTeamSite/_api",
		"https://api.example.com/internal/reportingServiceV2Endpoint", "https://api.example.com/XMLHttpRequestHandler.ashx",
	} {
		if _, err := New(WithService(testService(base)), WithAPIKey(testKey)); err != nil {
			t.Errorf("%s: %v", base, err)
		}
	}
}

// A UUID in the path of a service whose keys are UUIDs (HyperSync) may be
// the key: it is refused there, and only there.
func TestBaseURLUUIDRefusedOnlyWhereKeysAreUUIDs(t *testing.T) {
	svc := testService("https://api.example.com/v1/projects/3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d")
	svc.KeyFormat = keys.HyperSync
	_, err := New(WithService(svc), WithAPIKey("0c7d3a52-6f1e-4b89-9a2d-7e5c4b3a2f10"))
	if !errors.Is(err, ErrKeyInBaseURL) {
		t.Fatalf("New: %v; want ErrKeyInBaseURL", err)
	}
	// A custom service whose own format takes UUIDs is refused the same way.
	svc.KeyFormat = &keys.Format{Name: "uuids", Charset: keys.Hex + "-", MinLength: 36, MaxLength: 36}
	svc.Name = "uuidsvc"
	if _, err := New(WithService(svc), WithCredentials(credentials.Static("0c7d3a52-6f1e-4b89-9a2d-7e5c4b3a2f10"))); !errors.Is(err, ErrKeyInBaseURL) {
		t.Fatalf("New, a custom format of UUIDs: %v; want ErrKeyInBaseURL", err)
	}
}

// A key that looks like no key ("letmein-please-2024" fits the opaque
// format of a custom service) is still found in the base URL once the
// client knows it: at New for an explicit key, and on the first call for
// a key found later. Whatever the path, nothing is sent, and the key is in
// nothing the SDK printed, logged or handed a middleware, nor in
// WithResponseInto's Response.
func TestBaseURLHoldingTheKeyNeverShown(t *testing.T) {
	const secret = "letmein-please-2024"
	srv := newScripted(t, reply(200, `{}`))
	base := srv.URL + "/v1/" + secret + "/"

	_, err := New(WithService(testService(base)), WithAPIKey(secret))
	if !errors.Is(err, ErrKeyInBaseURL) || leaked(err.Error(), secret) != "" || !strings.Contains(err.Error(), "REDACTED") {
		t.Fatalf("New with the explicit key: %v", err)
	}

	var logs logBuffer
	var calls []Call
	var seen []string
	mw := func(ctx context.Context, call *Call, next func(context.Context) error) error {
		seen = append(seen, fmt.Sprintf("%+v", *call))
		err := next(ctx)
		calls = append(calls, *call)
		return err
	}
	c, err := New(WithService(testService(base)), WithCredentials(credentials.Static(secret)),
		WithLogger(logs.logger()), WithMiddleware(mw))
	if err != nil {
		t.Fatal(err) // the key is not known yet
	}
	var out []string
	for _, path := range []string{"/items", "/" + secret} {
		var r Response
		err := c.DoWith(context.Background(), "GET", path, nil, nil, WithResponseInto(&r))
		if !errors.Is(err, ErrKeyInBaseURL) {
			t.Fatalf("GET %s: %v; want ErrKeyInBaseURL", path, err)
		}
		out = append(out, fmt.Sprintf("%v %+v %#v %+v", err, err, err, r))
	}
	_, err = c.Credential(context.Background())
	out = append(out, fmt.Sprint(err))
	if _, err := c.Stream(context.Background(), "/v1/stream"); !errors.Is(err, ErrKeyInBaseURL) {
		t.Errorf("Stream: %v", err)
	} else {
		out = append(out, err.Error())
	}
	if n := len(srv.got()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
	if len(calls) != 3 || calls[0].Attempts != 0 || calls[0].BaseURL != srv.URL {
		t.Errorf("the middleware saw %+v; want the three calls, none sent, BaseURL the scheme and host", calls)
	}
	everything := strings.Join(append(append(out, seen...), logs.String(), fmt.Sprintf("%+v", calls)), "\n")
	if s := leaked(everything, secret); s != "" {
		t.Errorf("%q is shown:\n%s", s, everything)
	}
}

// FuzzBaseURLHoldsNoKey: whatever the base URL and the explicit key, New
// either refuses them or builds a client whose base URL holds no piece of
// the key; it never panics.
func FuzzBaseURLHoldsNoKey(f *testing.F) {
	f.Add("https://api.example.com/v1/letmein-please-2024/", "letmein-please-2024")
	f.Add("https://api.example.com/v1/", "hd_live_8K2nB7q4XwY1zR5tV9mC3pL6sD0fG2hJ")
	f.Add("https://api.example.com/a%2Fb/letmein-please", "letmein-please-2024")
	f.Add("https://api.example.com/"+"bGV0bWVpbi1wbGVhc2UtMjAyNA", "letmein-please-2024")
	f.Fuzz(func(t *testing.T, base, key string) {
		c, err := New(WithService(testService(base)), WithAPIKey(key))
		if err != nil {
			return
		}
		if len(key) >= redact.MinRun+redact.PublicPrefix(key) {
			if s := leaked(c.BaseURL(), key); s != "" {
				t.Fatalf("New accepted base URL %q, which holds %q of the key", c.BaseURL(), s)
			}
		}
	})
}

// A key found later in the base URL's host (a tenant subdomain named by
// the key) is no more shown than one in its path: the middleware's
// Call.BaseURL, which otelapikit records as url.full, has it redacted.
func TestBaseURLKeyInHostNeverShown(t *testing.T) {
	const secret = "letmein-please-2024"
	var calls []Call
	mw := func(ctx context.Context, call *Call, next func(context.Context) error) error {
		err := next(ctx)
		calls = append(calls, *call)
		return err
	}
	c, err := New(WithService(testService("https://"+secret+".api.example.com/v1")),
		WithCredentials(credentials.Static(secret)), WithMiddleware(mw))
	if err != nil {
		t.Fatal(err) // the key is not known yet
	}
	err = c.Do(context.Background(), "GET", "/items", nil, nil)
	if !errors.Is(err, ErrKeyInBaseURL) {
		t.Fatalf("Do: %v; want ErrKeyInBaseURL", err)
	}
	shown := fmt.Sprintf("%v %+v", err, calls)
	if s := leaked(shown, secret); s != "" || len(calls) != 1 {
		t.Errorf("%q is shown, or not one call: %s", s, shown)
	}
}

// FuzzCamelWords: camelWords never panics, and what it accepts is made of
// URL-safe characters in runs it allows (no lower-case run under 3).
func FuzzCamelWords(f *testing.F) {
	for _, s := range []string{"TripPinServiceRW", "XMLHttpRequestHandler", "Zx81KqP0mWv3Lr7TnY2bQ9cD", "a", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !camelWords(s) {
			return
		}
		for i, run := 0, 0; i <= len(s); i++ {
			if i < len(s) && charClass(s[i]) == 'a' {
				run++
				continue
			}
			if run == 1 && (i < 2 || charClass(s[i-2]) != 'A') {
				t.Fatalf("camelWords(%q) accepts a lone lower-case letter at %d", s, i-1)
			}
			run = 0
		}
	})
}

// A call's WithBaseURL on another host is refused with an error that names
// that scheme and host, never its path, which may hold the key.
func TestPerCallBaseURLOnAnotherHostShowsNoPath(t *testing.T) {
	const secret = "letmein-please-2024"
	c, err := New(WithService(testService("https://api.example.com")), WithAPIKey(secret))
	if err != nil {
		t.Fatal(err)
	}
	base := "https://other.example.com/v1/" + secret
	err = c.DoWith(context.Background(), "GET", "/x", nil, nil, WithBaseURL(base))
	if err == nil || !strings.Contains(err.Error(), "https://other.example.com/…") {
		t.Fatalf("DoWith: %v; want the other host named", err)
	}
	_, serr := c.Stream(context.Background(), "/x", WithBaseURL(base))
	if s := leaked(fmt.Sprintf("%v %+v", err, serr), secret); s != "" {
		t.Errorf("%q is shown: %v; %v", s, err, serr)
	}
}

// A key the caller wrote into a request's path is redacted from what the
// client prints of that path, as from a middleware's Call.Path: the errors
// of a malformed call, of an answer that does not decode and of a Send,
// the retry and attempt logs, and RetryEvent.Path; for a key found by the
// call itself, too.
func TestKeyInRequestPathNeverShown(t *testing.T) {
	const secret = "letmein-please-2024"
	path := "/v1/" + secret + "/items"
	srv := newScripted(t, reply(503, `{}`), reply(200, `not json`), reply(200, `{}`), reply(200, `{}`))
	var logs logBuffer
	var events []RetryEvent
	for i, keyOpt := range []Option{WithCredentials(credentials.Static(secret)), WithAPIKey(secret)} {
		fs := &fakeSleep{}
		c, err := New(WithService(testService(srv.URL)), keyOpt, withSleeper(fs.sleep), WithLogger(logs.logger()),
			WithRetryHook(func(ev RetryEvent) { events = append(events, ev) }))
		if err != nil {
			t.Fatal(err)
		}
		var out struct{}
		var shown []string
		if i == 0 { // this client finds its key on this call: a 503, its retry, an answer that does not decode
			err = c.DoWith(context.Background(), "GET", path, nil, &out)
			shown = append(shown, fmt.Sprint(err))
		}
		err = c.DoWith(context.Background(), "GET", path, nil, 3)
		shown = append(shown, fmt.Sprint(err))
		req, _ := http.NewRequest("GET", path, nil)
		_, err = c.Send(context.Background(), req, WithAttemptTimeout(-1))
		shown = append(shown, fmt.Sprint(err))
		_, err = c.Stream(context.Background(), path, WithAttemptTimeout(-1))
		shown = append(shown, fmt.Sprint(err))
		everything := strings.Join(append(shown, logs.String(), fmt.Sprintf("%+v", events)), "\n")
		if s := leaked(everything, secret); s != "" {
			t.Errorf("%q is shown:\n%s", s, everything)
		}
	}
	if len(events) != 1 {
		t.Errorf("%d retries, want the 503's", len(events))
	}
}

// A stream whose first connection finds the key shows its path with the
// key redacted, as the calls after it do.
func TestKeyInStreamPathNeverShown(t *testing.T) {
	const secret = "letmein-please-2024"
	srv := newScripted(t, reply(200, `{}`))
	c, err := New(WithService(testService(srv.URL)), WithCredentials(credentials.Static(secret)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Stream(context.Background(), "/v1/"+secret+"/events")
	if err == nil || !strings.Contains(err.Error(), "not a text/event-stream") || leaked(err.Error(), secret) != "" {
		t.Fatalf("Stream: %v; want the wrong Content-Type, the key redacted", err)
	}
}
