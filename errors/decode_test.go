package apierrors_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/internal/retryafter"
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestDecodeDialects(t *testing.T) {
	revokedAt := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		code       apierrors.Code
		raw        string
		class      error
		sentinel   error
		message    string
		retryAfter time.Duration
		requestID  string
		scope      string
	}{
		{"hypedata missing", 401, hdr("WWW-Authenticate", `Bearer realm="hypedata", error="missing_credentials"`),
			`{"error":{"code":"missing_credentials","message":"No key in the request"},"request_id":"req_1"}`,
			apierrors.CodeMissingCredentials, "missing_credentials", apierrors.ErrAuthentication, apierrors.ErrMissingCredentials, "No key in the request", 0, "req_1", ""},
		{"hypedata revoked", 401, nil,
			`{"error":{"code":"revoked","message":"This key was revoked","revoked_at":"2026-11-01T10:00:00Z","reason":"leaked in a commit"}}`,
			apierrors.CodeRevoked, "revoked", apierrors.ErrAuthentication, apierrors.ErrRevoked, "This key was revoked", 0, "", ""},
		{"hypedata scope", 403, hdr("WWW-Authenticate", `Bearer error="insufficient_scope", scope="serp"`),
			`{"error":{"code":"insufficient_scope","message":"needs serp","required_scope":"serp"}}`,
			apierrors.CodeInsufficientScope, "insufficient_scope", apierrors.ErrPermission, apierrors.ErrInsufficientScope, "needs serp", 0, "", "serp"},
		{"hypedata ip", 403, nil, `{"error":{"code":"unauthorized_ip","message":"203.0.113.9 not allowed"}}`,
			apierrors.CodeUnauthorizedIP, "unauthorized_ip", apierrors.ErrPermission, apierrors.ErrUnauthorizedIP, "203.0.113.9 not allowed", 0, "", ""},
		{"hypedata ceiling", 402, nil, `{"error":{"code":"key_ceiling_exceeded","message":"ceiling 1000 reached"}}`,
			apierrors.CodeKeyCeilingExceeded, "key_ceiling_exceeded", apierrors.ErrPayment, apierrors.ErrKeyCeilingExceeded, "ceiling 1000 reached", 0, "", ""},
		{"hypedata balance", 402, nil, `{"error":{"code":"workspace_balance","message":"top up"}}`,
			apierrors.CodeWorkspaceBalance, "workspace_balance", apierrors.ErrPayment, apierrors.ErrWorkspaceBalance, "top up", 0, "", ""},
		{"hypersave missing", 401, nil, `{"success":false,"error":"UNAUTHORIZED","message":"No API key provided. Include your API key in the Authorization header."}`,
			apierrors.CodeMissingCredentials, "UNAUTHORIZED", apierrors.ErrAuthentication, apierrors.ErrMissingCredentials, "No API key provided. Include your API key in the Authorization header.", 0, "", ""},
		{"hypersave invalid", 401, nil, `{"success":false,"error":"UNAUTHORIZED","message":"Invalid API key provided"}`,
			apierrors.CodeUnknownKey, "UNAUTHORIZED", apierrors.ErrAuthentication, apierrors.ErrUnknownKey, "Invalid API key provided", 0, "", ""},
		{"hypersave expired", 401, nil, `{"success":false,"error":"UNAUTHORIZED","message":"API key has expired"}`,
			apierrors.CodeExpired, "UNAUTHORIZED", apierrors.ErrAuthentication, apierrors.ErrExpired, "API key has expired", 0, "", ""},
		{"hypersave rate limited", 429, hdr("Retry-After", "60"), `{"success":false,"error":"RATE_LIMITED","message":"Hourly limit reached","retryAfter":3600}`,
			apierrors.CodeRateLimited, "RATE_LIMITED", apierrors.ErrRateLimited, apierrors.ErrRateLimited, "Hourly limit reached", time.Hour, "", ""},
		{"hypersave details.retryAfter", 429, nil, `{"success":false,"error":"RATE_LIMITED","message":"slow","details":{"retryAfter":"12"}}`,
			apierrors.CodeRateLimited, "RATE_LIMITED", apierrors.ErrRateLimited, apierrors.ErrRateLimited, "slow", 12 * time.Second, "", ""},
		{"hopx nested", 429, hdr("X-Request-ID", "req_hdr"),
			`{"error":{"code":"rate_limited","message":"Too many requests","request_id":"req_body","details":{"retry_after_seconds":3}}}`,
			apierrors.CodeRateLimited, "rate_limited", apierrors.ErrRateLimited, apierrors.ErrRateLimited, "Too many requests", 3 * time.Second, "req_body", ""},
		{"hopx unknown with header id", 401, hdr("X-Request-ID", "req_hdr"), `{"error":{"code":"unknown_key","message":"no such key"}}`,
			apierrors.CodeUnknownKey, "unknown_key", apierrors.ErrAuthentication, apierrors.ErrUnknownKey, "no such key", 0, "req_hdr", ""},
		{"hypersync plain text", 429, hdr("Retry-After", "2", "X-RateLimit-Reset", "40", "Content-Type", "text/plain"), "rate limit exceeded\nmore",
			apierrors.CodeRateLimited, "", apierrors.ErrRateLimited, apierrors.ErrRateLimited, "rate limit exceeded", 2 * time.Second, "", ""},
		{"hypersync reset only", 429, hdr("X-RateLimit-Reset", "9"), "",
			apierrors.CodeRateLimited, "", apierrors.ErrRateLimited, apierrors.ErrRateLimited, "Too Many Requests", 9 * time.Second, "", ""},
		{"web3 no token", 401, nil, `{"code":"ERROR_NO_TOKEN","message":"No token found in Authorization header"}`,
			apierrors.CodeMissingCredentials, "ERROR_NO_TOKEN", apierrors.ErrAuthentication, apierrors.ErrMissingCredentials, "No token found in Authorization header", 0, "", ""},
		{"web3 not found", 401, nil, `{"code":"ERROR_TOKEN_NOT_FOUND","message":"API token not found"}`,
			apierrors.CodeUnknownKey, "ERROR_TOKEN_NOT_FOUND", apierrors.ErrAuthentication, apierrors.ErrUnknownKey, "API token not found", 0, "", ""},
		{"web3 blocked", 403, nil, `{"code":"ERROR_TOKEN_BLOCKED","message":"API token is blocked"}`,
			apierrors.CodePermissionDenied, "ERROR_TOKEN_BLOCKED", apierrors.ErrPermission, apierrors.ErrPermission, "API token is blocked", 0, "", ""},
		{"rfc 9457", 403, hdr("Content-Type", "application/problem+json"),
			`{"type":"https://example.com/probs/scope","title":"Missing scope","status":403,"detail":"The key lacks billing","code":"insufficient_scope","required_scope":"billing"}`,
			apierrors.CodeInsufficientScope, "insufficient_scope", apierrors.ErrPermission, apierrors.ErrInsufficientScope, "The key lacks billing", 0, "", "billing"},
		{"rfc 6750 header only", 401, hdr("WWW-Authenticate", `Bearer realm="x", error="invalid_token", error_description="The access token expired"`), "",
			apierrors.CodeExpired, "invalid_token", apierrors.ErrAuthentication, apierrors.ErrExpired, "The access token expired", 0, "", ""},
		{"body code wins over header", 401, hdr("WWW-Authenticate", `Bearer error="invalid_token"`), `{"error":{"code":"revoked","message":"gone"}}`,
			apierrors.CodeRevoked, "revoked", apierrors.ErrAuthentication, apierrors.ErrRevoked, "gone", 0, "", ""},
		{"html from a proxy", 502, hdr("Content-Type", "text/html"), "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>",
			apierrors.CodeUnavailable, "", nil, nil, "Bad Gateway", 0, "", ""},
		{"empty 503 with date", 503, hdr("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat)), "",
			apierrors.CodeUnavailable, "", nil, nil, "Service Unavailable", 89 * time.Second, "", ""},
		{"bare 401", 401, nil, "", apierrors.CodeUnauthenticated, "", apierrors.ErrAuthentication, apierrors.ErrAuthentication, "Unauthorized", 0, "", ""},
		{"contradiction: revoked on 500", 500, nil, `{"error":{"code":"revoked"}}`, apierrors.CodeServerError, "revoked", nil, nil, "Internal Server Error", 0, "", ""},
		{"error string message", 404, nil, `{"error":"No such thing here"}`, apierrors.CodeNotFound, "", nil, nil, "No such thing here", 0, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			before := time.Now()
			e := apierrors.Decode(tc.status, h, []byte(tc.body))
			after := time.Now()
			if e.Code != tc.code || e.RawCode != tc.raw || e.Message != tc.message || e.RequestID != tc.requestID || e.RequiredScope != tc.scope {
				t.Errorf("got code %q raw %q message %q request id %q scope %q", e.Code, e.RawCode, e.Message, e.RequestID, e.RequiredScope)
			}
			if d := e.RetryAfter; d != tc.retryAfter {
				// An HTTP-date is read against the real clock, at some moment
				// between before and after, however long after the case made
				// it (a busy machine): the wait is the date's distance from
				// that moment.
				date, notDate := http.ParseTime(h.Get("Retry-After"))
				if notDate != nil || d < date.Sub(after) || d > date.Sub(before) {
					t.Errorf("RetryAfter = %v, want %v", d, tc.retryAfter)
				}
			}
			if tc.class != nil && !errors.Is(e, tc.class) {
				t.Errorf("not Is class %v", tc.class)
			}
			if tc.sentinel != nil && !errors.Is(e, tc.sentinel) {
				t.Errorf("not Is %v", tc.sentinel)
			}
			if tc.code == apierrors.CodeRevoked && tc.body != "" && strings.Contains(tc.body, "revoked_at") {
				if !e.RevokedAt.Equal(revokedAt) || e.Reason != "leaked in a commit" {
					t.Errorf("revoked at %v reason %q", e.RevokedAt, e.Reason)
				}
			}
		})
	}
}

// countingReader is an endless body that counts what was read and whether
// it was closed.
type countingReader struct {
	n      int64
	closed bool
}

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	r.n += int64(len(p))
	return len(p), nil
}

func (r *countingReader) Close() error { r.closed = true; return nil }

func TestFromResponseBoundsAndCloses(t *testing.T) {
	body := &countingReader{}
	err := apierrors.FromResponse(&http.Response{StatusCode: 500, Header: http.Header{}, Body: body})
	if err == nil || !body.closed {
		t.Fatalf("err %v, closed %v", err, body.closed)
	}
	if body.n > apierrors.MaxBodyBytes+64*1024 {
		t.Errorf("read %d bytes, bound is %d", body.n, apierrors.MaxBodyBytes)
	}
	var e *apierrors.Error
	if !errors.As(err, &e) || len(e.Message) > 600 {
		t.Errorf("message not bounded: %d bytes", len(e.Message))
	}
	ok := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("{}"))}
	if apierrors.FromResponse(ok) != nil || apierrors.FromResponse(nil) != nil {
		t.Error("non-nil for 2xx or nil")
	}
}

func TestMessageIsOneBoundedLine(t *testing.T) {
	long := strings.Repeat("ab\n\x1b[31m", 400)
	e := apierrors.Decode(400, http.Header{}, []byte(`{"message":"`+strings.ReplaceAll(long, "\n", `\n`)+`"}`))
	if strings.ContainsAny(e.Message, "\n\x1b") || len(e.Message) > 520 {
		t.Errorf("message %q", e.Message[:40])
	}
}

// FuzzDecode checks what Decode promises for any status, body and header
// values: the status is kept, the code is never empty, RetryAfter is within
// [0, retryafter.Max], and every string taken from the response (RawCode,
// Message, RequestID, RequiredScope, Reason) is one line of printable,
// valid UTF-8 text within its bound, so that Error() is one line too.
//
// Decode echoes the server's own words on purpose (its message, code and
// request id); it never sees the API key, and the client scrubs any echo of
// the key from these fields before it returns them (package doc), so there
// is no leak to look for here: every check is on the shape of the result,
// none on its text. They hold whatever the clock says, although Decode
// reads a Retry-After HTTP-date against time.Now.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`{"error":{"code":"revoked","revoked_at":"2026-01-01T00:00:00Z","details":{"retry_after_seconds":3}}}`,
		`{"success":false,"error":"RATE_LIMITED","retryAfter":3600}`, `{"code":"ERROR_NO_TOKEN"}`,
		`{"type":"x","title":"t","status":403}`, `<html>`, ``, `{"error":{"error":{"error":{}}}}`, `{"retry_after":-1}`,
		`{"retryAfter":1e308}`, `{"revoked_at":99999999999999999999}`,
		`{"error":{"code":"revoked\u2028x","message":"a\u0085b\r\nc","reason":"\u001b[31m"},"request_id":"\ud800"}`,
	}
	for _, s := range seeds {
		f.Add(401, s, `Bearer error="invalid_token"`, "5")
	}
	f.Add(403, `{"required_scope":"a\nb"}`, `Bearer error="insufficient_scope", scope="x\"y"`, "Tue, 24 Nov 2026 12:00:30 GMT")
	f.Fuzz(func(t *testing.T, status int, body, wwwAuth, retryAfter string) {
		h := http.Header{"Www-Authenticate": {wwwAuth}, "Retry-After": {retryAfter}}
		e := apierrors.Decode(status, h, []byte(body))
		if e.StatusCode != status || e.Code == "" || e.RetryAfter < 0 || e.RetryAfter > retryafter.Max {
			t.Fatalf("bad error %+v", e)
		}
		for _, field := range []struct {
			name, value string
			max         int
		}{
			{"Message", e.Message, maxMessage}, {"RawCode", e.RawCode, maxField}, {"RequestID", e.RequestID, maxField},
			{"RequiredScope", e.RequiredScope, maxField}, {"Reason", e.Reason, maxField},
		} {
			if len(field.value) > field.max || !oneLine(field.value) {
				t.Fatalf("%s %q: not one line of printable text of at most %d bytes", field.name, field.value, field.max)
			}
		}
		if !oneLine(e.Error()) {
			t.Fatalf("error text not one printable line: %q", e.Error())
		}
	})
}

// The bounds Decode puts on the strings it takes from a response: 512 and
// 128 bytes, and the ellipsis that marks a cut.
const (
	maxMessage = 512 + len("…")
	maxField   = 128 + len("…")
)

// oneLine reports whether s is valid UTF-8 without control characters
// (C0, DEL, C1) or Unicode line and paragraph separators.
func oneLine(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}
