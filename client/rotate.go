package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/apikit/apikit-go/credentials"
)

// RotateOptions configure [KeysService.Rotate].
type RotateOptions struct {
	// Deploy puts the new key into service: writes it to a secret store,
	// restarts workers, … Rotate waits for it to return. Required.
	Deploy func(ctx context.Context, newKey *NewKey) error
	// Name is the new key's name; "" keeps the old key's name.
	Name string
	// Reason is recorded on the old key when it is revoked; "" means "rotated".
	Reason string
	// ExpiresAt is the new key's expiry. Zero gives it the old key's
	// lifetime counted from now (an old key created for 90 days gets a new
	// 90 days), or none if the old key had none: copying the old key's
	// expiry date would hand out a key that dies with the one it replaces.
	ExpiresAt time.Time
	// PollInterval is the first wait between usage polls of the old key; it
	// grows exponentially up to MaxPollInterval. Defaults: 5 s and 1 min.
	PollInterval, MaxPollInterval time.Duration
	// Fleet, when set, decides when the old key may be revoked instead of
	// the usage polls: once at least one live process of the fleet, and
	// every live one, reports using the new key (a process that calls
	// rarely is then not revoked before it switched, and one that died
	// drops out when its report expires). The registry is polled every
	// PollInterval, backing off to MaxPollInterval.
	Fleet FleetRegistry
	// FleetTimeout bounds the wait for the fleet (DefaultFleetTimeout, 10
	// min). When it passes the rotation fails at StepFleet with a
	// *FleetHoldoutError naming the processes that held it up, and both
	// keys stay valid.
	FleetTimeout time.Duration
}

// RotateStep names a step of the rotation flow, for errors and logs.
type RotateStep string

// The steps of a rotation, in order.
const (
	StepReadOld   RotateStep = "read old key"
	StepCreate    RotateStep = "create new key"
	StepDeploy    RotateStep = "deploy new key"
	StepDrain     RotateStep = "wait for old key's traffic to stop"
	StepFleet     RotateStep = "wait for every process to use the new key" // with RotateOptions.Fleet, instead of StepDrain
	StepRevokeOld RotateStep = "revoke old key"
)

// RotateError says which step of a rotation failed. Whatever the step, no
// key has been revoked: the old key still works, and NewKey (when the create
// step succeeded) works too, so the caller can retry or clean up.
type RotateError struct {
	Step   RotateStep
	OldID  string
	NewKey *NewKey // nil when the create step failed
	Err    error
}

// Error returns one line: the old key's id, the step that failed and why,
// and which keys still work — both, old and new by id, when the new key was
// created; else that the old key is unchanged. It never holds a secret.
func (e *RotateError) Error() string {
	msg := fmt.Sprintf("rotating key %s: step %q failed: %v", e.OldID, e.Step, e.Err)
	if e.NewKey != nil {
		msg += fmt.Sprintf(" (both keys are still valid: old %s, new %s)", e.OldID, e.NewKey.ID)
	} else {
		msg += fmt.Sprintf(" (key %s is unchanged)", e.OldID)
	}
	return msg
}

// Unwrap returns the step's error.
func (e *RotateError) Unwrap() error { return e.Err }

// RotateResult is what a completed rotation did.
type RotateResult struct {
	Old   KeyInfo // as revoked
	New   *NewKey
	Polls int // usage polls (or fleet registry polls) made while waiting for the old key's traffic to stop
	// Fleet is, with RotateOptions.Fleet, the live processes that reported
	// the new key before the old one was revoked.
	Fleet []FleetProcess
}

// Rotate runs the documented rotation flow as one call:
//
//  1. read the old key's settings;
//  2. create a second key with the same settings;
//  3. hand it to opts.Deploy;
//  4. poll the old key's usage (backing off, bounded by ctx) until a poll
//     interval passes with no new request on it — or, with opts.Fleet,
//     until every live process of the fleet reports the new key;
//  5. revoke the old key.
//
// Each step is logged. A failure at any step returns a *RotateError naming
// the step, with both keys left valid.
func (s *KeysService) Rotate(ctx context.Context, oldID string, opts RotateOptions) (*RotateResult, error) {
	if opts.Deploy == nil {
		return nil, fmt.Errorf("rotating key %s: RotateOptions.Deploy is nil; it is how the new key reaches your services", oldID)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.MaxPollInterval < opts.PollInterval {
		opts.MaxPollInterval = max(time.Minute, opts.PollInterval)
	}
	if opts.Reason == "" {
		opts.Reason = "rotated"
	}
	log := s.c.logf
	fail := func(step RotateStep, nk *NewKey, err error) (*RotateResult, error) {
		log(ctx, "apikit: key rotation failed", "step", string(step), "old_key_id", oldID, "error", err)
		return nil, &RotateError{Step: step, OldID: oldID, NewKey: nk, Err: err}
	}

	log(ctx, "apikit: key rotation: reading old key", "old_key_id", oldID)
	old, err := s.Get(ctx, oldID)
	if err != nil {
		return fail(StepReadOld, nil, err)
	}
	if old.Revoked() {
		return fail(StepReadOld, nil, fmt.Errorf("key %s is already revoked", oldID))
	}
	params := CreateKeyParams{
		Name: old.Name, Environment: old.Environment, Scopes: old.Scopes, AllowedIPs: old.AllowedIPs,
		CreditCeiling: old.CreditCeiling, RateLimitPerSecond: old.RateLimitPerSecond,
		RateLimitPerHour: old.RateLimitPerHour, MonthlyRequestLimit: old.MonthlyRequestLimit,
		ExpiresAt: newExpiry(*old, opts.ExpiresAt, s.c.now()),
	}
	if opts.Name != "" {
		params.Name = opts.Name
	}
	log(ctx, "apikit: key rotation: creating new key", "old_key_id", oldID)
	nk, err := s.Create(ctx, params)
	if err != nil {
		return fail(StepCreate, nil, err)
	}
	log(ctx, "apikit: key rotation: deploying new key", "old_key_id", oldID, "new_key_id", nk.ID, "new_key", nk.Secret.Fingerprint())
	if err := opts.Deploy(ctx, nk); err != nil {
		return fail(StepDeploy, nk, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(StepDeploy, nk, err)
	}

	// The drain polls must not be traffic on the old key themselves: when
	// this client is still calling with the old key, poll and revoke with
	// the new one, which has the same scopes.
	var with []RequestOption
	if s.callsWith(ctx, *old) {
		log(ctx, "apikit: key rotation: this client calls with the old key; polling and revoking with the new key",
			"old_key_id", oldID, "new_key_id", nk.ID)
		with = append(with, usingKey(s.c.newResolved(credentials.Credential{Key: nk.Secret,
			Source: credentials.Source{Kind: "rotation", Detail: "new key " + nk.ID}})))
	}
	var fleet []FleetProcess
	var polls int
	if opts.Fleet != nil {
		if fleet, polls, err = s.waitFleet(ctx, oldID, nk, opts); err != nil {
			return fail(StepFleet, nk, err)
		}
	} else if polls, err = s.waitQuiet(ctx, oldID, opts, with); err != nil {
		return fail(StepDrain, nk, err)
	}
	log(ctx, "apikit: key rotation: revoking old key", "old_key_id", oldID, "polls", polls)
	revoked, err := s.revoke(ctx, oldID, opts.Reason, with...)
	if err != nil {
		return fail(StepRevokeOld, nk, err)
	}
	log(ctx, "apikit: key rotation complete", "old_key_id", oldID, "new_key_id", nk.ID)
	return &RotateResult{Old: *revoked, New: nk, Polls: polls, Fleet: fleet}, nil
}

// waitQuiet polls the old key's usage until its request count stays the same
// across one poll interval. The waits grow with backoff/v4's schedule and
// end with ctx.
func (s *KeysService) waitQuiet(ctx context.Context, oldID string, opts RotateOptions, with []RequestOption) (int, error) {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(opts.PollInterval),
		backoff.WithMaxInterval(opts.MaxPollInterval),
		backoff.WithMaxElapsedTime(0), // bounded by ctx instead
	)
	polls := 0
	var last int64 = -1
	for {
		u, err := s.usage(ctx, oldID, with...)
		polls++
		if err != nil {
			return polls, err
		}
		s.c.logf(ctx, "apikit: key rotation: old key usage", "old_key_id", oldID, "requests", u.Requests, "poll", polls)
		if u.Requests == last {
			return polls, nil
		}
		last = u.Requests
		if err := s.c.sleep(ctx, b.NextBackOff()); err != nil {
			return polls, fmt.Errorf("old key %s still had traffic when the context ended (%d requests so far): %w", oldID, last, err)
		}
	}
}

// callsWith reports whether the client's own key is old: as the service's
// whoami says when it has one, else by the redacted form the service lists
// (most services, and clienttest, show the key's prefix and last four
// characters, as keys.Key.String does).
func (s *KeysService) callsWith(ctx context.Context, old KeyInfo) bool {
	if p := s.c.Service().WhoamiPath; p != "" {
		var raw json.RawMessage
		if err := s.c.Do(ctx, http.MethodGet, p, nil, &raw); err != nil {
			return false
		}
		who, err := readIdentity(raw)
		return err == nil && who.KeyID == old.ID
	}
	cred, err := s.c.Credential(ctx)
	return err == nil && old.Redacted != "" && old.Redacted == cred.Key.String()
}

// newExpiry is the rotated key's expiry: the one asked for, else the old
// key's lifetime from now, else none.
func newExpiry(old KeyInfo, asked, now time.Time) *time.Time {
	if !asked.IsZero() {
		return &asked
	}
	if old.ExpiresAt == nil || old.ExpiresAt.IsZero() || old.CreatedAt.IsZero() || !old.ExpiresAt.After(old.CreatedAt) {
		return nil
	}
	at := now.Add(old.ExpiresAt.Sub(old.CreatedAt)).UTC().Truncate(time.Second)
	return &at
}
