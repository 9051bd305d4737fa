package apierrors_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "github.com/apikit/apikit-go/errors"
)

func TestErrorIsClassAndCode(t *testing.T) {
	classes := []error{apierrors.ErrAuthentication, apierrors.ErrPermission, apierrors.ErrPayment, apierrors.ErrRateLimited}
	tests := []struct {
		err        *apierrors.Error
		class      error
		codeSentry error // nil: no code sentinel matches
	}{
		{&apierrors.Error{StatusCode: 401, Code: apierrors.CodeMissingCredentials}, apierrors.ErrAuthentication, apierrors.ErrMissingCredentials},
		{&apierrors.Error{StatusCode: 401, Code: apierrors.CodeMalformedToken}, apierrors.ErrAuthentication, apierrors.ErrMalformedToken},
		{&apierrors.Error{StatusCode: 401, Code: apierrors.CodeUnknownKey}, apierrors.ErrAuthentication, apierrors.ErrUnknownKey},
		{&apierrors.Error{StatusCode: 401, Code: apierrors.CodeRevoked}, apierrors.ErrAuthentication, apierrors.ErrRevoked},
		{&apierrors.Error{StatusCode: 401, Code: apierrors.CodeExpired}, apierrors.ErrAuthentication, apierrors.ErrExpired},
		{&apierrors.Error{StatusCode: 401, Code: apierrors.CodeUnauthenticated}, apierrors.ErrAuthentication, nil},
		{&apierrors.Error{StatusCode: 403, Code: apierrors.CodeUnauthorizedIP}, apierrors.ErrPermission, apierrors.ErrUnauthorizedIP},
		{&apierrors.Error{StatusCode: 403, Code: apierrors.CodeInsufficientScope}, apierrors.ErrPermission, apierrors.ErrInsufficientScope},
		{&apierrors.Error{StatusCode: 403, Code: apierrors.CodePermissionDenied}, apierrors.ErrPermission, nil},
		{&apierrors.Error{StatusCode: 402, Code: apierrors.CodeKeyCeilingExceeded}, apierrors.ErrPayment, apierrors.ErrKeyCeilingExceeded},
		{&apierrors.Error{StatusCode: 402, Code: apierrors.CodeWorkspaceBalance}, apierrors.ErrPayment, apierrors.ErrWorkspaceBalance},
		{&apierrors.Error{StatusCode: 429, Code: apierrors.CodeRateLimited}, apierrors.ErrRateLimited, nil},
		{&apierrors.Error{StatusCode: 500, Code: apierrors.CodeServerError}, nil, nil},
	}
	codes := []error{apierrors.ErrMissingCredentials, apierrors.ErrMalformedToken, apierrors.ErrUnknownKey,
		apierrors.ErrRevoked, apierrors.ErrExpired, apierrors.ErrUnauthorizedIP, apierrors.ErrInsufficientScope,
		apierrors.ErrKeyCeilingExceeded, apierrors.ErrWorkspaceBalance}
	for _, tt := range tests {
		t.Run(string(tt.err.Code), func(t *testing.T) {
			wrapped := fmt.Errorf("calling the API: %w", tt.err)
			for _, c := range classes {
				if got, want := errors.Is(wrapped, c), c == tt.class; got != want {
					t.Errorf("errors.Is(%s, %v) = %v, want %v", tt.err.Code, c, got, want)
				}
			}
			for _, c := range codes {
				if got, want := errors.Is(wrapped, c), c == tt.codeSentry; got != want {
					t.Errorf("errors.Is(%s, %v) = %v, want %v", tt.err.Code, c, got, want)
				}
			}
		})
	}
}

func TestCodeSentinelMatchesItsClass(t *testing.T) {
	// A local error (say, a key that failed validation before any request)
	// wraps a code sentinel; it must match the class too.
	local := fmt.Errorf("env HYPEDATA_API_KEY: %w", apierrors.ErrMalformedToken)
	if !errors.Is(local, apierrors.ErrAuthentication) {
		t.Error("a wrapped ErrMalformedToken does not match ErrAuthentication")
	}
	if errors.Is(local, apierrors.ErrPermission) {
		t.Error("a wrapped ErrMalformedToken matches ErrPermission")
	}
	if errors.Is(apierrors.ErrAuthentication, apierrors.ErrMalformedToken) {
		t.Error("a class sentinel matches a code sentinel")
	}
	if !errors.Is(apierrors.ErrInsufficientScope, apierrors.ErrPermission) {
		t.Error("ErrInsufficientScope does not match ErrPermission")
	}
}

func TestErrorTextSaysWhatAndWhatToDo(t *testing.T) {
	e := &apierrors.Error{
		StatusCode: 401, Code: apierrors.CodeRevoked, RawCode: "revoked", Message: "This key was revoked",
		RequestID: "req_123", RevokedAt: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), Reason: "leaked on GitHub",
		Attempts: 2,
	}
	got := e.Error()
	for _, want := range []string{"401 Unauthorized", "revoked", "This key was revoked", "2026-05-01T10:00:00Z",
		"leaked on GitHub", "rotate", "req_123", "2 attempts"} {
		if !strings.Contains(got, want) {
			t.Errorf("Error() = %q, missing %q", got, want)
		}
	}
	if strings.Contains(got, "\n") {
		t.Errorf("Error() spans lines: %q", got)
	}

	rl := &apierrors.Error{StatusCode: 429, Code: apierrors.CodeRateLimited, RawCode: "throttled", RetryAfter: time.Hour}
	if got := rl.Error(); !strings.Contains(got, "retry after 1h0m0s") || !strings.Contains(got, "(throttled)") {
		t.Errorf("Error() = %q, want the wait and the raw code", got)
	}
}

func TestRetryAfterHelper(t *testing.T) {
	if d, ok := apierrors.RetryAfter(fmt.Errorf("x: %w", &apierrors.Error{StatusCode: 429, RetryAfter: 3 * time.Second})); !ok || d != 3*time.Second {
		t.Errorf("RetryAfter = %v, %v; want 3s, true", d, ok)
	}
	if _, ok := apierrors.RetryAfter(&apierrors.Error{StatusCode: 500}); ok {
		t.Error("RetryAfter reported a hint for an error without one")
	}
	if _, ok := apierrors.RetryAfter(errors.New("plain")); ok {
		t.Error("RetryAfter reported a hint for a plain error")
	}
}

func TestTemporary(t *testing.T) {
	for status, want := range map[int]bool{429: true, 408: true, 500: true, 502: true, 503: true, 504: true,
		501: false, 400: false, 401: false, 403: false, 404: false} {
		if got := (&apierrors.Error{StatusCode: status}).Temporary(); got != want {
			t.Errorf("Temporary() for %d = %v, want %v", status, got, want)
		}
	}
}

// A server's sentence ends with a full stop; the one-line text goes on after
// it ("; revoked at …", " — hint") without reading ".;" or ". —".
func TestErrorTextAfterASentence(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		err  *apierrors.Error
		want string
	}{
		{&apierrors.Error{StatusCode: 401, Code: apierrors.CodeRevoked, Message: "API key has been revoked.", RevokedAt: at, Reason: "leaked."},
			"401 Unauthorized: revoked: API key has been revoked; revoked at 2026-01-02T03:04:05Z; reason: leaked — this key was revoked: create or rotate to a new key"},
		{&apierrors.Error{StatusCode: 403, Code: apierrors.CodeInsufficientScope, Message: "Missing scope;", RequiredScope: "scrape"},
			`403 Forbidden: insufficient_scope: Missing scope; required scope "scrape" — the key lacks a scope this call needs: grant it, or use a key that has it`},
		{&apierrors.Error{StatusCode: 500, Code: apierrors.CodeServerError, Message: "Something broke."},
			"500 Internal Server Error: server_error: Something broke"},
		{&apierrors.Error{StatusCode: 500, Code: apierrors.CodeServerError, Message: "..."},
			"500 Internal Server Error: server_error: ..."},
	} {
		got := tc.err.Error()
		if got != tc.want {
			t.Errorf("Error():\n got %s\nwant %s", got, tc.want)
		}
		if strings.Contains(got, ".;") || strings.Contains(got, ". —") {
			t.Errorf("%q: punctuation runs into what follows", got)
		}
	}
}

// A client that sends no key by choice (client.WithoutKey) gets a 401 hint
// that says so, not "no API key was sent: set …"; other statuses keep theirs.
func TestErrorHintWithoutKey(t *testing.T) {
	e := &apierrors.Error{StatusCode: 401, Code: apierrors.CodeMissingCredentials, WithoutKey: true}
	if h := e.Hint(); h != "this client sends no key (WithoutKey); this endpoint needs one: drop WithoutKey and set the service's key env var or pass WithAPIKey" {
		t.Errorf("Hint: %q", h)
	}
	e.KeyEnv = "ENVIO_API_TOKEN"
	if h := e.Hint(); !strings.Contains(h, "set ENVIO_API_TOKEN or pass WithAPIKey") {
		t.Errorf("Hint with KeyEnv: %q", h)
	}
	e = &apierrors.Error{StatusCode: 429, Code: apierrors.CodeRateLimited, WithoutKey: true}
	if h := e.Hint(); strings.Contains(h, "WithoutKey") {
		t.Errorf("429 Hint: %q", h)
	}
}
