package clienttest

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/internal/defaultkey"
	"github.com/apikit/apikit-go/keys"
)

// Server is an in-memory API server for one service profile, on loopback.
// It is safe for concurrent use.
type Server struct {
	// URL is the server's base URL, e.g. "http://127.0.0.1:41235".
	URL string

	srv   *httptest.Server
	svc   client.Service
	clock Clock

	mu       sync.Mutex
	keys     map[string]*keyState   // by id
	byHash   map[[32]byte]*keyState // by SHA-256 of the secret
	order    []string               // key ids in creation order
	balance  int64
	idem     map[string]idemAnswer
	jobs     int
	faults   []fault
	requests []RequestRecord
	conns    atomic.Int64
	streams  streams

	mux         *http.ServeMux  // the service's endpoints
	user        *http.ServeMux  // endpoints added with Handle, matched first
	handled     atomic.Bool     // user holds a pattern
	extraScopes map[string]bool // scopes beyond AllScopes, from Handle
	keyless     keylessAccess

	// The dialects' resources.
	jobList      map[string]map[string]any // Hypedata jobs by id
	sandboxes    map[string]map[string]any // HopX sandboxes by id
	sandboxOrder []string
	memories     []map[string]any // Hypersave memories
}

// Option configures a Server.
type Option func(*config)

type config struct {
	clock   Clock
	tls     bool
	balance int64
}

// WithClock makes the server read time from c (a *FakeClock in tests):
// expiry and rate windows then move only when the test advances the clock.
// The client still waits in real time, so a rate limit the client would
// retry (a wait within WithMaxRetryAfter) retries against a clock that has
// not moved and is limited again: in such tests, advance the clock between
// calls, or check the typed error with WithMaxRetries(0).
func WithClock(c Clock) Option { return func(o *config) { o.clock = c } }

// WithTLS serves HTTPS with httptest's self-signed certificate; use
// Server.HTTPClient, or NewClient, to trust it.
func WithTLS() Option { return func(o *config) { o.tls = true } }

// Unlimited is the balance of a server made without WithBalance: no call is
// refused for the workspace's balance, however many a test makes, and
// Balance reports Unlimited. SetBalance(Unlimited) lifts a limit again.
const Unlimited int64 = math.MaxInt64

// WithBalance sets the workspace's starting balance in credits, which each
// live key's request then spends (test keys are free); an empty balance
// answers 402 workspace_balance. Without it the balance is Unlimited: use it
// in tests of payment errors.
func WithBalance(credits int64) Option { return func(o *config) { o.balance = credits } }

// NewServer starts a server that answers as svc does: its key format, its
// paths and its error dialect. Close it when done (t.Cleanup(s.Close)).
func NewServer(svc client.Service, opts ...Option) *Server {
	cfg := config{clock: realClock{}, balance: Unlimited}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		svc:     svc,
		clock:   cfg.clock,
		keys:    map[string]*keyState{},
		byHash:  map[[32]byte]*keyState{},
		balance: cfg.balance,
		idem:    map[string]idemAnswer{},

		user:        http.NewServeMux(),
		extraScopes: map[string]bool{},
		jobList:     map[string]map[string]any{},
		sandboxes:   map[string]map[string]any{},
	}
	s.mux = s.routes()
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if cfg.tls {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	s.svc.BaseURL = s.URL
	s.svc.BaseURLEnvVar = ""
	return s
}

// Close shuts the server down, ending delayed requests.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Service returns the profile with BaseURL set to the server and no
// BaseURLEnvVar, ready for client.WithService. A client also reads the base
// URL from the config file, so pair it with client.WithBaseURL(srv.URL) (as
// NewClient does) to be sure a developer's own configuration cannot send
// the test's requests elsewhere.
func (s *Server) Service() client.Service { return s.svc }

// HTTPClient returns an *http.Client that trusts the server (needed with
// WithTLS).
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// NewClient returns a client of the server's service using key, with opts
// applied after the server's own. Its base URL is the server's, whatever the
// environment (<SERVICE>_BASE_URL) or the config file say, so a test never
// reaches a real or staging host. A key source among opts
// (client.WithCredentials, for a rotation test's changeable key;
// client.WithAPIKey; client.WithoutKey) replaces key, which is then only
// the default.
func (s *Server) NewClient(key keys.Key, opts ...client.Option) (*client.Client, error) {
	base := []client.Option{client.WithService(s.svc), client.WithBaseURL(s.URL),
		client.WithCredentials(defaultkey.Key{Key: key}), client.WithHTTPClient(s.srv.Client())}
	return client.New(append(base, opts...)...)
}

// KeyParams are the settings of a key issued with IssueKey. Zero numbers
// mean "no limit"; no scopes means every scope.
type KeyParams struct {
	Name                string
	Env                 keys.Env // EnvLive (default) or EnvTest
	Scopes              []string
	AllowedIPs          []string // CIDRs
	CreditCeiling       int64
	RateLimitPerSecond  int
	RateLimitPerHour    int
	MonthlyRequestLimit int
	ExpiresAt           time.Time
}

// keyState is a key as the server stores it: never the secret, only its hash.
type keyState struct {
	info     client.KeyInfo
	env      keys.Env
	hash     [32]byte
	nets     []*net.IPNet
	expires  time.Time
	requests int64
	credits  int64
	period   time.Time
	second   window
	hour     window
	month    int64
}

type window struct {
	start time.Time
	count int
}

// IssueKey creates a key directly (no HTTP), for tests: the secret in the
// service's format and its description.
func (s *Server) IssueKey(p KeyParams) (keys.Key, client.KeyInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(p)
}

func (s *Server) issueLocked(p KeyParams) (keys.Key, client.KeyInfo, error) {
	if p.Env == keys.EnvUnknown {
		p.Env = keys.EnvLive
	}
	var nets []*net.IPNet
	for _, c := range p.AllowedIPs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			ip := net.ParseIP(c)
			if ip == nil {
				return keys.Key{}, client.KeyInfo{}, fmt.Errorf("clienttest: allowed IP %q is not a CIDR or an IP", c)
			}
			bits := 8 * len(ip.To16())
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			n = &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}
		}
		nets = append(nets, n)
	}
	for _, sc := range p.Scopes {
		if !validScope(sc) && !s.extraScopes[sc] {
			return keys.Key{}, client.KeyInfo{}, fmt.Errorf("clienttest: unknown scope %q (known: %s)", sc, strings.Join(s.knownScopesLocked(), ", "))
		}
	}
	k, err := s.generate(p.Env)
	if err != nil {
		return keys.Key{}, client.KeyInfo{}, err
	}
	now := s.clock.Now().UTC()
	ks := &keyState{env: p.Env, hash: sha256.Sum256([]byte(k.Reveal())), nets: nets, expires: p.ExpiresAt, period: now}
	ks.info = client.KeyInfo{
		ID: newID("key_"), Name: p.Name, Environment: p.Env.String(), Redacted: k.String(),
		Scopes: append([]string{}, p.Scopes...), AllowedIPs: append([]string{}, p.AllowedIPs...),
		CreditCeiling: p.CreditCeiling, RateLimitPerSecond: p.RateLimitPerSecond, RateLimitPerHour: p.RateLimitPerHour,
		MonthlyRequestLimit: p.MonthlyRequestLimit, CreatedAt: now,
	}
	if !p.ExpiresAt.IsZero() {
		t := p.ExpiresAt.UTC()
		ks.info.ExpiresAt = &t
	}
	s.keys[ks.info.ID] = ks
	s.byHash[ks.hash] = ks
	s.order = append(s.order, ks.info.ID)
	return k, ks.info, nil
}

// generate makes a secret in the service's format.
func (s *Server) generate(env keys.Env) (keys.Key, error) {
	f := s.svc.KeyFormat
	if f == nil {
		f = keys.Opaque
	}
	k, err := f.Generate(env, nil)
	if err != nil {
		return keys.Key{}, fmt.Errorf("clienttest: generating a %s key: %w", s.svc.Name, err)
	}
	return k, nil
}

// RevokeKey revokes a key directly, as if an admin had.
func (s *Server) RevokeKey(id, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ks, ok := s.keys[id]
	if !ok {
		return fmt.Errorf("clienttest: no key %q", id)
	}
	s.revokeLocked(ks, reason)
	return nil
}

func (s *Server) revokeLocked(ks *keyState, reason string) {
	if ks.info.RevokedAt == nil {
		t := s.clock.Now().UTC()
		ks.info.RevokedAt, ks.info.RevokedReason = &t, reason
	}
	s.endStreamsLocked(ks)
}

// DeleteKey deletes a key directly, as its owner would on the service's
// dashboard: from then on its secret reads as unknown (401 unknown_key,
// Hypersave's "Invalid API key provided", web3.storage's
// ERROR_TOKEN_NOT_FOUND), as a key that never existed, not as a revoked one.
func (s *Server) DeleteKey(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ks, ok := s.keys[id]
	if !ok {
		return fmt.Errorf("clienttest: no key %q", id)
	}
	s.revokeLocked(ks, "deleted") // ends its open streams, as a revocation does
	s.deleteLocked(ks)
	return nil
}

// deleteLocked forgets ks: its secret, its id, its place in the list.
func (s *Server) deleteLocked(ks *keyState) {
	delete(s.byHash, ks.hash)
	delete(s.keys, ks.info.ID)
	for i, id := range s.order {
		if id == ks.info.ID {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			break
		}
	}
}

// knownScopesLocked lists the scopes a key of this server can hold.
func (s *Server) knownScopesLocked() []string {
	out := AllScopes()
	for sc := range s.extraScopes {
		out = append(out, sc)
	}
	sort.Strings(out[len(AllScopes()):])
	return out
}

// Key returns a key's description.
func (s *Server) Key(id string) (client.KeyInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ks, ok := s.keys[id]
	if !ok {
		return client.KeyInfo{}, false
	}
	return s.infoLocked(ks), true
}

// Usage returns a key's usage.
func (s *Server) Usage(id string) (client.KeyUsage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ks, ok := s.keys[id]
	if !ok {
		return client.KeyUsage{}, false
	}
	return usageOf(ks), true
}

// SetBalance sets the workspace's balance in credits (Unlimited for no
// limit).
func (s *Server) SetBalance(credits int64) {
	s.mu.Lock()
	s.balance = credits
	s.mu.Unlock()
}

// Balance returns the workspace's balance in credits: Unlimited unless
// WithBalance or SetBalance set one.
func (s *Server) Balance() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balance
}

// JobsProcessed counts POST /v1/jobs requests the server acted on (an
// idempotent replay is not counted): the number tests compare against the
// number of jobs the caller meant to create.
func (s *Server) JobsProcessed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobs
}

func (s *Server) infoLocked(ks *keyState) client.KeyInfo {
	info := ks.info
	info.CreditsUsed = ks.credits
	return info
}

func usageOf(ks *keyState) client.KeyUsage {
	return client.KeyUsage{KeyID: ks.info.ID, Requests: ks.requests, Credits: ks.credits, LastUsedAt: ks.info.LastUsedAt, PeriodStart: ks.period}
}

// RequestRecord is one request as the server saw it. It never holds a
// secret: Key is the redacted form.
type RequestRecord struct {
	Time           time.Time
	Method         string
	Path           string
	Status         int
	Code           string // the canonical error code, "" on success
	KeyID          string // "" when the key was missing or unknown
	Key            string // redacted
	IdempotencyKey string
	AuthVia        string // how the key came: "bearer", "header", "query", or "" for none
	RemoteIP       string
	Fault          string // "fail", "drop" or "delay" when a fault knob answered
}

// Requests returns the request log, oldest first.
func (s *Server) Requests() []RequestRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RequestRecord(nil), s.requests...)
}

// Connections counts the TCP connections clients have opened to the
// server: with keep-alive working, far fewer than the requests.
func (s *Server) Connections() int64 { return s.conns.Load() }

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// fault is a queued misbehaviour for the next requests.
type fault struct {
	kind       string // "fail", "drop", "delay"
	n          int
	status     int
	retryAfter time.Duration
	delay      time.Duration
}

// FailNext makes the next n requests answer status (e.g. 503) before any
// check, with a Retry-After of retryAfter when it is positive. Retry-After
// and the body hint are whole seconds, so retryAfter is rounded up (100 ms
// becomes 1 s: a hint must never be short); pass 0 for no hint, and the
// client's backoff (WithRetryWait) decides the wait.
func (s *Server) FailNext(n, status int, retryAfter time.Duration) {
	s.addFault(fault{kind: "fail", n: n, status: status, retryAfter: retryAfter})
}

// DropNext makes the server close the connection of the next n requests
// without answering.
func (s *Server) DropNext(n int) { s.addFault(fault{kind: "drop", n: n}) }

// DelayNext holds the next n requests for d before handling them (or until
// the request's context ends or the server closes).
func (s *Server) DelayNext(n int, d time.Duration) { s.addFault(fault{kind: "delay", n: n, delay: d}) }

func (s *Server) addFault(f fault) {
	if f.n <= 0 {
		return
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// takeFault pops one use of the first queued fault.
func (s *Server) takeFault() (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return fault{}, false
	}
	f := s.faults[0]
	s.faults[0].n--
	if s.faults[0].n <= 0 {
		s.faults = s.faults[1:]
	}
	return f, true
}

// newID returns prefix and 10 random letters and digits.
func newID(prefix string) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [10]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return prefix + string(b[:])
}

// AllScopes returns the scopes a key can hold on any profile: Hypedata's
// documented list (the other services document none; on their profiles
// only key management, admin, and your own Endpoints need a scope). A scope
// an Endpoint added with Handle names is accepted too.
func AllScopes() []string {
	return []string{"scrape", "serp", "parse", "stream", "jobs", "billing", "admin"}
}

func validScope(s string) bool {
	for _, k := range AllScopes() {
		if s == k {
			return true
		}
	}
	return false
}
