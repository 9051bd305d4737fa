package apierrors_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	apierrors "github.com/apikit/apikit-go/errors"
)

// decodeCase is one response and what Decode must make of it; empty wants
// are not checked.
type decodeCase struct {
	name       string
	status     int
	header     http.Header
	body       string
	code       apierrors.Code
	raw        string
	message    string
	requestID  string
	scope      string
	retryAfter time.Duration
}

func runDecodeCases(t *testing.T, cases []decodeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := apierrors.Decode(tc.status, tc.header, []byte(tc.body))
			if e.Code != tc.code {
				t.Errorf("Code = %q, want %q (raw %q, message %q)", e.Code, tc.code, e.RawCode, e.Message)
			}
			for _, c := range []struct{ field, got, want string }{
				{"RawCode", e.RawCode, tc.raw}, {"Message", e.Message, tc.message},
				{"RequestID", e.RequestID, tc.requestID}, {"RequiredScope", e.RequiredScope, tc.scope},
			} {
				if c.want != "" && c.got != c.want {
					t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
				}
			}
			if tc.retryAfter != 0 && e.RetryAfter != tc.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tc.retryAfter)
			}
		})
	}
}

// TestDecodeToleratesWrongTypedFields: one member of an unexpected type
// once made the whole body unreadable, losing the code and the wait.
func TestDecodeToleratesWrongTypedFields(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "numeric request_id", status: 401, body: `{"error":{"code":"revoked","message":"gone","request_id":12345}}`,
			code: apierrors.CodeRevoked, raw: "revoked", message: "gone", requestID: "12345"},
		{name: "message list", status: 403, body: `{"message":["scope billing required"],"error":"insufficient_scope"}`,
			code: apierrors.CodeInsufficientScope, raw: "insufficient_scope", message: "scope billing required"},
		{name: "message list joined", status: 400, body: `{"message":["name is required","age must be positive",3]}`,
			code: apierrors.CodeBadRequest, message: "name is required; age must be positive"},
		{name: "numeric title", status: 429, body: `{"error":"rate_limited","retryAfter":5,"title":7}`,
			code: apierrors.CodeRateLimited, raw: "rate_limited", retryAfter: 5 * time.Second},
		{name: "object message", status: 402, body: `{"code":"workspace_balance","message":{"en":"top up"},"request_id":true}`,
			code: apierrors.CodeWorkspaceBalance, raw: "workspace_balance", message: "Payment Required"},
		{name: "numeric code skipped", status: 401, body: `{"code":401,"error":"unknown_key","message":"no such key"}`,
			code: apierrors.CodeUnknownKey, raw: "unknown_key", message: "no such key"},
		{name: "scope list", status: 403, body: `{"error":{"code":"insufficient_scope","required_scope":["billing","admin"]}}`,
			code: apierrors.CodeInsufficientScope, scope: "billing admin"},
		{name: "details of wrong type", status: 429, body: `{"error":{"code":"rate_limited","details":"later","retry_after":"4"}}`,
			code: apierrors.CodeRateLimited, retryAfter: 4 * time.Second},
		{name: "byte-order mark", status: 401, body: "\ufeff" + `{"error":{"code":"revoked","message":"gone"}}`,
			code: apierrors.CodeRevoked, raw: "revoked", message: "gone"},
		{name: "byte-order mark after space", status: 429, body: " \ufeff" + `{"error":"RATE_LIMITED","retryAfter":9}`,
			code: apierrors.CodeRateLimited, raw: "RATE_LIMITED", retryAfter: 9 * time.Second},
		{name: "names in any case", status: 401, body: `{"Error":{"CODE":"revoked","Message":"gone","message":"exact","Request_ID":7}}`,
			code: apierrors.CodeRevoked, raw: "revoked", message: "exact", requestID: "7"},
		{name: "JSON string body", status: 404, body: `"No such widget"`, code: apierrors.CodeNotFound, message: "No such widget"},
		{name: "retry hint as hex is no hint", status: 429, header: http.Header{"Retry-After": {"3"}},
			body: `{"retryAfter":"0x10"}`, code: apierrors.CodeRateLimited, retryAfter: 3 * time.Second},
	})
}

// TestDecodeBodyCodeWinsOverHeader: a string "error" in the body once lost
// to the WWW-Authenticate error, which was read first.
func TestDecodeBodyCodeWinsOverHeader(t *testing.T) {
	invalidToken := http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}
	revokedHeader := http.Header{"Www-Authenticate": {`Bearer error="revoked", error_description="revoked yesterday"`}}
	runDecodeCases(t, []decodeCase{
		{name: "string error over header", status: 401, header: invalidToken, body: `{"error":"unknown_key"}`,
			code: apierrors.CodeUnknownKey, raw: "unknown_key"},
		{name: "specific body over specific header", status: 401, header: revokedHeader, body: `{"error":"unknown_key"}`,
			code: apierrors.CodeUnknownKey, raw: "unknown_key"},
		{name: "generic body yields to specific header", status: 401, header: revokedHeader,
			body: `{"success":false,"error":"UNAUTHORIZED","message":"Not allowed"}`,
			code: apierrors.CodeRevoked, raw: "revoked", message: "Not allowed"},
		{name: "generic body kept over generic header", status: 401, header: invalidToken,
			body: `{"success":false,"error":"UNAUTHORIZED","message":"Not allowed"}`,
			code: apierrors.CodeUnauthenticated, raw: "UNAUTHORIZED"},
		{name: "recognised body message wins", status: 401, header: revokedHeader,
			body: `{"success":false,"error":"UNAUTHORIZED","message":"API key has expired"}`,
			code: apierrors.CodeExpired, raw: "UNAUTHORIZED"},
		{name: "sentence error over header description", status: 401, header: revokedHeader, body: `{"error":"Something broke badly"}`,
			code: apierrors.CodeRevoked, raw: "revoked", message: "Something broke badly"},
		{name: "header fills an empty body", status: 403,
			header: http.Header{"Www-Authenticate": {`Bearer error="insufficient_scope", scope="serp"`}}, body: `{"message":"no"}`,
			code: apierrors.CodeInsufficientScope, raw: "insufficient_scope", message: "no", scope: "serp"},
	})
}

// TestDecodeUnauthorizedPhrases: only whole documented phrases say which
// 401 it is; a message that mentions a word does not.
func TestDecodeUnauthorizedPhrases(t *testing.T) {
	for msg, want := range map[string]apierrors.Code{
		"No API key provided. Include your API key in the Authorization header.": apierrors.CodeMissingCredentials,
		"Invalid API key provided":             apierrors.CodeUnknownKey,
		"API key has expired":                  apierrors.CodeExpired,
		"API key has been revoked":             apierrors.CodeRevoked,
		"The access token expired":             apierrors.CodeExpired,
		"Token is not yet valid (not expired)": apierrors.CodeUnauthenticated,
		"This key was never revoked":           apierrors.CodeUnauthenticated,
		"Your trial expired; invalid api key?": apierrors.CodeUnauthenticated,
		"Contact support (no api key reset)":   apierrors.CodeUnauthenticated,
		"Invalid API key provided: hs_live_x":  apierrors.CodeUnknownKey,
		"API key has expired.":                 apierrors.CodeExpired,
		"API key has expired tokens attached":  apierrors.CodeUnauthenticated,
	} {
		body := `{"success":false,"error":"UNAUTHORIZED","message":"` + msg + `"}`
		if got := apierrors.Decode(401, http.Header{}, []byte(body)).Code; got != want {
			t.Errorf("%q: code %q, want %q", msg, got, want)
		}
	}
	// A plain-text answer that leads with its code: the code counts, and
	// else the phrase after a lead that is no code.
	for text, want := range map[string]apierrors.Code{
		"unknown_key: Invalid API key provided":               apierrors.CodeUnknownKey,
		"revoked: API key has been revoked":                   apierrors.CodeRevoked,
		"malformed_token: The API key is not in this format":  apierrors.CodeMalformedToken,
		"note: Token is not yet valid (not expired)":          apierrors.CodeUnauthenticated,
		"Some words: API key has expired, or so we think now": apierrors.CodeUnauthenticated,
	} {
		if got := apierrors.Decode(401, http.Header{}, []byte(text)).Code; got != want {
			t.Errorf("plain text %q: code %q, want %q", text, got, want)
		}
	}
}

func TestDecodeRevocationDetails(t *testing.T) {
	cases := []struct {
		name, body string
		at         time.Time
		reason     string
	}{
		{"milliseconds", `{"error":{"code":"revoked","revoked_at":1767312000000,"reason":"leaked"}}`,
			time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), "leaked"},
		{"seconds as a string", `{"error":{"code":"revoked","revoked_at":"1767312000"}}`,
			time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), ""},
		{"plain date", `{"error":{"code":"revoked","revoked_at":"2026-01-02","revoked_reason":"rotated"}}`,
			time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), "rotated"},
		{"key object names", `{"code":"revoked","revokedAt":"2026-01-02T03:04:05Z","revoked_reason":"offboarding"}`,
			time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "offboarding"},
		{"hex is no time", `{"code":"revoked","revoked_at":"0x1p30"}`, time.Time{}, ""},
	}
	for _, tc := range cases {
		e := apierrors.Decode(401, http.Header{}, []byte(tc.body))
		if e.Code != apierrors.CodeRevoked || !e.RevokedAt.Equal(tc.at) || e.Reason != tc.reason {
			t.Errorf("%s: code %q revoked at %v reason %q; want revoked, %v, %q", tc.name, e.Code, e.RevokedAt, e.Reason, tc.at, tc.reason)
		}
	}
}

func TestDecodeProblemType(t *testing.T) {
	problem := http.Header{"Content-Type": {"application/problem+json"}}
	runDecodeCases(t, []decodeCase{
		{name: "type path", status: 402, header: problem,
			body: `{"type":"https://example.com/probs/out-of-credit","title":"You do not have enough credit."}`,
			code: apierrors.CodePaymentRequired, raw: "out-of-credit", message: "You do not have enough credit."},
		{name: "type maps to a code", status: 401, header: problem, body: `{"type":"https://api.example.com/errors/revoked/","status":401}`,
			code: apierrors.CodeRevoked, raw: "revoked"},
		{name: "code wins over type", status: 403, header: problem,
			body: `{"type":"https://example.com/probs/scope","code":"insufficient_scope"}`,
			code: apierrors.CodeInsufficientScope, raw: "insufficient_scope"},
		{name: "about:blank says nothing", status: 404, header: problem, body: `{"type":"about:blank","title":"Not Found"}`,
			code: apierrors.CodeNotFound, message: "Not Found"},
		{name: "fragment names the code", status: 422, header: problem,
			body: `{"type":"https://api.example.com/errors#UNPROCESSABLE_ENTITY","title":"Bad field"}`,
			code: apierrors.CodeInvalidRequest, raw: "UNPROCESSABLE_ENTITY", message: "Bad field"},
		{name: "fragment names a known code", status: 401, header: problem,
			body: `{"type":"https://api.example.com/errors/#revoked"}`, code: apierrors.CodeRevoked, raw: "revoked"},
		{name: "empty fragment: the path", status: 402, header: problem,
			body: `{"type":"https://example.com/probs/out-of-credit#"}`, code: apierrors.CodePaymentRequired, raw: "out-of-credit"},
		{name: "query, then fragment", status: 401, header: problem,
			body: `{"type":"https://example.com/errors?v=2#unknown_key"}`, code: apierrors.CodeUnknownKey, raw: "unknown_key"},
	})
	if e := apierrors.Decode(404, problem, []byte(`{"type":"about:blank"}`)); e.RawCode != "" {
		t.Errorf("about:blank gave RawCode %q", e.RawCode)
	}
}

func TestDecodeFirstNonEmptyHeader(t *testing.T) {
	e := apierrors.Decode(503, http.Header{"Retry-After": {"", "7"}}, nil)
	if e.RetryAfter != 7*time.Second {
		t.Errorf("Retry-After [\"\", \"7\"]: RetryAfter %v, want 7s", e.RetryAfter)
	}
	e = apierrors.Decode(429, http.Header{"X-Ratelimit-Reset": {" ", "9"}}, nil)
	if e.RetryAfter != 9*time.Second {
		t.Errorf("X-RateLimit-Reset [\" \", \"9\"]: RetryAfter %v, want 9s", e.RetryAfter)
	}
	e = apierrors.Decode(500, http.Header{"X-Request-Id": {"", "req_2"}}, nil)
	if e.RequestID != "req_2" {
		t.Errorf("X-Request-Id [\"\", \"req_2\"]: RequestID %q", e.RequestID)
	}
}

func TestErrorRoundsTheWait(t *testing.T) {
	for d, want := range map[time.Duration]string{
		59548829699 * time.Nanosecond: "retry after 1m0s",
		2345678901 * time.Nanosecond:  "retry after 2.346s",
		750 * time.Millisecond:        "retry after 750ms",
		12400 * time.Millisecond:      "retry after 12s",
		500 * time.Microsecond:        "retry after 500µs",
		time.Hour:                     "retry after 1h0m0s",
	} {
		got := (&apierrors.Error{StatusCode: 429, Code: apierrors.CodeRateLimited, RetryAfter: d}).Error()
		if !strings.Contains(got, "("+want+")") {
			t.Errorf("RetryAfter %v: Error() = %q, want %q", d, got, want)
		}
	}
}

// A plain-text "code: message" answer (HyperSync) gives its code to RawCode
// and the rest to Message, so that Error() does not print the code twice
// ("revoked: revoked: …"); a lead that is no code stays in the message.
func TestDecodePlainTextLeadingCode(t *testing.T) {
	for _, tc := range []struct {
		status             int
		body, raw, message string
		code               apierrors.Code
	}{
		{401, "revoked: API key has been revoked.\n", "revoked", "API key has been revoked.", apierrors.CodeRevoked},
		{401, "missing_credentials: No API key provided", "missing_credentials", "No API key provided", apierrors.CodeMissingCredentials},
		{401, "ERROR_NO_TOKEN: No token found", "ERROR_NO_TOKEN", "No token found", apierrors.CodeMissingCredentials},
		{429, "RATE_LIMITED: slow down", "RATE_LIMITED", "slow down", apierrors.CodeRateLimited},
		{403, "key_not_allowed_here: ask an admin", "key_not_allowed_here", "ask an admin", apierrors.CodePermissionDenied},
		{500, "revoked: odd", "revoked", "odd", apierrors.CodeServerError}, // the status decides
		{401, "note: Token is not yet valid", "", "note: Token is not yet valid", apierrors.CodeUnauthenticated},
		{401, "Error: bad key", "", "Error: bad key", apierrors.CodeUnauthenticated},
		{401, "ERROR: bad key", "", "ERROR: bad key", apierrors.CodeUnauthenticated},
		{401, "Some words: API key has expired", "", "Some words: API key has expired", apierrors.CodeUnauthenticated},
		{401, "revoked:", "", "revoked:", apierrors.CodeUnauthenticated},
		{401, "revoked: ", "", "revoked:", apierrors.CodeUnauthenticated},
		{502, "upstream: timeout", "", "upstream: timeout", apierrors.CodeUnavailable},
		{401, `"revoked: API key has been revoked"`, "revoked", "API key has been revoked", apierrors.CodeRevoked},
	} {
		e := apierrors.Decode(tc.status, http.Header{}, []byte(tc.body))
		if e.RawCode != tc.raw || e.Message != tc.message || e.Code != tc.code {
			t.Errorf("%d %q: RawCode %q, Message %q, Code %q; want %q, %q, %q",
				tc.status, tc.body, e.RawCode, e.Message, e.Code, tc.raw, tc.message, tc.code)
		}
		if tc.raw != "" && strings.Contains(strings.ToLower(e.Error()), strings.ToLower(tc.raw+": "+tc.raw)) {
			t.Errorf("%q: the code is printed twice: %s", tc.body, e.Error())
		}
	}
}
