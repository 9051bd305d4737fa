package main

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/keys"
)

// sourceView is one place the SDK looks, as status and doctor show it:
// never the key, only its redacted form and fingerprint.
type sourceView struct {
	Source      string `json:"source"`
	Found       bool   `json:"found"`
	Key         string `json:"key,omitempty"` // redacted
	Fingerprint string `json:"fingerprint,omitempty"`
	Valid       bool   `json:"valid"`
	Problem     string `json:"problem,omitempty"`
	Fix         string `json:"fix,omitempty"`
	Wins        bool   `json:"wins,omitempty"`
	ShadowedBy  string `json:"shadowed_by,omitempty"`

	expired bool
	kind    string
}

// verifyView is what the service said of the key.
type verifyView struct {
	Accepted    bool     `json:"accepted"`
	BaseURL     string   `json:"base_url"`
	KeyID       string   `json:"key_id,omitempty"`
	Name        string   `json:"name,omitempty"`
	Environment string   `json:"environment,omitempty"`
	Scopes      []string `json:"scopes,omitempty"`
	Error       string   `json:"error,omitempty"`
	// CheckedWith is the request that proved the key ("GET /v1/whoami").
	CheckedWith string `json:"checked_with,omitempty"`
	// CheckAssumed says CheckedWith is this SDK's assumption, not a key test
	// the service documents (Hypedata's /v1/whoami).
	CheckAssumed bool `json:"check_assumed,omitempty"`
	// Unverifiable says the service documents no key test, so nothing was
	// asked (Accepted is then true: nothing says otherwise).
	Unverifiable bool `json:"unverifiable,omitempty"`
	// ServerDate is the Date header of the service's answer; ClockSkew is
	// this machine's clock minus it, in seconds.
	ServerDate *time.Time `json:"server_date,omitempty"`
	ClockSkew  *float64   `json:"clock_skew_seconds,omitempty"`

	code int
}

// serviceReport is where one service's key comes from.
type serviceReport struct {
	Service     string     `json:"service"`
	Profile     string     `json:"profile"`
	Key         string     `json:"key,omitempty"` // redacted
	Fingerprint string     `json:"fingerprint,omitempty"`
	Environment string     `json:"environment,omitempty"`
	Source      string     `json:"source,omitempty"`
	Valid       bool       `json:"valid"`
	Problem     string     `json:"problem,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	// ExpiresFrom says who told the expiry: "the key" (a JWT's exp) or "the
	// service"; "the service" without ExpiresAt means it never expires.
	ExpiresFrom string       `json:"expires_from,omitempty"`
	Shadows     []sourceView `json:"shadows,omitempty"`
	Sources     []sourceView `json:"sources"`
	Verify      *verifyView  `json:"verify,omitempty"`

	found bool
	err   error // why the winning source's value is not a valid key
	cred  credentials.Credential
	svc   client.Service
}

// inspect reports where svc's key comes from for profile, as the SDK would
// find it.
func (a *app) inspect(ctx context.Context, svc client.Service, profile string) *serviceReport {
	format := formatOf(svc)
	r := credentials.Diagnose(ctx, format, a.sources(svc, profile)...)
	rep := &serviceReport{Service: svc.Name, Profile: profile, Sources: []sourceView{}, svc: svc}
	for _, e := range r.Entries {
		v := sourceView{Source: e.Source.String(), Found: e.Found, Valid: e.Valid, Problem: e.Problem, Fix: e.Fix,
			Wins: e.Wins, ShadowedBy: e.ShadowedBy, kind: e.Source.Kind}
		if !e.Key.IsZero() {
			v.Key, v.Fingerprint = e.Key.String(), e.Key.Fingerprint()
			if !e.Valid {
				var pe *keys.ParseError
				if _, err := keys.Parse(e.Key.Reveal(), format); errors.As(err, &pe) && pe.Expired {
					v.expired = true
				}
			}
		}
		rep.Sources = append(rep.Sources, v)
		if e.Wins {
			rep.found = true
			rep.Source, rep.Valid, rep.Problem, rep.err = v.Source, e.Valid && !e.Key.IsZero(), e.Problem, e.Err
			if !e.Key.IsZero() {
				rep.Key, rep.Fingerprint = v.Key, v.Fingerprint
				rep.cred = credentials.Credential{Key: e.Key, Source: e.Source}
				if env := e.Key.Env(); env != keys.EnvUnknown {
					rep.Environment = env.String()
				}
				if at, ok := e.Key.ExpiresAt(); ok {
					rep.ExpiresAt, rep.ExpiresFrom = &at, "the key"
				}
			}
		} else if e.ShadowedBy != "" {
			rep.Shadows = append(rep.Shadows, v)
		}
	}
	return rep
}

// verify asks the service about the report's key (when it is valid and the
// service has a whoami endpoint), recording the service's clock.
func (a *app) verify(ctx context.Context, rep *serviceReport) {
	if !rep.Valid {
		return
	}
	if rep.svc.WhoamiPath == "" && rep.svc.VerifyPath == "" {
		rep.Verify = &verifyView{Accepted: true, Unverifiable: true, Error: rep.svc.Name + " documents no key test; nothing was sent"}
		return
	}
	dates := &dateRecorder{base: newTransport()}
	p := credentials.ProviderFunc(func(context.Context) (credentials.Credential, error) { return rep.cred, nil })
	c, err := a.newClient(rep.svc, rep.Profile, p, client.WithHTTPClient(&http.Client{Transport: dates}), client.WithMaxRetries(1))
	v := &verifyView{}
	rep.Verify = v
	if err != nil {
		v.Error, v.code = err.Error(), exitCodeOf(err)
		return
	}
	v.BaseURL = c.BaseURL()
	who, err := c.Verify(ctx)
	if d, ok := dates.last(); ok {
		skew := a.now().Sub(d).Seconds()
		v.ServerDate, v.ClockSkew = &d, &skew
	}
	if errors.Is(err, client.ErrNoKeyTest) { // the SDK's assumed path is not there: as if none were documented
		v.Accepted, v.Unverifiable, v.Error = true, true, rep.svc.Name+" documents no key test and has no "+rep.svc.WhoamiPath+" (this SDK's assumption)"
		return
	}
	if err != nil {
		v.Error, v.code = err.Error(), exitCodeOf(err)
		return
	}
	v.Accepted, v.KeyID, v.Name, v.Environment, v.Scopes, v.CheckedWith = true, who.KeyID, who.Name, who.Environment, who.Scopes, who.CheckedWith
	v.CheckAssumed = who.Assumed
	// The key may not say when it expires, but the service may: ask, when
	// the key may read its own record (an admin key); else say nothing.
	if rep.ExpiresAt == nil && who.KeyID != "" && rep.svc.KeysPath != "" {
		if info, err := c.Keys().Get(ctx, who.KeyID); err == nil && info.ExpiresAt != nil && !info.ExpiresAt.IsZero() {
			at := *info.ExpiresAt
			rep.ExpiresAt, rep.ExpiresFrom = &at, "the service"
		} else if err == nil {
			rep.ExpiresFrom = "the service" // its record has no expiry: never
		}
	}
}

// newTransport is the transport the SDK would use: TLS 1.2 at least.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return t
}

// dateRecorder remembers the Date header of the last answer, to compare
// this machine's clock with the service's.
type dateRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	date time.Time
}

func (d *dateRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := d.base.RoundTrip(r)
	if err == nil {
		if t, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
			d.mu.Lock()
			d.date = t
			d.mu.Unlock()
		}
	}
	return resp, err
}

func (d *dateRecorder) last() (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.date, !d.date.IsZero()
}
