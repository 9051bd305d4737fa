package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// Exit codes. Each means one thing, so that a script can act on it; they
// are listed in `apikit help` and the README.
const (
	exitOK          = 0 // done
	exitError       = 1 // anything not below: a config file that cannot be read or written, a request the service refused for another reason
	exitUsage       = 2 // the command line is wrong
	exitNoKey       = 3 // no source holds a key (log in, or set the service's variable)
	exitBadKey      = 4 // a key was found but is malformed or expired; nothing was sent
	exitRefused     = 5 // the service refused the key (401, 402, 403)
	exitUnreachable = 6 // the service could not be reached, or kept failing (network, 5xx, 429)
	exitNoKeyring   = 7 // login found no OS keyring and --insecure-storage was not given
	exitProblems    = 8 // doctor (or status) found problems
	exitTimeout     = 9 // --timeout passed on this machine: a key command that did not finish, a config lock another process held
)

// exitCodesHelp is the table `apikit help` prints.
const exitCodesHelp = `Exit codes:
  0  done
  1  another error (config file unreadable or unwritable, a request refused for another reason)
  2  usage: the command line is wrong
  3  no key: no source holds one (run apikit login, or set the service's variable)
  4  bad key: a key was found but is malformed or expired; nothing was sent
  5  refused: the service refused the key (401, 402, 403)
  6  unreachable: the service could not be reached or kept failing (network, 5xx, 429)
  7  no keyring: login found no OS keyring and --insecure-storage was not given
  8  problems: doctor (or status) found problems
  9  timeout: --timeout passed before a key command finished or the config file's lock was free`

// codedError is an error with the exit code it stands for, and the kind
// --json names it by when the code's own kind would mislead (a failed scan
// exits 2, as a usage error does).
type codedError struct {
	code int
	kind string // "" for errorKind(code)
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// withCode gives err an exit code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codedError{code: code, err: err}
}

// withKind gives err an exit code and the kind --json names it by.
func withKind(code int, kind string, err error) error {
	if err == nil {
		return nil
	}
	return &codedError{code: code, kind: kind, err: err}
}

// kindOf names err, which exits with code, in --json output.
func kindOf(err error, code int) string {
	var ce *codedError
	if errors.As(err, &ce) && ce.kind != "" {
		return ce.kind
	}
	return errorKind(code)
}

// usagef is a usage error (exit 2).
func usagef(format string, args ...any) error {
	return withCode(exitUsage, fmt.Errorf(format, args...))
}

// exitCodeOf says which exit code err stands for: its own if it has one,
// else what the SDK's error says about the key or the service.
func exitCodeOf(err error) int {
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	var apiErr *apierrors.Error
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.StatusCode == 401 || apiErr.StatusCode == 402 || apiErr.StatusCode == 403:
			return exitRefused
		case apiErr.StatusCode == 429 || apiErr.StatusCode >= 500:
			return exitUnreachable
		}
		return exitError
	}
	var pe *keys.ParseError
	if errors.As(err, &pe) || errors.Is(err, apierrors.ErrMalformedToken) || errors.Is(err, apierrors.ErrExpired) {
		return exitBadKey
	}
	var nf *credentials.NotFoundError
	if errors.As(err, &nf) || errors.Is(err, apierrors.ErrMissingCredentials) {
		return exitNoKey
	}
	// The network first: a call that timed out on its way to the service
	// is the service being unreachable, not this machine being slow.
	var te *client.TransportError
	var ue *url.Error
	if errors.As(err, &te) || errors.As(err, &ue) {
		return exitUnreachable
	}
	// A deadline met on this machine: a key command, a config file lock.
	// (context.DeadlineExceeded is a net.Error too: it must not read as
	// "check the network".)
	if errors.Is(err, context.DeadlineExceeded) {
		return exitTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return exitUnreachable
	}
	return exitError
}

// timeoutFix says what to do about an error of exitTimeout.
func timeoutFix(timeout time.Duration) string {
	return fmt.Sprintf("--timeout (%s) passed on this machine: a key command that hangs or waits for input, or another process holding the config file's lock; run it by hand, or raise --timeout", timeout)
}

// unreachableFix says what to do about an error of exitUnreachable: the
// service answered with 429 or 5xx until the retries ran out, or it never
// answered at all (network, DNS, a wrong base URL).
func unreachableFix(err error) string {
	var apiErr *apierrors.Error
	switch {
	case errors.As(err, &apiErr) && apiErr.StatusCode == 429:
		return "the service is limiting this key's requests: wait, then try again"
	case errors.As(err, &apiErr):
		return "the service kept failing: try again later"
	}
	return "check the network, and the base URL (--base-url, $<SERVICE>_BASE_URL or the profile's base_url; apikit status shows which)"
}

// errorKind names an exit code in --json output.
func errorKind(code int) string {
	switch code {
	case exitUsage:
		return "usage"
	case exitNoKey:
		return "no_key"
	case exitBadKey:
		return "bad_key"
	case exitRefused:
		return "refused"
	case exitUnreachable:
		return "unreachable"
	case exitNoKeyring:
		return "no_keyring"
	case exitProblems:
		return "problems"
	case exitTimeout:
		return "timeout"
	}
	return "error"
}
