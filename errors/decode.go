package errors

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apikit/apikit-go/internal/retryafter"
	"github.com/apikit/apikit-go/internal/wwwauth"
)

// MaxBodyBytes bounds how much of an error body is read: enough for any
// error document, small enough that a hostile or broken server cannot make
// the client buffer without end.
const MaxBodyBytes = 1 << 20

// Bounds on the strings taken from a body, so that a hostile body cannot
// flood logs through an error's text.
const (
	maxMessage = 512
	maxField   = 128
)

// FromResponse returns nil for a status below 400. Otherwise it reads at
// most MaxBodyBytes of the body, closes it, and returns the *Error that
// Decode makes of the status, headers and body.
func FromResponse(resp *http.Response) error {
	if resp == nil || resp.StatusCode < 400 {
		return nil
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes))
		resp.Body.Close()
	}
	return Decode(resp.StatusCode, resp.Header, body)
}

// wire is every field any dialect puts in an error body, at the top level,
// inside a nested "error" object, or inside "details".
type wire struct {
	Error             json.RawMessage `json:"error"`
	Code              json.RawMessage `json:"code"`
	Message           string          `json:"message"`
	Detail            string          `json:"detail"`
	Title             string          `json:"title"`
	ErrorDescription  string          `json:"error_description"`
	Details           json.RawMessage `json:"details"`
	RetryAfter        json.RawMessage `json:"retryAfter"`
	RetryAfterSnake   json.RawMessage `json:"retry_after"`
	RetryAfterSeconds json.RawMessage `json:"retry_after_seconds"`
	RequestID         string          `json:"request_id"`
	RequestIDCamel    string          `json:"requestId"`
	RevokedAt         json.RawMessage `json:"revoked_at"`
	RevokedAtCamel    json.RawMessage `json:"revokedAt"`
	Reason            string          `json:"reason"`
	RequiredScope     string          `json:"required_scope"`
	RequiredScopeCaml string          `json:"requiredScope"`
	Type              string          `json:"type"`
}

// fields is what Decode collects from the body, first value wins.
type fields struct {
	code, message, requestID, reason, scope string
	retryAfter                              time.Duration
	hasHint                                 bool
	revokedAt                               time.Time
	errString                               string // "error" given as a string
}

// Decode builds the *Error for a failed response whose body the caller has
// already read. It understands every dialect the SDK knows: a top-level or
// nested "error" (string or object), "code", "message"/"detail"/"title",
// "details", camelCase and snake_case names, RFC 9457 problem+json, the RFC
// 6750 WWW-Authenticate challenge, Retry-After, request-id headers, and HTML
// or empty bodies. The body's code wins over the header's; the header fills
// what the body lacks. A code that contradicts the status class (revoked on
// a 500) is kept in RawCode and the status decides.
func Decode(status int, header http.Header, body []byte) *Error {
	var f fields
	if len(body) > MaxBodyBytes {
		body = body[:MaxBodyBytes]
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var w wire
		if json.Unmarshal(trimmed, &w) == nil {
			f.collect(&w, 0)
		}
	} else if len(trimmed) > 0 && trimmed[0] != '<' {
		f.message = firstLine(trimmed) // a plain-text answer (HyperSync)
	}
	e := &Error{StatusCode: status}
	// The RFC 6750 challenge fills what the body lacks.
	if c, ok := wwwauth.Bearer(wwwauth.Parse(header.Values("WWW-Authenticate"))); ok {
		if v, _ := c.Param("error"); f.code == "" {
			f.code = v
		}
		if v, _ := c.Param("error_description"); f.message == "" {
			f.message = v
		}
		if v, _ := c.Param("scope"); f.scope == "" {
			f.scope = v
		}
	}
	if f.errString != "" {
		if f.code == "" && !strings.ContainsAny(f.errString, " \t") && len(f.errString) <= 64 {
			f.code = f.errString // {"error":"UNAUTHORIZED"}
		} else if f.message == "" && f.errString != f.code {
			f.message = f.errString // {"error":"Something went wrong"}
		}
	}
	e.RawCode = clean(f.code, maxField)
	e.Message = clean(f.message, maxMessage)
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	e.Code = canonical(status, e.RawCode, e.Message)
	e.RequestID = clean(f.requestID, maxField)
	if e.RequestID == "" {
		for _, h := range [...]string{"X-Request-Id", "Request-Id", "X-Amzn-Requestid", "Cf-Ray"} {
			if v := header.Get(h); v != "" {
				e.RequestID = clean(v, maxField)
				break
			}
		}
	}
	if e.Code == CodeInsufficientScope || f.scope != "" && status == http.StatusForbidden {
		e.RequiredScope = clean(f.scope, maxField)
	}
	if e.Code == CodeRevoked {
		e.RevokedAt = f.revokedAt
		e.Reason = clean(f.reason, maxField)
	}
	e.RetryAfter = retryHint(status, header, f)
	return e
}

// collect takes the fields of w (and of its nested error and details
// objects, which win over the outer level) into f.
func (f *fields) collect(w *wire, depth int) {
	if depth > 2 {
		return
	}
	// Nested objects are more specific: read them first.
	if len(w.Error) > 0 && w.Error[0] == '{' {
		var inner wire
		if json.Unmarshal(w.Error, &inner) == nil {
			f.collect(&inner, depth+1)
		}
	} else if s, ok := jsonString(w.Error); ok && f.errString == "" {
		f.errString = s
	}
	if s, ok := jsonString(w.Code); ok && f.code == "" {
		f.code = s
	}
	for _, m := range [...]string{w.Message, w.Detail, w.ErrorDescription, w.Title} {
		if m != "" && f.message == "" {
			f.message = m
		}
	}
	for _, id := range [...]string{w.RequestID, w.RequestIDCamel} {
		if id != "" && f.requestID == "" {
			f.requestID = id
		}
	}
	if f.reason == "" {
		f.reason = w.Reason
	}
	for _, s := range [...]string{w.RequiredScope, w.RequiredScopeCaml} {
		if s != "" && f.scope == "" {
			f.scope = s
		}
	}
	for _, raw := range [...]json.RawMessage{w.RevokedAt, w.RevokedAtCamel} {
		if t, ok := jsonTime(raw); ok && f.revokedAt.IsZero() {
			f.revokedAt = t
		}
	}
	for _, raw := range [...]json.RawMessage{w.RetryAfter, w.RetryAfterSnake, w.RetryAfterSeconds} {
		if d, ok := jsonSeconds(raw); ok && !f.hasHint {
			f.retryAfter, f.hasHint = d, true
		}
	}
	if len(w.Details) > 0 && w.Details[0] == '{' {
		var d wire
		if json.Unmarshal(w.Details, &d) == nil {
			d.Error = nil // details never nest an error
			f.collect(&d, depth+1)
		}
	}
}

// retryHint picks the wait: the body's hint, else Retry-After (seconds or
// HTTP-date), else retry-after-ms, else on a 429 X-RateLimit-Reset.
func retryHint(status int, header http.Header, f fields) time.Duration {
	if f.hasHint {
		return f.retryAfter
	}
	now := time.Now()
	if d, ok := retryafter.Parse(header.Get("Retry-After"), now); ok {
		return d
	}
	if d, ok := retryafter.ParseMillis(header.Get("Retry-After-Ms")); ok {
		return d
	}
	if status == http.StatusTooManyRequests {
		if d, ok := retryafter.ParseReset(header.Get("X-Ratelimit-Reset"), now); ok {
			return d
		}
	}
	return 0
}

// canonical maps a raw code (and, for dialects that only say
// "UNAUTHORIZED", the message) to the canonical Code for the status.
func canonical(status int, raw, message string) Code {
	r := strings.ToLower(raw)
	if strings.HasPrefix(r, "error_") && r != "error_no_token" && r != "error_token_not_found" {
		r = strings.TrimPrefix(r, "error_") // web3 spells every code ERROR_<CODE>
	}
	switch status {
	case http.StatusUnauthorized:
		switch r {
		case "missing_credentials", "error_no_token", "missing_token", "no_token", "missing_api_key":
			return CodeMissingCredentials
		case "malformed_token", "malformed_key", "invalid_key_format":
			return CodeMalformedToken
		case "unknown_key", "error_token_not_found", "invalid_api_key", "key_not_found":
			return CodeUnknownKey
		case "revoked", "key_revoked", "token_revoked":
			return CodeRevoked
		case "expired", "key_expired", "token_expired":
			return CodeExpired
		}
		m := strings.ToLower(message)
		switch {
		case strings.HasPrefix(m, "no api key"), strings.Contains(m, "no api key provided"):
			return CodeMissingCredentials
		case strings.Contains(m, "invalid api key"):
			return CodeUnknownKey
		case strings.Contains(m, "revoked"):
			return CodeRevoked
		case strings.Contains(m, "expired"):
			return CodeExpired
		}
		return CodeUnauthenticated
	case http.StatusForbidden:
		switch r {
		case "unauthorized_ip", "ip_not_allowed", "ip_not_allowlisted":
			return CodeUnauthorizedIP
		case "insufficient_scope", "missing_scope", "scope_required":
			return CodeInsufficientScope
		}
		return CodePermissionDenied
	case http.StatusPaymentRequired:
		switch r {
		case "key_ceiling_exceeded", "credit_ceiling_exceeded":
			return CodeKeyCeilingExceeded
		case "workspace_balance", "insufficient_balance", "insufficient_credits":
			return CodeWorkspaceBalance
		}
		return CodePaymentRequired
	}
	return genericCode(status)
}

// jsonString returns raw as a string if it is a JSON string.
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, s != ""
}

// jsonSeconds reads a wait in seconds given as a number or a numeric string.
func jsonSeconds(raw json.RawMessage) (time.Duration, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	s := string(raw)
	if str, ok := jsonString(raw); ok {
		s = str
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	if v >= retryafter.Max.Seconds() {
		return retryafter.Max, true
	}
	return time.Duration(v * float64(time.Second)), true
}

// jsonTime reads an RFC 3339 string or a Unix time in seconds.
func jsonTime(raw json.RawMessage) (time.Time, bool) {
	if s, ok := jsonString(raw); ok {
		t, err := time.Parse(time.RFC3339, s)
		return t, err == nil
	}
	if len(raw) == 0 || raw[0] < '0' || raw[0] > '9' {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n <= 0 || n > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}

// firstLine is the first line of a plain-text body.
func firstLine(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	if len(b) > maxMessage*2 {
		b = b[:maxMessage*2]
	}
	return string(b)
}

// clean makes s one line of printable text of at most max bytes.
func clean(s string, max int) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
			r = ' '
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		if b.Len()+utf8.RuneLen(r) > max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
