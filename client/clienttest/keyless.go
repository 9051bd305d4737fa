package clienttest

import (
	"fmt"
	"net/http"
	"time"

	"github.com/apikit/apikit-go/client"
)

// keylessAccess is how the server treats requests that carry no key.
type keylessAccess struct {
	allowed   bool
	perSecond int // 0: no limit
	second    window
}

// AllowKeyless makes the server answer requests that carry no key on the
// endpoints that serve such callers, as HyperSync serves indexers deployed
// on Envio Cloud without a token ("special access that does not require a
// custom API token"). perSecond, when positive, is the limit all keyless
// callers share (HyperSync "implements rate limits for requests without API
// tokens"); 0 means none. Without it, a keyless request answers 401, as
// HyperSync does for everyone else since tokens became required.
//
// Keyless requests never reach an endpoint with a scope or a cost (key
// management, or an Endpoint added with Handle that names either). It is
// refused for a service whose profile does not allow keyless calls
// (Service.KeyOptional false: every built-in profile but HyperSync).
func (s *Server) AllowKeyless(perSecond int) error {
	if !s.svc.KeyOptional {
		return fmt.Errorf("clienttest: AllowKeyless: %s needs a key on every request (its profile's KeyOptional is false)", s.svc.Name)
	}
	if perSecond < 0 {
		return fmt.Errorf("clienttest: AllowKeyless: perSecond is %d; want 0 (no limit) or more", perSecond)
	}
	s.mu.Lock()
	s.keyless = keylessAccess{allowed: true, perSecond: perSecond}
	s.mu.Unlock()
	return nil
}

// keylessRateLimit counts a keyless request against the shared limit. The
// caller holds s.mu.
func (s *Server) keylessRateLimit(now time.Time, h http.Header) *apiError {
	k := &s.keyless
	if k.perSecond <= 0 {
		return nil
	}
	if now.Sub(k.second.start) >= time.Second || now.Before(k.second.start) {
		k.second.start, k.second.count = now.Truncate(time.Second), 0
	}
	reset := k.second.start.Add(time.Second).Sub(now)
	if k.second.count >= k.perSecond {
		setRateHeaders(h, k.perSecond, 0, reset)
		return &apiError{status: 429, code: "rate_limited", message: fmt.Sprintf("Rate limit of %d requests per second without an API token reached; use a token", k.perSecond), retryAfter: reset}
	}
	k.second.count++
	setRateHeaders(h, k.perSecond, k.perSecond-k.second.count, reset)
	return nil
}

// NewKeylessClient returns a client of the server's service that sends no
// key (client.WithoutKey), with opts applied after the server's own; like
// NewClient, its base URL is the server's whatever the environment says.
// client.New refuses it for a profile that needs a key on every request.
func (s *Server) NewKeylessClient(opts ...client.Option) (*client.Client, error) {
	base := []client.Option{client.WithService(s.svc), client.WithBaseURL(s.URL), client.WithoutKey(),
		client.WithHTTPClient(s.srv.Client())}
	return client.New(append(base, opts...)...)
}
