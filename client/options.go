package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/apikit/apikit-go/client/internal/defaultkey"
	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
	"github.com/apikit/apikit-go/pacing"
)

// Option configures a Client when given to New, or one call when given to
// DoWith, Send or Stream (as a RequestOption, the same type). Options check
// their input; New reports the first invalid one, so a mistake surfaces when
// the client is built, not on the first request, and a call given an invalid
// one sends nothing.
//
// The options with a per-call meaning work in both places under the same
// name, a per-call value overriding the client's: WithMaxRetries,
// WithAttemptTimeout, WithTimeout, WithHeader, WithBaseURL (same scheme and
// host only) and WithMiddleware. Some are per call only (WithIdempotencyKey,
// WithoutRetry, WithResponseInto, WithStreamIdleTimeout, WithMaxEventBytes)
// and New refuses them; the others configure the client only, and a call
// given one fails before anything is sent.
type Option func(*settings) error

// Defaults of the retry policy (the README's "Retries" section).
const (
	DefaultMaxRetries    = 3
	DefaultRetryWaitMin  = 500 * time.Millisecond
	DefaultRetryWaitMax  = 8 * time.Second
	DefaultMaxRetryAfter = 60 * time.Second
	// DefaultMaxResponseBytes bounds the success body Do reads (use Send to
	// stream larger ones).
	DefaultMaxResponseBytes = 64 << 20
	// DefaultAttemptTimeout bounds each attempt when WithAttemptTimeout is
	// not given, so that a server that accepts a connection and never
	// answers cannot hold a call made with context.Background() forever
	// (Stripe's Go SDK bounds a request at 80 s for the same reason).
	DefaultAttemptTimeout = 60 * time.Second
)

// maxRetriesLimit bounds WithMaxRetries: beyond it a typo is likelier than
// intent.
const maxRetriesLimit = 100

// settings is what the options fill in; New turns it into a Client.
type settings struct {
	service           Service
	serviceSet        bool
	apiKey            string
	apiKeySet         bool
	defaultKey        string // a test helper's key (defaultkey.Key), used when no option names a source
	provider          credentials.Provider
	baseURL           string
	httpClient        *http.Client
	maxRetries        int
	waitMin           time.Duration
	waitMax           time.Duration
	maxRetryAfter     time.Duration
	attemptTimeout    time.Duration
	attemptTimeoutSet bool
	logger            *slog.Logger
	userAgent         string
	auth              AuthStyle
	authSet           bool
	headerName        string
	queryParam        string
	queryAuth         bool
	insecureHTTP      bool
	requireEnv        keys.Env
	retryHook         func(RetryEvent)
	maxBody           int64
	pacer             pacing.Pacer
	limit             pacing.Limit
	pacingHook        func(PacingEvent)
	withoutKey        bool
	retryBudget       int
	timeout           time.Duration // WithTimeout: each call's whole duration
	header            http.Header   // WithHeader given to New: sent on every call
	middleware        []Middleware
	redirects         RedirectPolicy // WithRedirects
	redirectHosts     []string       // WithRedirectHosts
	pacerObserver     func(pacing.Event)

	// call is set while the options of one call are applied: the options
	// with a per-call meaning write there, and those without one leave
	// the rest of settings as it was (zero), which is how a misplaced
	// client option is told apart (see callSettings).
	call *requestSettings

	// Test seams: how the client waits and what time it is.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
	// paceNow is the clock of the client's own pacer; tests whose sleeps
	// are fake advance it by what they "slept".
	paceNow func() time.Time
}

func defaultSettings() settings {
	return settings{
		maxRetries:     DefaultMaxRetries,
		waitMin:        DefaultRetryWaitMin,
		waitMax:        DefaultRetryWaitMax,
		maxRetryAfter:  DefaultMaxRetryAfter,
		maxBody:        DefaultMaxResponseBytes,
		retryBudget:    DefaultRetryBudget,
		attemptTimeout: DefaultAttemptTimeout,
		sleep:          sleepContext,
		now:            time.Now,
		paceNow:        time.Now,
	}
}

// WithService names the API the client talks to: one of the built-in
// profiles (Hypedata, Hypersave, HopX, HyperSync, Web3Storage) or a Service
// of your own.
func WithService(s Service) Option {
	return func(o *settings) error {
		if strings.TrimSpace(s.Name) == "" {
			return errors.New("WithService: the service has no Name; set Name (it names the config file section and appears in messages)")
		}
		o.service, o.serviceSet = s, true
		return nil
	}
}

// WithAPIKey sets the key explicitly. It wins over every other source and is
// validated against the service's key format when New runs. Prefer
// WithCredentials or the environment for keys you do not want in code.
func WithAPIKey(key string) Option {
	return func(o *settings) error {
		if key == "" {
			return fmt.Errorf("WithAPIKey: the key is empty (%w); pass a key, or leave the option out to read it from the environment", apierrors.ErrMissingCredentials)
		}
		o.apiKey, o.apiKeySet = key, true
		return nil
	}
}

// WithCredentials sets where the key comes from, replacing the service's
// default search (env var, .env, config file). Use credentials.Chain to
// combine sources.
func WithCredentials(p credentials.Provider) Option {
	return func(o *settings) error {
		if p == nil {
			return errors.New("WithCredentials: the provider is nil")
		}
		if d, ok := p.(defaultkey.Key); ok { // clienttest's key: the caller's own source replaces it
			if d.Key.IsZero() {
				return fmt.Errorf("the key is empty (%w); pass a key issued by the server (IssueKey)", apierrors.ErrMissingCredentials)
			}
			o.defaultKey = d.Key.Reveal()
			return nil
		}
		o.provider = p
		return nil
	}
}

// WithBaseURL overrides the API's root URL, for example to reach a staging
// server or a clienttest server. It wins over the service's base URL
// environment variable and the config file.
//
// Given to one call, it changes the root that call's path is joined to, for
// example to reach "/v2" of the same API; it must keep the client's scheme
// and host, because the key is only ever sent to the host the client was
// built for: a call to another host fails before anything is sent (build
// another Client for it, or use Send with an absolute URL, which goes
// without the key).
//
// The base URL must not hold the key: the client sends the key itself (in
// a header, or with WithQueryAuth in the query) and shows the base URL in
// errors, logs and a Middleware's Call. So New refuses (ErrKeyInBaseURL) a
// base URL whose path has a segment that looks like a key, of a built-in
// format, of the service's own format or random-looking (CamelCase words
// such as TripPinServiceRW are not; a UUID only for a service whose keys
// are UUIDs), and one that holds the explicit key; a key found later
// fails every call that finds it in the base URL, before anything is sent.
func WithBaseURL(u string) Option {
	return func(o *settings) error {
		if _, err := parseBaseURL(u); err != nil {
			return fmt.Errorf("WithBaseURL: %w", err)
		}
		if o.call != nil {
			o.call.baseURL = u
			return nil
		}
		o.baseURL = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client whose transport, timeout, cookie jar
// and redirect policy the SDK builds on; the SDK layers its authentication
// and retries over it (so instrumentation such as otelhttp or a proxy keeps
// working) and never modifies the client passed in.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *settings) error {
		if hc == nil {
			return errors.New("WithHTTPClient: the client is nil; leave the option out for the default client")
		}
		o.httpClient = hc
		return nil
	}
}

// WithMaxRetries sets how many times a failed request is sent again
// (default 3; 0 disables retries). Given to one call, it sets that call's.
func WithMaxRetries(n int) Option {
	return func(o *settings) error {
		if n < 0 || n > maxRetriesLimit {
			return fmt.Errorf("WithMaxRetries: %d is out of range; use 0 (no retries) to %d", n, maxRetriesLimit)
		}
		if o.call != nil {
			o.call.maxRetries, o.call.maxRetriesSet = n, true
			return nil
		}
		o.maxRetries = n
		return nil
	}
}

// WithRetryWait sets the bounds of the exponential backoff used when the
// server gives no hint: the first delay and the largest (defaults 0.5 s and
// 8 s). A server's hint is never shortened to fit them.
func WithRetryWait(first, max time.Duration) Option {
	return func(o *settings) error {
		if first <= 0 || max < first {
			return fmt.Errorf("WithRetryWait: need 0 < first <= max, got first %s, max %s", first, max)
		}
		o.waitMin, o.waitMax = first, max
		return nil
	}
}

// WithMaxRetryAfter sets the longest server-requested wait the client will
// sleep through (default 60 s). A longer hint ends the call at once with an
// error whose RetryAfter says how long to wait, so the caller can schedule.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(o *settings) error {
		if d < 0 {
			return fmt.Errorf("WithMaxRetryAfter: %s is negative", d)
		}
		o.maxRetryAfter = d
		return nil
	}
}

// WithAttemptTimeout bounds each attempt separately from the whole call's
// context, so that one stalled connection is retried instead of eating the
// caller's deadline (default DefaultAttemptTimeout, 60 s; 0 sets no
// bound). For Do it covers the whole attempt: connect, send, the response
// headers and the body. For Send and Stream it covers the wait for the
// response headers only: the body is the caller's to read, for as long as
// its context allows, so a long download or a long-lived event stream is
// never cut by it. The error of an attempt it ended says so, with its
// value, and matches ErrAttemptTimeout and context.DeadlineExceeded. Given
// to one call, it sets that call's.
func WithAttemptTimeout(d time.Duration) Option {
	return func(o *settings) error {
		if d < 0 {
			return fmt.Errorf("WithAttemptTimeout: %s is negative", d)
		}
		if o.call != nil {
			o.call.attemptTimeout, o.call.attemptTimeoutSet = d, true
			return nil
		}
		o.attemptTimeout, o.attemptTimeoutSet = d, true
		return nil
	}
}

// WithMaxResponseBytes bounds the success body Do reads into memory
// (default 64 MiB); a larger answer is an error, so a broken or hostile
// server cannot exhaust memory. Error bodies are bounded separately, at
// apierrors.MaxBodyBytes.
func WithMaxResponseBytes(n int64) Option {
	return func(o *settings) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxResponseBytes: %d is not positive", n)
		}
		o.maxBody = n
		return nil
	}
}

// WithLogger sends the client's log lines to l: one debug line per attempt,
// one info line per retry (attempt, wait, reason, status and code, request
// id, the key's fingerprint). They never contain the key. The client is
// silent without it, or with a nil l.
func WithLogger(l *slog.Logger) Option {
	return func(o *settings) error {
		o.logger = l
		return nil
	}
}

// WithUserAgent appends suffix (for example "myapp/1.2") to the SDK's
// User-Agent.
func WithUserAgent(suffix string) Option {
	return func(o *settings) error {
		if strings.ContainsAny(suffix, "\r\n\x00") {
			return errors.New("WithUserAgent: the suffix contains a line break or NUL")
		}
		o.userAgent = strings.TrimSpace(suffix)
		return nil
	}
}

// WithBearerAuth sends the key as "Authorization: Bearer <key>", whatever
// the service's default.
func WithBearerAuth() Option {
	return func(o *settings) error {
		o.auth, o.authSet = AuthBearer, true
		return nil
	}
}

// WithHeaderAuth sends the key in the named header instead of
// Authorization; "" means "X-API-Key". Headers net/http or proxies manage
// themselves (Host, Content-Length, Cookie, Proxy-Authorization, …) are
// refused: the key would be dropped, mangled or sent to the proxy.
func WithHeaderAuth(name string) Option {
	return func(o *settings) error {
		if name != "" && !validHeaderName(name) {
			return fmt.Errorf("WithHeaderAuth: %q is not a valid header name", name)
		}
		if reservedHeader(name) {
			return fmt.Errorf("WithHeaderAuth: %q cannot carry the key (net/http or a proxy owns it); use X-API-Key or the header your API documents", name)
		}
		o.auth, o.authSet, o.headerName = AuthHeader, true, name
		return nil
	}
}

// WithQueryAuth sends the key as the query parameter param ("" means the
// service's, else "api_key"). URLs end up in proxy logs, browser history and
// analytics, so this is never a default: a service profile that asks for
// query auth needs this option too. The SDK still keeps the key out of its
// own logs and errors.
func WithQueryAuth(param string) Option {
	return func(o *settings) error {
		if param != "" && !validHeaderName(param) {
			return fmt.Errorf("WithQueryAuth: %q is not a usable parameter name", param)
		}
		o.auth, o.authSet, o.queryParam, o.queryAuth = AuthQuery, true, param, true
		return nil
	}
}

// WithInsecureHTTP allows a plain-HTTP base URL on a non-loopback host. The
// key then crosses the network in clear text; use it only inside a trusted
// network. Loopback hosts (127.0.0.0/8, ::1, localhost) never need it.
func WithInsecureHTTP() Option {
	return func(o *settings) error {
		o.insecureHTTP = true
		return nil
	}
}

// WithRequireEnv refuses keys of the other environment before any request:
// WithRequireEnv(keys.EnvTest) in a test setup makes a live key an error,
// and keys.EnvLive in production refuses test keys.
func WithRequireEnv(env keys.Env) Option {
	return func(o *settings) error {
		if env != keys.EnvLive && env != keys.EnvTest {
			return fmt.Errorf("WithRequireEnv: want keys.EnvLive or keys.EnvTest, got %v", env)
		}
		o.requireEnv = env
		return nil
	}
}

// WithRetryHook calls f before every retry, after the wait is decided and
// before it starts: the place for metrics. f runs on the caller's goroutine
// and must not block.
func WithRetryHook(f func(RetryEvent)) Option {
	return func(o *settings) error {
		o.retryHook = f
		return nil
	}
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// reservedHeader reports headers that cannot carry a key: net/http sets or
// drops them, or a proxy consumes them.
func reservedHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Host", "Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding", "Connection",
		"Keep-Alive", "Te", "Trailer", "Upgrade", "Cookie", "Proxy-Authorization", "Proxy-Connection",
		"User-Agent", "Accept", "Accept-Encoding", "Idempotency-Key":
		return true
	}
	return false
}
