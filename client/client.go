package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/internal/ratelimit"
	"github.com/apikit/apikit-go/keys"
	"github.com/apikit/apikit-go/pacing"
)

// maxResponseHeaderBytes bounds the response headers the default transport
// accepts (net/http's own default is 10 MiB).
const maxResponseHeaderBytes = 1 << 20

// defaultIdleConnsPerHost is how many idle connections the default
// transport keeps to the API's host: enough for the goroutines that share a
// client (net/http's own default is 2).
const defaultIdleConnsPerHost = 100

// Version is the SDK's version, sent in the User-Agent.
const Version = "0.2.0"

// Client sends requests to one API with one key source. It is safe for
// concurrent use; build one per service and reuse it, so that connections
// and the resolved key are shared.
type Client struct {
	svc     Service         // BaseURL resolved
	rlNames ratelimit.Names // svc.RateLimitHeaders
	baseStr string          // base URL without a trailing slash
	scheme  string          // the base URL's scheme, lower case
	host    string          // the base URL's host[:port], lower case

	hc *http.Client // the caller's client (copied) over the auth transport

	redirects     RedirectPolicy // which redirects hc follows
	redirectHosts []string       // and to which other hosts

	creds   *credentials.Cache
	chain   []credentials.Provider // the sources in order, for Diagnose
	static  bool                   // the key was given with WithAPIKey
	keyless bool                   // WithoutKey: no key is ever sent
	format  *keys.Format
	cur     atomic.Pointer[resolved]

	auth       AuthStyle
	authHeader string // "Authorization" or the header carrying the key
	queryParam string

	maxRetries     int
	waitMin        time.Duration
	waitMax        time.Duration
	maxRetryAfter  time.Duration
	attemptTimeout time.Duration
	maxBody        int64

	logger    *slog.Logger
	userAgent string
	retryHook func(RetryEvent)
	sleep     func(ctx context.Context, d time.Duration) error
	now       func() time.Time

	rate rateLimitState

	pacer      pacing.Pacer // every attempt passes through it
	limit      pacing.Limit // the key's known limit (WithRateLimit), or zero
	pacingHook func(PacingEvent)
	budget     *retryBudget // retries of server errors, client-wide

	timeout    time.Duration // WithTimeout: each call's whole duration
	header     http.Header   // WithHeader given to New
	middleware []Middleware
	// pacerObserver is WithPacerObserver's function.
	pacerObserver func(pacing.Event)
	// headerTimeout is the ResponseHeaderTimeout of the SDK's own
	// transport, which is how DefaultAttemptTimeout is kept without a
	// context per request; 0 when the transport is the caller's or
	// WithAttemptTimeout was given. hcLong is the same client without it,
	// for calls whose own attempt timeout is longer (or none).
	headerTimeout time.Duration
	hcLong        *http.Client
	// watchdogs holds the stopped timers of bounded attempts, for reuse
	// (see watchdog).
	watchdogs sync.Pool
}

// resolved is a validated credential with its ready-made header value.
type resolved struct {
	cred    credentials.Credential
	header  string              // the Authorization / key header value
	fp      string              // the key's fingerprint, for logs
	red     *apierrors.Redactor // the key's forms and runs, prepared once: what every scrub of this key uses
	expires time.Time           // when the key says it stops working (a JWT's exp); zero if it does not say
	none    bool                // WithoutKey: attach nothing
}

// New builds a Client. It checks every option, resolves the base URL
// (WithBaseURL, then the service's <NAME>_BASE_URL variable, then the config
// file's base_url, then the service default), refuses plain HTTP to a
// non-loopback host unless WithInsecureHTTP is given, and validates an
// explicit key. A key from the environment or a file is found lazily, on the
// first request or Credential call.
func New(opts ...Option) (*Client, error) {
	s := defaultSettings()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&s); err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
	}
	svc := s.service
	if !s.serviceSet {
		if s.baseURL == "" {
			return nil, errors.New("client: no service: pass WithService(client.Hypedata) (or another profile, or your own Service), or at least WithBaseURL and WithAPIKey")
		}
		svc = Service{Name: "custom", Auth: AuthBearer}
	}
	base, err := resolveBaseURL(&s, svc)
	if err != nil {
		return nil, err
	}
	u, err := parseBaseURL(base)
	if err != nil {
		return nil, fmt.Errorf("client: %s base URL: %w", svc.Name, err)
	}
	if u.Scheme == "http" && !s.insecureHTTP && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("client: base URL %s is plain HTTP to a non-loopback host, which would send the key in clear text; use https, or opt in with WithInsecureHTTP", u.Redacted())
	}
	svc.BaseURL = strings.TrimRight(u.String(), "/")

	c := &Client{
		svc:            svc,
		rlNames:        svc.RateLimitHeaders.names(),
		baseStr:        svc.BaseURL,
		scheme:         u.Scheme,
		host:           strings.ToLower(u.Host),
		format:         svc.KeyFormat,
		maxRetries:     s.maxRetries,
		waitMin:        s.waitMin,
		waitMax:        s.waitMax,
		maxRetryAfter:  s.maxRetryAfter,
		attemptTimeout: s.attemptTimeout,
		maxBody:        s.maxBody,
		logger:         s.logger,
		retryHook:      s.retryHook,
		sleep:          s.sleep,
		now:            s.now,
		limit:          s.limit,
		pacingHook:     s.pacingHook,
		budget:         newRetryBudget(s.retryBudget),
		timeout:        s.timeout,
		header:         s.header,
		middleware:     s.middleware,
		redirects:      s.redirects,
		redirectHosts:  s.redirectHosts,
		pacerObserver:  s.pacerObserver,
	}
	if s.pacerObserver != nil && s.pacer != nil {
		return nil, errors.New("client: WithPacerObserver observes the client's own pacer, and WithPacer gives another: give the observer to that pacer (pacing.WithObserver) instead")
	}
	c.pacer = c.pacerFor(&s)
	if c.format == nil {
		c.format = keys.Opaque
	}
	if err := keyInPath(u, c.format); err != nil {
		return nil, fmt.Errorf("client: %s base URL: %w", svc.Name, err)
	}
	if err := c.setAuth(&s); err != nil {
		return nil, err
	}
	if s.defaultKey != "" && !s.apiKeySet && s.provider == nil && !s.withoutKey {
		s.apiKey, s.apiKeySet = s.defaultKey, true
	}
	if s.withoutKey {
		if err := c.setKeyless(&s); err != nil {
			return nil, err
		}
	} else if err := c.setCredentials(&s); err != nil {
		return nil, err
	}
	c.hc, c.hcLong = c.httpClient(s.httpClient, !s.attemptTimeoutSet)
	c.userAgent = fmt.Sprintf("apikit-go/%s (%s/%s; %s)", Version, runtime.GOOS, runtime.GOARCH, runtime.Version())
	if s.userAgent != "" {
		c.userAgent += " " + s.userAgent
	}
	return c, nil
}

// Service returns the client's service profile, with BaseURL resolved.
func (c *Client) Service() Service { return c.svc }

// BaseURL returns the root every request path is joined to.
func (c *Client) BaseURL() string { return c.baseStr }

// Credential returns the key in use and where it came from, resolving it if
// no request has yet. Print it freely: the key redacts itself.
func (c *Client) Credential(ctx context.Context) (credentials.Credential, error) {
	if c.keyless {
		return credentials.Credential{}, fmt.Errorf("client: this %s client sends no key (WithoutKey)", c.svc.Name)
	}
	r, err := c.resolve(ctx)
	if err != nil {
		return credentials.Credential{}, err
	}
	return r.cred, nil
}

// CloseIdleConnections closes the idle connections of the underlying
// transport.
func (c *Client) CloseIdleConnections() {
	for _, hc := range [...]*http.Client{c.hc, c.hcLong} {
		if hc == nil {
			continue
		}
		if t, ok := hc.Transport.(*authTransport).base.(interface{ CloseIdleConnections() }); ok {
			t.CloseIdleConnections()
		}
	}
}

func (c *Client) setAuth(s *settings) error {
	c.auth = c.svc.Auth
	if s.authSet {
		c.auth = s.auth
	}
	switch c.auth {
	case AuthBearer:
		c.authHeader = "Authorization"
	case AuthHeader:
		c.authHeader = s.headerName
		if c.authHeader == "" {
			c.authHeader = c.svc.HeaderName
		}
		if c.authHeader == "" {
			c.authHeader = "X-API-Key"
		}
		c.authHeader = http.CanonicalHeaderKey(c.authHeader)
	case AuthQuery:
		if !s.queryAuth {
			return fmt.Errorf("client: service %s sends the key in the query string, where proxies and logs record it; opt in with WithQueryAuth(\"\") or choose WithBearerAuth", c.svc.Name)
		}
		c.queryParam = s.queryParam
		if c.queryParam == "" {
			c.queryParam = c.svc.QueryParam
		}
		if c.queryParam == "" {
			c.queryParam = "api_key"
		}
	default:
		return fmt.Errorf("client: service %s has an unknown auth style %d", c.svc.Name, int(c.auth))
	}
	return nil
}

// setCredentials builds the key source: the explicit key or provider, else
// the service's env var, .env and config file, in that order; validated
// against the key format and cached.
func (c *Client) setCredentials(s *settings) error {
	if s.apiKeySet && s.provider != nil {
		return errors.New("client: both WithAPIKey and WithCredentials given; pass one (to try a key before other sources, use credentials.Chain(credentials.Static(key), …))")
	}
	if s.requireEnv != keys.EnvUnknown && !hasEnvPrefixes(c.format) {
		return fmt.Errorf("client: WithRequireEnv(%s): %s keys carry no live/test environment, so every key would be refused", s.requireEnv, c.format.Name)
	}
	defaults := DefaultSources(c.svc)
	var p credentials.Provider
	switch {
	case s.apiKeySet:
		c.static = true
		p = credentials.Static(s.apiKey)
		c.chain = append([]credentials.Provider{p}, defaults...) // Diagnose shows what the explicit key shadows
	case s.provider != nil:
		p = s.provider // it replaces the default search: nothing is shadowed
		c.chain = []credentials.Provider{p}
	default:
		p = credentials.Chain(defaults...)
		c.chain = defaults
	}
	c.creds = credentials.NewCache(validated{p: p, format: c.format, env: s.requireEnv})
	if c.static {
		// An explicit key is checked now, so that New fails, not the first
		// call, and against the service's format first, so the error names it.
		if _, err := keys.Parse(s.apiKey, c.format); err != nil {
			return fmt.Errorf("client: %s: %w", credentials.KindExplicit, err)
		}
		if _, err := c.resolve(context.Background()); err != nil {
			return fmt.Errorf("client: %w", err)
		}
	}
	return nil
}

// httpClient copies the caller's client (or a default one) and puts the auth
// transport over its transport. With the SDK's own transport and the
// default attempt timeout, the timeout is the transport's
// ResponseHeaderTimeout (net/http's own timer, no context per request);
// long is the same client over a transport without it (its connections
// are made only if a call asks for a longer attempt timeout, or none).
func (c *Client) httpClient(user *http.Client, defaultTimeout bool) (hc, long *http.Client) {
	var h http.Client
	if user != nil {
		h = *user
		if t, ok := h.Transport.(*http.Transport); defaultTimeout && (h.Timeout > 0 || ok && t.ResponseHeaderTimeout > 0) {
			// The caller's client bounds its requests already: the
			// default does not stack another bound over it.
			c.attemptTimeout = 0
		}
	}
	h.CheckRedirect = c.checkRedirect(h.CheckRedirect)
	base := h.Transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		t.MaxResponseHeaderBytes = maxResponseHeaderBytes
		// One client serves many goroutines: keep a connection for each
		// (net/http keeps 2 per host, so the others would dial on every call).
		t.MaxIdleConnsPerHost = defaultIdleConnsPerHost
		if defaultTimeout && c.attemptTimeout > 0 {
			l := h
			l.Transport = &authTransport{c: c, base: t.Clone()}
			long = &l
			t.ResponseHeaderTimeout = c.attemptTimeout
			c.headerTimeout = c.attemptTimeout
		}
		base = t
	}
	h.Transport = &authTransport{c: c, base: base, headerTimeout: c.headerTimeout}
	return &h, long
}

// resolveBaseURL applies the precedence WithBaseURL > env > config > default.
func resolveBaseURL(s *settings, svc Service) (string, error) {
	if s.baseURL != "" {
		return s.baseURL, nil
	}
	if svc.BaseURLEnvVar != "" {
		if v := os.Getenv(svc.BaseURLEnvVar); v != "" {
			if _, err := parseBaseURL(v); err != nil {
				return "", fmt.Errorf("client: env %s: %w", svc.BaseURLEnvVar, err)
			}
			return v, nil
		}
	}
	if v, from, err := configBaseURL(svc.Name, serviceProfile(svc)); err != nil {
		return "", fmt.Errorf("client: %w", err)
	} else if v != "" {
		if _, err := parseBaseURL(v); err != nil {
			return "", fmt.Errorf("client: %s: base_url: %w", from, err)
		}
		return v, nil
	}
	if svc.BaseURL == "" {
		return "", fmt.Errorf("client: service %s has no BaseURL; set Service.BaseURL or use WithBaseURL", svc.Name)
	}
	return svc.BaseURL, nil
}

// configBaseURL reads base_url for service from the config file, if there is
// one. A missing file (or no config directory) is no error.
func configBaseURL(service, profile string) (value, from string, err error) {
	path, err := credentials.DefaultConfigPath()
	if err != nil {
		return "", "", nil
	}
	cfg, err := credentials.LoadConfig(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	if profile == "" {
		profile = credentials.DefaultProfile()
	}
	sc, ok := cfg.Service(profile, service)
	if !ok {
		return "", "", nil
	}
	return sc.BaseURL, fmt.Sprintf("config file %s, profile %q, %s", path, profile, service), nil
}

// parseBaseURL checks that raw is an absolute http(s) URL with a host and
// nothing that would leak or be dropped (user info, query, fragment).
func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("empty URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %v", stripURL(err))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("scheme %q: want https (or http for loopback)", u.Scheme)
	case u.Host == "":
		return nil, errors.New("no host")
	case u.User != nil:
		return nil, errors.New("user info in the URL: credentials belong in WithAPIKey or WithCredentials")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, errors.New("a query string: the base URL is a root; put parameters in the request path")
	case u.Fragment != "":
		return nil, errors.New("a fragment")
	}
	if err := keyInPath(u, nil); err != nil {
		return nil, err
	}
	return u, nil
}

// stripURL drops the URL text from a *url.Error so that nothing it quoted
// (it may hold a key) is repeated.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DefaultSources returns where a client of svc looks for its key when given
// neither WithAPIKey nor WithCredentials, in order:
//
//  1. the environment variable svc.EnvVar;
//  2. the same name in ./.env (read, never loaded into the environment);
//  3. the config file ($APIKIT_CONFIG_FILE, else <user config dir>/apikit/
//     config.yaml), profile $<svc.ProfileEnvVar>, else $APIKIT_PROFILE, else
//     "default", section svc.Name: api_key or api_key_command.
//
// Use it to put a source of your own first:
//
//	client.WithCredentials(credentials.Chain(append([]credentials.Provider{vault}, client.DefaultSources(svc)...)...))
func DefaultSources(svc Service) []credentials.Provider {
	var ps []credentials.Provider
	if svc.EnvVar != "" {
		ps = append(ps, credentials.Env(svc.EnvVar), credentials.DotEnv("", svc.EnvVar))
	}
	return append(ps, credentials.ConfigFile("", serviceProfile(svc), svc.Name))
}

// serviceProfile is the config profile svc's own variable names, or "" for
// the default ($APIKIT_PROFILE, else "default").
func serviceProfile(svc Service) string {
	if svc.ProfileEnvVar == "" {
		return ""
	}
	return os.Getenv(svc.ProfileEnvVar)
}

// hasEnvPrefixes reports whether f's keys say live or test.
func hasEnvPrefixes(f *keys.Format) bool {
	for _, p := range f.Prefixes {
		if p.Env != keys.EnvUnknown {
			return true
		}
	}
	return false
}
