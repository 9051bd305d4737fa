package client

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// FleetRegistry is where the processes of a fleet report which key each
// one uses, for a rotation that must not revoke a key a live process still
// holds (see RotateOptions.Fleet). Each process reports itself every few
// seconds with a time to live, so a process that dies drops out on its
// own. Package pacing/redispacing implements it on Redis; keys are named
// by fingerprint only (keys.Key.Fingerprint), never by the key.
type FleetRegistry interface {
	// Processes lists the live processes and the key each reported last.
	Processes(ctx context.Context) ([]FleetProcess, error)
}

// FleetProcess is one live process of a fleet as it last reported.
type FleetProcess struct {
	ID             string    // chosen by the process: host, pid, …; never a key
	KeyFingerprint string    // the fingerprint of the key it uses
	Seen           time.Time // when it last reported
}

// FleetHoldoutError is why a fleet rotation stopped at StepFleet: when its
// deadline passed (RotateOptions.FleetTimeout, or the context's), these
// processes still reported another key than the new one. Neither key has
// been revoked.
type FleetHoldoutError struct {
	NewKeyFingerprint string
	Live              int            // live processes at the last look
	Holdouts          []FleetProcess // those not on the new key
	Err               error          // the context's error, or the registry's when it never answered
}

func (e *FleetHoldoutError) Error() string {
	var b strings.Builder
	if len(e.Holdouts) == 0 && e.Live == 0 {
		fmt.Fprintf(&b, "no live process reported the new key %s", e.NewKeyFingerprint)
	} else {
		fmt.Fprintf(&b, "%d of %d live processes still report another key than the new %s:", len(e.Holdouts), e.Live, e.NewKeyFingerprint)
		for i, p := range e.Holdouts {
			if i == 10 {
				fmt.Fprintf(&b, " and %d more", len(e.Holdouts)-10)
				break
			}
			fmt.Fprintf(&b, " %s (key %s, last seen %s)", p.ID, p.KeyFingerprint, p.Seen.UTC().Format(time.RFC3339))
		}
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the context's or the registry's error.
func (e *FleetHoldoutError) Unwrap() error { return e.Err }

// DefaultFleetTimeout is how long a fleet rotation waits for every process
// to report the new key when RotateOptions.FleetTimeout is zero.
const DefaultFleetTimeout = 10 * time.Minute

// waitFleet polls the registry until at least one live process, and every
// live one, reports the new key nk, backing off from opts.PollInterval to
// opts.MaxPollInterval, for at most opts.FleetTimeout. A process that dies
// meanwhile drops out of the registry when its report expires, and the
// wait goes on without it.
func (s *KeysService) waitFleet(ctx context.Context, oldID string, nk *NewKey, opts RotateOptions) ([]FleetProcess, int, error) {
	timeout := opts.FleetTimeout
	if timeout <= 0 {
		timeout = DefaultFleetTimeout
	}
	deadline := s.c.now().Add(timeout)
	want := nk.Secret.Fingerprint()
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(opts.PollInterval),
		backoff.WithMaxInterval(opts.MaxPollInterval),
		backoff.WithMaxElapsedTime(0),
	)
	herr := &FleetHoldoutError{NewKeyFingerprint: want}
	polls := 0
	for {
		procs, err := opts.Fleet.Processes(ctx)
		polls++
		if err != nil {
			s.c.logf(ctx, "apikit: key rotation: the fleet registry did not answer; waiting", "old_key_id", oldID, "error", err.Error())
			if herr.Live == 0 {
				herr.Err = fmt.Errorf("the fleet registry: %w", err)
			}
		} else {
			herr.Live, herr.Holdouts, herr.Err = len(procs), nil, nil
			for _, p := range procs {
				if p.KeyFingerprint != want {
					herr.Holdouts = append(herr.Holdouts, p)
				}
			}
			if len(procs) > 0 && len(herr.Holdouts) == 0 {
				return procs, polls, nil
			}
			attrs := []any{"old_key_id", oldID, "new_key", want, "live", len(procs), "holdouts", len(herr.Holdouts), "poll", polls}
			if len(herr.Holdouts) > 0 {
				attrs = append(attrs, "first_holdout", herr.Holdouts[0].ID)
			}
			s.c.logf(ctx, "apikit: key rotation: waiting for every process to use the new key", attrs...)
		}
		wait := b.NextBackOff()
		left := deadline.Sub(s.c.now())
		if left <= 0 {
			if herr.Err == nil {
				herr.Err = fmt.Errorf("gave up after %s (RotateOptions.FleetTimeout)", timeout)
			}
			return nil, polls, herr
		}
		if err := s.c.sleep(ctx, min(wait, left)); err != nil {
			herr.Err = err
			return nil, polls, herr
		}
	}
}
