package reliability

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/keys"
)

// echoField is one place of an error response a server can echo the key
// into: a member of a dialect's body, a WWW-Authenticate parameter or a
// response header. {E} stands for the echoed key.
type echoField struct {
	name   string
	status int
	header map[string]string // values may hold {E}
	body   string            // JSON bodies: {E} is replaced JSON-escaped
	json   bool              // body is JSON ({E} is escaped), else raw text
	// shown: the SDK takes the field into its error, so the audit can see
	// that the echo was read and scrubbed ("REDACTED" in its text). Fields
	// the decoder ignores are still searched, but cannot be checked this
	// way.
	shown bool
}

// echoFields lists every field a dialect body can carry (Hypedata, HopX's
// nested error with details, Hypersave, web3.storage, RFC 9457
// problem+json, RFC 6750 WWW-Authenticate, plain text), each on its own so
// that no other field shadows it, and the request-id headers.
func echoFields() []echoField {
	j := func(name string, status int, body string) echoField {
		return echoField{name: name, status: status, body: body, json: true, shown: true}
	}
	withHeader := func(f echoField, kv ...string) echoField {
		f.header = map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			f.header[kv[i]] = kv[i+1]
		}
		return f
	}
	// The key straddles the cut: Message is bounded at 512 bytes,
	// RequestID and RequiredScope at 128; scrubbing comes first, so
	// REDACTED survives and no piece of the key does.
	long, mid := strings.Repeat("x", 490), strings.Repeat("r", 110)
	return []echoField{
		j("message", 401, `{"error":{"code":"unknown_key","message":"{E}"}}`),
		j("message list", 401, `{"error":{"code":"unknown_key","message":["first","{E}"]}}`),
		j("message at the cut", 401, `{"error":{"code":"unknown_key","message":"`+long+`{E}"}}`),
		j("top-level message", 401, `{"message":"key {E} is not valid"}`),
		j("code", 401, `{"error":{"code":"{E}","message":"m"}}`),
		j("error (one word: the code)", 401, `{"error":"{E}"}`),
		j("error (a sentence: the message)", 401, `{"error":"bad key {E} here"}`),
		j("request_id at the cut", 401, `{"error":{"code":"unknown_key","request_id":"`+mid+`{E}"}}`),
		j("required_scope at the cut", 403, `{"error":{"code":"insufficient_scope","required_scope":"`+mid+`{E}"}}`),
		j("request_id", 401, `{"error":{"code":"unknown_key","request_id":"{E}"}}`),
		j("requestId", 401, `{"error":{"code":"unknown_key","requestId":"{E}"}}`),
		j("required_scope", 403, `{"error":{"code":"insufficient_scope","required_scope":"{E}"}}`),
		j("requiredScope list", 403, `{"error":{"code":"insufficient_scope","requiredScope":["scrape","{E}"]}}`),
		j("reason", 401, `{"error":{"code":"revoked","reason":"{E}","revoked_at":"2026-01-02T03:04:05Z"}}`),
		j("revoked_reason", 401, `{"error":{"code":"revoked","revoked_reason":"{E}"}}`),
		j("revokedReason", 401, `{"code":"revoked","revokedReason":"{E}"}`),
		j("details.message", 429, `{"error":{"details":{"message":"{E}","retry_after_seconds":0}}}`),
		j("details.code", 401, `{"error":{"details":{"code":"{E}"}}}`),
		j("details.request_id", 503, `{"error":{"code":"unavailable","details":{"request_id":"{E}"}}}`),
		j("details.required_scope", 403, `{"error":{"code":"insufficient_scope","details":{"required_scope":"{E}"}}}`),
		j("details.reason", 401, `{"error":{"code":"revoked","details":{"reason":"{E}"}}}`),
		j("details.error_description", 400, `{"error":{"details":{"error_description":"{E}"}}}`),
		j("hypersave message", 401, `{"success":false,"error":"UNAUTHORIZED","message":"{E}"}`),
		j("web3 message", 401, `{"code":"ERROR_TOKEN_NOT_FOUND","message":"{E}"}`),
		withHeader(j("problem title", 401, `{"type":"about:blank","title":"{E}","status":401}`), "Content-Type", "application/problem+json"),
		withHeader(j("problem detail", 403, `{"type":"about:blank","title":"Forbidden","detail":"{E}"}`), "Content-Type", "application/problem+json"),
		withHeader(j("problem type", 401, `{"type":"https://errors.example/{E}","title":"Unauthorized"}`), "Content-Type", "application/problem+json"),
		withHeader(j("problem type (last segment)", 400, `{"type":"https://errors.example/probs/x{E}"}`), "Content-Type", "application/problem+json"),
		withHeader(echoField{name: "WWW-Authenticate scope", status: 403, shown: true},
			"WWW-Authenticate", `Bearer realm="api", error="insufficient_scope", scope="{E}"`),
		withHeader(echoField{name: "WWW-Authenticate error_description", status: 401, shown: true},
			"WWW-Authenticate", `Bearer error="invalid_token", error_description="the key {E} is unknown"`),
		withHeader(echoField{name: "WWW-Authenticate error", status: 401, shown: true},
			"WWW-Authenticate", `Bearer error="{E}"`),
		withHeader(j("X-Request-ID", 401, `{"error":{"code":"unknown_key"}}`), "X-Request-ID", "req_{E}"),
		withHeader(j("Request-Id", 503, `{"error":{"code":"unavailable"}}`), "Request-Id", "{E}"),
		withHeader(j("Cf-Ray", 500, `{}`), "Cf-Ray", "{E}-AMS"),
		withHeader(echoField{name: "Retry-After", status: 429, body: `{"error":{"code":"rate_limited"}}`, json: true}, "Retry-After", "{E}"),
		{name: "plain-text body", status: 401, body: "unknown key {E}\nsecond line", shown: true},
		{name: "JSON string body", status: 401, body: `"{E}"`, shown: true},
		{name: "HTML body", status: 502, body: "<html><body>key {E}</body></html>"},
	}
}

// echoEncoding is a form in which a server writes the key back.
type echoEncoding struct {
	name     string
	encode   func(string) string
	scrubbed bool // the SDK promises to scrub this form
}

var echoEncodings = []echoEncoding{
	{"raw", func(s string) string { return s }, true},
	{"URL-encoded", url.QueryEscape, true},
	{"path-encoded", url.PathEscape, true},
	{"base64", func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }, true},
	{"base64url", func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }, true},
	// A piece of the key, as servers echo it: "key hd_live_8K2nB7q4XwY1… is
	// not known" (the prefix and 12 characters of the secret), and 10
	// characters from the middle of the secret.
	{"its first 12", func(s string) string { return s[:min(len(s), publicPrefix(s)+12)] + "…" }, true},
	{"10 from the middle", func(s string) string {
		p := publicPrefix(s)
		return "…" + s[min(len(s), p+6):min(len(s), p+16)] + "…"
	}, true},
}

// publicPrefix is the length of a key's "<service>_live_" or
// "<service>_test_" prefix, which names its kind and is not secret; 0 when
// it has none.
func publicPrefix(key string) int {
	for _, env := range [...]string{"_live_", "_test_"} {
		if i := strings.Index(key, env); i > 0 && strings.Trim(key[:i], "abcdefghijklmnopqrstuvwxyz") == "" {
			return i + len(env)
		}
	}
	return 0
}

// opaqueKey is a key of a custom service whose characters URL encoding
// changes, so that the URL-encoded echo differs from the raw one (a
// Hypedata key is URL-safe: both forms are the same).
const opaqueKey = "sk_Ab+3d/Ef=6h%Ij&9k?Lm#2n;Op:5q@Rs8t,Uv!Wx*Yz~"

// echoServer answers every request with the error of field fields[i] and
// the presented key in encoding encodings[j], for the path /e/i/j. It finds
// the key wherever the client put it: Authorization, X-API-Key, ?api_key.
func echoServer(t *testing.T, fields []echoField, encodings []echoEncoding) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/e/"), "/")
		if len(parts) != 2 {
			http.NotFound(w, r)
			return
		}
		i, _ := strconv.Atoi(parts[0])
		j, _ := strconv.Atoi(parts[1])
		f, enc := fields[i], encodings[j]
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if key == "" {
			key = r.Header.Get("X-Api-Key")
		}
		if key == "" {
			key = r.URL.Query().Get("api_key")
		}
		e := enc.encode(key)
		for k, v := range f.header {
			w.Header().Set(k, strings.ReplaceAll(v, "{E}", e))
		}
		body := f.body
		if f.json {
			var b bytes.Buffer
			je := json.NewEncoder(&b)
			je.SetEscapeHTML(false)
			_ = je.Encode(e)
			body = strings.ReplaceAll(body, "{E}", strings.Trim(strings.TrimSpace(b.String()), `"`))
			if w.Header().Get("Content-Type") == "" {
				w.Header().Set("Content-Type", "application/json")
			}
		} else {
			body = strings.ReplaceAll(body, "{E}", e)
		}
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestLeakAuditEchoServer: a server echoes the presented key into every
// field an error can carry, raw and URL-encoded (query and path escaping),
// in every auth mode, for a URL-safe Hypedata key and for an opaque key
// with characters URL encoding changes. Nothing the SDK returns, logs or
// hands to the retry hook may hold the key or any 8-byte piece of its secret,
// down
// to the last link of every error's Unwrap chain; and every echo the
// decoder takes must show as REDACTED, which proves the field was read and
// scrubbed, not skipped.
func TestLeakAuditEchoServer(t *testing.T) {
	var scrubbed []echoEncoding
	for _, e := range echoEncodings {
		if e.scrubbed {
			scrubbed = append(scrubbed, e)
		}
	}
	echoAudit(t, scrubbed)
}

func echoAudit(t *testing.T, encodings []echoEncoding) {
	t.Setenv("APIKIT_CONFIG_FILE", t.TempDir()+"/none.yaml") // no developer config
	t.Setenv("APIKIT_PROFILE", "")
	fields := echoFields()
	srv := echoServer(t, fields, encodings)
	hd, err := keys.Parse(hostileKey, keys.Hypedata)
	if err != nil {
		t.Fatal(err)
	}
	type keyCase struct {
		name string
		svc  client.Service
		key  string
	}
	custom := client.Service{Name: "echoapi", BaseURL: srv.URL, KeyFormat: keys.Opaque, Auth: client.AuthBearer}
	keyCases := []keyCase{{"hypedata key", client.Hypedata, hd.Reveal()}, {"opaque key", custom, opaqueKey}}
	modes := []struct {
		name string
		opts []client.Option
	}{{"bearer", nil}, {"header", []client.Option{client.WithHeaderAuth("")}}, {"query", []client.Option{client.WithQueryAuth("")}}}

	a := &audit{}
	calls := 0
	for _, kc := range keyCases {
		a.secrets = append(a.secrets, kc.key)
		for _, m := range modes {
			var events []client.RetryEvent
			opts := append([]client.Option{client.WithService(kc.svc), client.WithBaseURL(srv.URL), client.WithAPIKey(kc.key),
				client.WithLogger(a.logger()), client.WithRetryWait(time.Millisecond, time.Millisecond),
				client.WithRetryHook(func(ev client.RetryEvent) { events = append(events, ev) })}, m.opts...)
			c, err := client.New(opts...)
			if err != nil {
				t.Fatalf("%s, %s: %v", kc.name, m.name, err)
			}
			for i, f := range fields {
				for j, enc := range encodings {
					n := len(a.outputs)
					err := c.Do(context.Background(), "GET", fmt.Sprintf("/e/%d/%d?page=1", i, j), nil, nil)
					calls++
					if err == nil {
						t.Errorf("%s, %s, %s, %s: no error", kc.name, m.name, f.name, enc.name)
						continue
					}
					a.record(err)
					if f.shown && enc.scrubbed && !strings.Contains(strings.Join(a.outputs[n:], "\n"), "REDACTED") {
						t.Errorf("%s, %s, %s, %s: the echo does not show as REDACTED (the field was not read?): %v",
							kc.name, m.name, f.name, enc.name, err)
					}
				}
			}
			a.record(events, c)
			c.CloseIdleConnections()
		}
	}

	// A transport (the caller's own, through WithHTTPClient: a tracing or
	// proxy layer) that fails with the key in several links of a wrapped
	// chain, one of them joined: the SDK's error must be clean at every
	// link, not only at the top, and still unwrap to the links that are.
	for _, kc := range keyCases {
		for _, m := range modes {
			opts := append([]client.Option{client.WithService(kc.svc), client.WithBaseURL(srv.URL), client.WithAPIKey(kc.key),
				client.WithLogger(a.logger()), client.WithRetryWait(time.Millisecond, time.Millisecond),
				client.WithHTTPClient(&http.Client{Transport: leakyTransport{}})}, m.opts...)
			c, err := client.New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Do(context.Background(), "GET", "/e/0/0", nil, nil)
			calls++
			var te *client.TransportError
			if !errors.As(err, &te) || !errors.Is(err, errLeakyProxy) {
				t.Errorf("%s, %s: err = %v; want a *client.TransportError that still unwraps to errLeakyProxy", kc.name, m.name, err)
			}
			a.record(err)
		}
	}

	found := a.findings()
	t.Logf("echo audit: %d calls (%d fields × %d encodings × 3 auth modes × 2 keys, and 6 leaky-transport calls); %d outputs (%d error-chain links) and %d bytes of logs searched: %d findings",
		calls, len(fields), len(encodings), len(a.outputs), a.links, a.logs.Len(), len(found))
	for _, f := range found {
		t.Errorf("a secret appears in output: …%s", f)
	}
	for _, p := range a.panics() {
		t.Errorf("printing a value panicked: %.300s", p)
	}
	shown := 0
	for _, f := range fields {
		if f.shown {
			shown++
		}
	}
	t.Logf("%d of the %d fields reach the error, each checked for REDACTED", shown, len(fields))
	if a.links <= calls {
		t.Errorf("%d error-chain links for %d calls: the audit did not walk the Unwrap chains", a.links, calls)
	}
}

var errLeakyProxy = errors.New("proxy refused")

// leakyTransport fails every request with an error chain that quotes the
// key at several depths: wrapped with %w, joined with errors.Join, inside a
// *net.OpError.
type leakyTransport struct{}

func (leakyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
	if key == "" {
		key = req.Header.Get("X-Api-Key")
	}
	if key == "" {
		key = req.URL.Query().Get("api_key")
	}
	inner := &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("proxy said: bad credential %s", key)}
	joined := errors.Join(fmt.Errorf("%w for %s", errLeakyProxy, url.QueryEscape(key)), inner)
	return nil, fmt.Errorf("tracing: request with key %s failed: %w", key, joined)
}
