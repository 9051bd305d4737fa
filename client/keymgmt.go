package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/apikit/apikit-go/keys"
)

// KeysService manages a service's API keys: list, get, create, regenerate,
// revoke, usage and rotation. Get one with [Client.Keys]. Managing keys needs
// a key with the admin scope on services that have scopes.
type KeysService struct {
	c *Client
}

// Keys returns the client's key-management service.
func (c *Client) Keys() *KeysService { return &KeysService{c: c} }

// KeyInfo describes a key as the service reports it. It never holds the
// secret: Redacted is the form the service shows ("hd_live_…E3gH").
type KeyInfo struct {
	ID                  string     `json:"id"`
	Name                string     `json:"name"`
	Environment         string     `json:"environment"` // "live" or "test"
	Redacted            string     `json:"redacted"`
	Scopes              []string   `json:"scopes"`
	AllowedIPs          []string   `json:"allowed_ips"`
	CreditCeiling       int64      `json:"credit_ceiling"`
	CreditsUsed         int64      `json:"credits_used"`
	RateLimitPerSecond  int        `json:"rate_limit_per_second"`
	RateLimitPerHour    int        `json:"rate_limit_per_hour"`
	MonthlyRequestLimit int        `json:"monthly_request_limit"`
	ExpiresAt           *time.Time `json:"expires_at"`
	CreatedAt           time.Time  `json:"created_at"`
	LastUsedAt          *time.Time `json:"last_used_at"`
	RevokedAt           *time.Time `json:"revoked_at"`
	RevokedReason       string     `json:"revoked_reason"`
}

// Revoked reports whether the key has been revoked.
func (k KeyInfo) Revoked() bool { return k.RevokedAt != nil && !k.RevokedAt.IsZero() }

// CreateKeyParams are the settings of a new key. Zero numbers mean "no
// limit"; no scopes means every scope.
type CreateKeyParams struct {
	Name                string     `json:"name"`
	Environment         string     `json:"environment,omitempty"` // "live" (default) or "test"
	Scopes              []string   `json:"scopes,omitempty"`
	AllowedIPs          []string   `json:"allowed_ips,omitempty"`
	CreditCeiling       int64      `json:"credit_ceiling,omitempty"`
	RateLimitPerSecond  int        `json:"rate_limit_per_second,omitempty"`
	RateLimitPerHour    int        `json:"rate_limit_per_hour,omitempty"`
	MonthlyRequestLimit int        `json:"monthly_request_limit,omitempty"`
	ExpiresAt           *time.Time `json:"expires_at,omitempty"`
}

// NewKey is what create and regenerate return: the key's description and its
// secret, which the service shows only this once. Secret prints redacted;
// store it with Secret.Reveal().
type NewKey struct {
	KeyInfo
	Secret keys.Key `json:"secret"` // marshals redacted
}

// KeyUsage is a key's usage as the service counts it.
type KeyUsage struct {
	KeyID       string     `json:"key_id"`
	Requests    int64      `json:"requests"`
	Credits     int64      `json:"credits"`
	LastUsedAt  *time.Time `json:"last_used_at,omitempty"`
	PeriodStart time.Time  `json:"period_start"`
}

// Identity is who the calling key is, as Verify reports it. When the
// service's key test says only "this key works" (HopX's template list),
// KeyID, Name, Environment and Scopes are empty.
type Identity struct {
	KeyID       string   `json:"key_id"`
	Name        string   `json:"name"`
	Environment string   `json:"environment"`
	Scopes      []string `json:"scopes,omitempty"`
	// CheckedWith is the request that proved the key, e.g.
	// "GET /v1/templates".
	CheckedWith string `json:"-"`
	// Assumed is true when CheckedWith is not a key test the service
	// documents but this SDK's assumption (Hypedata's GET /v1/whoami; see
	// Service.WhoamiAssumed): the service accepted the key there, and the
	// fields above are what it answered.
	Assumed bool `json:"-"`
}

func (s *KeysService) path(parts ...string) (string, error) {
	svc := s.c.Service()
	if svc.KeysPath == "" {
		return "", fmt.Errorf("apikit: service %q has no key-management API (Service.KeysPath is empty)", svc.Name)
	}
	p := strings.TrimRight(svc.KeysPath, "/")
	for _, part := range parts {
		p += "/" + url.PathEscape(part)
	}
	return p, nil
}

// List returns every key of the workspace, redacted.
func (s *KeysService) List(ctx context.Context) ([]KeyInfo, error) {
	p, err := s.path()
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := s.c.Do(ctx, http.MethodGet, p, nil, &raw); err != nil {
		return nil, fmt.Errorf("listing keys: %w", err)
	}
	elems, err := unwrapList(raw)
	if err != nil {
		return nil, fmt.Errorf("listing keys: GET %s: %w", p, err)
	}
	out := make([]KeyInfo, 0, len(elems))
	for i, e := range elems {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(e, &obj); err != nil || obj == nil {
			return nil, fmt.Errorf("listing keys: GET %s: entry %d is %s, not a key object", p, i, jsonKind(e))
		}
		k, err := keyInfo(obj)
		if err != nil {
			return nil, fmt.Errorf("listing keys: GET %s: entry %d: %w", p, i, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// keyInfo reads a key object, in either spelling; one without an id is an
// error, since every later call names the key by it.
func keyInfo(obj map[string]json.RawMessage) (KeyInfo, error) {
	var k KeyInfo
	if err := decodeCanonical(obj, &k); err != nil {
		return KeyInfo{}, fmt.Errorf("not a key object: %w", err)
	}
	if k.ID == "" {
		return KeyInfo{}, fmt.Errorf("the key object has no \"id\" (%s)", members(obj))
	}
	return k, nil
}

// readKey reads the key object of a single-key answer, bare or wrapped.
func readKey(raw []byte) (KeyInfo, map[string]json.RawMessage, map[string]json.RawMessage, error) {
	obj, outer, err := unwrapObject(raw)
	if err != nil {
		return KeyInfo{}, nil, nil, err
	}
	k, err := keyInfo(obj)
	if err != nil && len(obj) == len(outer) { // not wrapped: say what the answer was
		err = fmt.Errorf("the answer holds no key object (%s; want the key, bare or in \"data\" or \"key\")", members(outer))
	}
	return k, obj, outer, err
}

// Get returns one key by id.
func (s *KeysService) Get(ctx context.Context, id string) (*KeyInfo, error) {
	if id == "" {
		return nil, fmt.Errorf("getting key: empty key id")
	}
	p, err := s.path(id)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := s.c.Do(ctx, http.MethodGet, p, nil, &raw); err != nil {
		return nil, fmt.Errorf("getting key %s: %w", id, err)
	}
	k, _, _, err := readKey(raw)
	if err != nil {
		return nil, fmt.Errorf("getting key %s: GET %s: %w", id, p, err)
	}
	return &k, nil
}

// Create creates a key and returns it with its secret, shown only this once.
func (s *KeysService) Create(ctx context.Context, params CreateKeyParams) (*NewKey, error) {
	if strings.TrimSpace(params.Name) == "" {
		return nil, fmt.Errorf("creating key: CreateKeyParams.Name is empty; name the key after where it will be used")
	}
	switch params.Environment {
	case "", "live", "test":
	default:
		return nil, fmt.Errorf("creating key: CreateKeyParams.Environment is %q; want \"live\" or \"test\"", params.Environment)
	}
	p, err := s.path()
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := s.c.Do(ctx, http.MethodPost, p, params, &raw); err != nil {
		return nil, fmt.Errorf("creating key %q: %w", params.Name, err)
	}
	return s.newKey(raw, fmt.Sprintf("creating key %q: POST %s", params.Name, p))
}

// Regenerate issues a new secret for a key, keeping its settings. The old
// secret stops working at once.
func (s *KeysService) Regenerate(ctx context.Context, id string) (*NewKey, error) {
	if id == "" {
		return nil, fmt.Errorf("regenerating key: empty key id")
	}
	p, err := s.path(id, "regenerate")
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := s.c.Do(ctx, http.MethodPost, p, nil, &raw); err != nil {
		return nil, fmt.Errorf("regenerating key %s: %w", id, err)
	}
	return s.newKey(raw, fmt.Sprintf("regenerating key %s: POST %s", id, p))
}

// Revoke revokes a key; it answers 401 revoked from then on. reason is kept
// by the service and shown to whoever uses the key next; it may be empty.
func (s *KeysService) Revoke(ctx context.Context, id, reason string) (*KeyInfo, error) {
	return s.revoke(ctx, id, reason)
}

func (s *KeysService) revoke(ctx context.Context, id, reason string, opts ...RequestOption) (*KeyInfo, error) {
	if id == "" {
		return nil, fmt.Errorf("revoking key: empty key id")
	}
	p, err := s.path(id)
	if err != nil {
		return nil, err
	}
	var in any
	if reason != "" {
		in = struct {
			Reason string `json:"reason"`
		}{reason}
	}
	var raw json.RawMessage
	if err := s.c.DoWith(ctx, http.MethodDelete, p, in, &raw, opts...); err != nil {
		return nil, fmt.Errorf("revoking key %s: %w", id, err)
	}
	if len(bytes.TrimSpace(raw)) == 0 { // a 204: revoked, nothing more said
		return &KeyInfo{ID: id}, nil
	}
	k, _, _, err := readKey(raw)
	if err != nil {
		return nil, fmt.Errorf("revoking key %s: DELETE %s succeeded, but: %w", id, p, err)
	}
	return &k, nil
}

// Usage returns the usage of the key with the given id.
func (s *KeysService) Usage(ctx context.Context, id string) (*KeyUsage, error) {
	return s.usage(ctx, id)
}

func (s *KeysService) usage(ctx context.Context, id string, opts ...RequestOption) (*KeyUsage, error) {
	if id == "" {
		return nil, fmt.Errorf("reading key usage: empty key id")
	}
	p, err := s.path(id, "usage")
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := s.c.DoWith(ctx, http.MethodGet, p, nil, &raw, opts...); err != nil {
		return nil, fmt.Errorf("reading usage of key %s: %w", id, err)
	}
	return readUsage(raw, "reading usage of key "+id+": GET "+p)
}

// newKey turns the answer of create or regenerate into a NewKey: the key
// object, bare or wrapped, in either spelling, with its secret inside it or
// beside it; the secret is validated against the service's format. An
// answer without an id or a secret is an error that names what it held.
func (s *KeysService) newKey(raw []byte, what string) (*NewKey, error) {
	info, obj, outer, err := readKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: the key may have been created, but %w", what, err)
	}
	secret := secretOf(obj, outer)
	if secret == "" {
		return nil, fmt.Errorf("%s: key %s was created, but the answer holds no \"secret\" (%s); the service shows it only once: revoke the key and create another",
			what, info.ID, members(outer))
	}
	format := s.c.Service().KeyFormat
	if format == nil {
		format = keys.Opaque
	}
	k, err := format.Parse(secret)
	if err != nil {
		return nil, fmt.Errorf("%s: the service returned a secret that is not a valid key: %w", what, err)
	}
	return &NewKey{KeyInfo: info, Secret: k}, nil
}

// readUsage reads a usage answer, bare or wrapped, in either spelling.
func readUsage(raw []byte, what string) (*KeyUsage, error) {
	obj, _, err := unwrapObject(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var u KeyUsage
	if err := decodeCanonical(obj, &u); err != nil {
		return nil, fmt.Errorf("%s: not a usage object: %w", what, err)
	}
	return &u, nil
}

// Usage returns the calling key's usage.
func (c *Client) Usage(ctx context.Context) (*KeyUsage, error) {
	svc := c.Service()
	if svc.UsagePath == "" {
		return nil, fmt.Errorf("apikit: service %q has no usage endpoint (Service.UsagePath is empty)", svc.Name)
	}
	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodGet, svc.UsagePath, nil, &raw); err != nil {
		return nil, fmt.Errorf("reading usage: %w", err)
	}
	return readUsage(raw, "reading usage: GET "+svc.UsagePath)
}
