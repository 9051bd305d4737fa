package client

import "github.com/apikit/apikit-go/keys"

// AuthStyle is how a request carries the key.
type AuthStyle int

// The ways a key can travel.
const (
	// AuthBearer sends "Authorization: Bearer <key>". The default.
	AuthBearer AuthStyle = iota
	// AuthHeader sends the key in Service.HeaderName ("X-API-Key" unless set).
	AuthHeader
	// AuthQuery sends the key as the query parameter Service.QueryParam
	// ("api_key" unless set). URLs leak into logs, proxies and analytics, so
	// the client uses it only with WithQueryAuth, an explicit opt-in.
	AuthQuery
)

// String names the style.
func (a AuthStyle) String() string {
	switch a {
	case AuthBearer:
		return "bearer"
	case AuthHeader:
		return "header"
	case AuthQuery:
		return "query"
	}
	return "unknown"
}

// Dialect names the shape of a service's error bodies. The client's decoder
// understands every dialect whatever the service; the in-memory server in
// clienttest uses it to answer as the real service would.
type Dialect string

// The dialects of the built-in services.
const (
	DialectHypedata  Dialect = "hypedata"  // {"error":{"code","message",…}} + WWW-Authenticate: Bearer error="…"
	DialectHypersave Dialect = "hypersave" // {"success":false,"error":"UNAUTHORIZED","message",…,"retryAfter"}
	DialectHopX      Dialect = "hopx"      // {"error":{"code","message","request_id","details":{…}}} + X-Request-ID
	DialectHyperSync Dialect = "hypersync" // status, plain text, x-ratelimit-* and Retry-After headers
	DialectWeb3      Dialect = "web3"      // {"code":"ERROR_TOKEN_NOT_FOUND","message"}
)

// Service describes an API: where it lives, what its keys look like, where the
// SDK looks for them and how it sends them. The built-in profiles below are
// ready to use; declare your own for any API that follows the same
// conventions. Copy a Service to change it; the client keeps its own copy.
type Service struct {
	// Name is the service's short lower-case name. It is the config file's
	// section for the service ("hypedata") and appears in messages.
	Name string
	// BaseURL is the API's default root, e.g. "https://api.hypedata.io".
	BaseURL string
	// EnvVar is the environment variable (and .env entry) that holds the key.
	EnvVar string
	// BaseURLEnvVar, when set, is the environment variable that overrides
	// BaseURL, e.g. "HOPX_BASE_URL". Set it on your own Service to get the
	// same precedence (WithBaseURL, then this variable, then the config
	// file's base_url, then BaseURL); it is not derived from Name.
	BaseURLEnvVar string
	// ProfileEnvVar, when set, names the config-file profile for this
	// service, before APIKIT_PROFILE (HopX documents HOPX_PROFILE).
	ProfileEnvVar string
	// KeyFormat validates keys before any request; nil accepts any
	// non-empty key without surrounding whitespace.
	KeyFormat *keys.Format
	// Auth is how the key is sent. AuthQuery also needs WithQueryAuth.
	Auth AuthStyle
	// HeaderName is the header for AuthHeader; "" means "X-API-Key".
	HeaderName string
	// QueryParam is the query parameter for AuthQuery; "" means "api_key".
	QueryParam string
	// Dialect is the shape of the service's error bodies.
	Dialect Dialect
	// KeysPath is the root of the key-management endpoints, e.g. "/v1/keys";
	// "" when the service has no key-management API.
	KeysPath string
	// VerifyPath is the service's documented key test: a cheap GET that
	// answers 2xx for a working key and 401 for any other (HopX documents
	// listing templates). Verify uses it before WhoamiPath; "" when the
	// service documents none.
	VerifyPath string
	// WhoamiPath answers who the calling key is; "" when unsupported.
	WhoamiPath string
	// WhoamiAssumed says WhoamiPath is this SDK's assumption, not an
	// endpoint the vendor documents (Hypedata's /v1/whoami). Verify then
	// marks its Identity as Assumed, and treats a 404 from the path as the
	// service having no key test (ErrNoKeyTest) rather than as a broken key.
	// Leave it false for a path your own service documents.
	WhoamiAssumed bool
	// UsagePath reports the calling key's usage; "" when unsupported.
	UsagePath string
	// KeyOptional says the service serves some callers without a key
	// (HyperSync: indexers deployed on Envio Cloud). Only then does
	// WithoutKey build a client; for every other service it is refused.
	KeyOptional bool
	// RateLimitHeaders names the headers in which the service announces
	// its rate limit, when they are none of the dialects the client reads
	// by itself (X-RateLimit-*, RateLimit-*, the IETF draft's RateLimit-Policy
	// and RateLimit, OpenAI's x-ratelimit-*-requests, Anthropic's
	// anthropic-ratelimit-requests-*). The zero value reads those dialects.
	RateLimitHeaders RateLimitHeaders
}

// RateLimitHeaders names a service's own rate-limit headers. The reset may
// be seconds from now, a Unix time (seconds or milliseconds), an HTTP-date,
// an RFC 3339 time or a Go duration ("1s", "6m0s"); the client tells them
// apart. A name left empty is not read; when none of them is in an answer,
// the default dialects are.
type RateLimitHeaders struct {
	Limit     string // requests allowed per window, e.g. "X-Quota-Limit"
	Remaining string // requests left in the window
	Reset     string // when the window resets
}

// The built-in service profiles. Their paths are the vendors' documented
// ones, except where docs/PROTOCOL.md marks a path as this SDK's assumption
// (Hypedata's whoami and usage, the key-management paths of HopX and
// web3.storage).
var (
	// Hypedata: hd_live_/hd_test_ keys, bearer auth (query auth accepted but
	// discouraged), scopes, IP allow-lists, credit ceilings. The page
	// documents no key test: WhoamiPath and UsagePath are this SDK's
	// assumption (docs/PROTOCOL.md).
	Hypedata = Service{
		Name: "hypedata", BaseURL: "https://api.hypedata.io", EnvVar: "HYPEDATA_API_KEY",
		BaseURLEnvVar: "HYPEDATA_BASE_URL", KeyFormat: keys.Hypedata, Auth: AuthBearer, QueryParam: "api_key",
		Dialect: DialectHypedata, KeysPath: "/v1/keys", WhoamiPath: "/v1/whoami", WhoamiAssumed: true,
		UsagePath: "/v1/usage",
	}
	// Hypersave: hs_live_/hs_test_ keys, bearer auth, per-hour and monthly
	// limits, key management at /keys. The page documents no key test and
	// no whoami, so Verify says so (ErrNoKeyTest).
	Hypersave = Service{
		Name: "hypersave", BaseURL: "https://api.hypersave.io", EnvVar: "HYPERSAVE_API_KEY",
		BaseURLEnvVar: "HYPERSAVE_BASE_URL", KeyFormat: keys.Hypersave, Auth: AuthBearer,
		Dialect: DialectHypersave, KeysPath: "/keys",
	}
	// HopX: hopx_live_<keyId>.<secret> keys, bearer or X-API-Key. Its
	// documented key test is listing templates (GET /v1/templates).
	HopX = Service{
		Name: "hopx", BaseURL: "https://api.hopx.dev", EnvVar: "HOPX_API_KEY",
		BaseURLEnvVar: "HOPX_BASE_URL", ProfileEnvVar: "HOPX_PROFILE", KeyFormat: keys.HopX, Auth: AuthBearer, HeaderName: "X-API-Key",
		Dialect: DialectHopX, KeysPath: "/v1/keys", VerifyPath: "/v1/templates",
	}
	// HyperSync (Envio): UUID tokens, bearer auth, x-ratelimit-* headers.
	// Indexers deployed on Envio Cloud need no token (WithoutKey).
	HyperSync = Service{
		Name: "hypersync", BaseURL: "https://eth.hypersync.xyz", EnvVar: "ENVIO_API_TOKEN",
		BaseURLEnvVar: "HYPERSYNC_BASE_URL", KeyFormat: keys.HyperSync, Auth: AuthBearer,
		Dialect: DialectHyperSync, KeyOptional: true,
	}
	// Web3Storage: a web3.storage-style API with JWT tokens, created and
	// deleted on an account page; the page documents no API endpoint, so
	// Verify says so (ErrNoKeyTest).
	Web3Storage = Service{
		Name: "web3storage", BaseURL: "https://api.web3.storage", EnvVar: "WEB3_STORAGE_TOKEN",
		BaseURLEnvVar: "WEB3_STORAGE_BASE_URL", KeyFormat: keys.Web3Storage, Auth: AuthBearer,
		Dialect: DialectWeb3, KeysPath: "/v1/keys",
	}
)
