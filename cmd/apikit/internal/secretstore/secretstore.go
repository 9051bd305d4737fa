// Package secretstore keeps keys in the operating system's keyring (macOS
// Keychain, Windows Credential Manager, the Secret Service over D-Bus on
// Linux, through github.com/zalando/go-keyring), with a bound on how long a
// keyring may take to answer: a Linux session without a Secret Service, or
// one waiting on an unlock prompt nobody sees, must not hang the command.
package secretstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"
)

// DefaultTimeout is how long a keyring may take to answer before it counts
// as unavailable.
const DefaultTimeout = 3 * time.Second

// ErrNotFound is returned when the keyring answers but holds no such entry.
var ErrNotFound = errors.New("no such entry in the keyring")

// ErrUnavailable is wrapped by every error of a keyring that did not
// answer: none installed, no D-Bus session, locked, or too slow.
var ErrUnavailable = errors.New("no OS keyring answered")

// Store keeps secrets by (service, account).
type Store interface {
	// Get returns the secret, ErrNotFound, or an error wrapping ErrUnavailable.
	Get(ctx context.Context, service, account string) (string, error)
	// Set stores the secret, replacing any other under the same name.
	Set(ctx context.Context, service, account, secret string) error
	// Delete removes the entry; ErrNotFound when there was none.
	Delete(ctx context.Context, service, account string) error
}

// OS returns the operating system's keyring, each call bounded by timeout
// (DefaultTimeout when not positive) and by the context.
func OS(timeout time.Duration) Store {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return osStore{timeout: timeout, after: afterTimer}
}

type osStore struct {
	timeout time.Duration
	// after starts the bound; a test seam for a fake clock.
	after func(time.Duration) (<-chan time.Time, func())
}

// afterTimer is a real timer and its stop function.
func afterTimer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// Get reads the OS keyring, within the bound.
func (s osStore) Get(ctx context.Context, service, account string) (string, error) {
	var secret string
	err := s.do(ctx, func() error {
		v, err := keyring.Get(service, account)
		secret = v
		return err
	})
	return secret, err
}

// Set writes the OS keyring, within the bound.
func (s osStore) Set(ctx context.Context, service, account, secret string) error {
	return s.do(ctx, func() error { return keyring.Set(service, account, secret) })
}

// Delete removes an entry from the OS keyring, within the bound.
func (s osStore) Delete(ctx context.Context, service, account string) error {
	return s.do(ctx, func() error { return keyring.Delete(service, account) })
}

// do runs f with the store's bound. A keyring call cannot be interrupted,
// so on timeout f is left to finish (or not) in the background: apikit is a
// short-lived process, and its exit ends it.
func (s osStore) do(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	fired, stop := s.after(s.timeout)
	defer stop()
	select {
	case err := <-done:
		return classify(err)
	case <-fired:
		return fmt.Errorf("%w: it did not answer within %s (is it locked, or waiting for a prompt?)", ErrUnavailable, s.timeout)
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
}

// classify maps go-keyring's answers onto this package's errors. The
// keyring's own error text says what is missing (no D-Bus session, no
// Secret Service) and holds no secret.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, keyring.ErrUnsupportedPlatform):
		return fmt.Errorf("%w: this platform has no keyring apikit can use", ErrUnavailable)
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// Memory is a Store held in memory, for tests. The zero value is not
// usable; use NewMemory.
type Memory struct {
	m    map[string]string
	fail error
}

// NewMemory returns an empty in-memory store. With fail set, every call
// fails with it (wrapped in ErrUnavailable), as a machine without a keyring
// does.
func NewMemory(fail error) *Memory { return &Memory{m: map[string]string{}, fail: fail} }

// Get returns the secret stored under (service, account).
func (m *Memory) Get(_ context.Context, service, account string) (string, error) {
	if m.fail != nil {
		return "", fmt.Errorf("%w: %w", ErrUnavailable, m.fail)
	}
	v, ok := m.m[service+"\x00"+account]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// Set stores secret under (service, account).
func (m *Memory) Set(_ context.Context, service, account, secret string) error {
	if m.fail != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, m.fail)
	}
	m.m[service+"\x00"+account] = secret
	return nil
}

// Delete removes the entry under (service, account).
func (m *Memory) Delete(_ context.Context, service, account string) error {
	if m.fail != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, m.fail)
	}
	k := service + "\x00" + account
	if _, ok := m.m[k]; !ok {
		return ErrNotFound
	}
	delete(m.m, k)
	return nil
}
