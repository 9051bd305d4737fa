package apierrors

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/apikit/apikit-go/internal/retryafter"
	"github.com/apikit/apikit-go/internal/wwwauth"
)

// Decode builds the *Error for a failed response whose body the caller has
// already read. It understands every dialect the SDK knows: a top-level or
// nested "error" (string or object), "code", "message"/"detail"/"title",
// "details", camelCase and snake_case names, RFC 9457 problem+json (its
// "type" gives the code when there is no other), the RFC 6750
// WWW-Authenticate challenge, Retry-After, request-id headers, and HTML or
// empty bodies.
//
// Each field of a JSON body is read on its own: one of an unexpected type (a
// numeric request_id, a list of messages, a numeric title) is read if it can
// be (a number as an id, a list of strings as one message) and skipped if
// not, never spoiling the rest. A UTF-8 byte-order mark before the body is
// ignored.
//
// The body's code wins over the header's, and the header fills what the body
// lacks; but when the body's code says no more than the status does (a
// Hypersave "UNAUTHORIZED" with a message it does not recognise) and the
// header names a specific condition, the header's code is taken. A code that
// contradicts the status class (revoked on a 500) is kept in RawCode and the
// status decides.
//
// Decode does not know the API key; to remove it from the text a server
// echoes back, use [DecodeRedacted].
func Decode(status int, header http.Header, body []byte) *Error {
	return decode(status, header, body, nil)
}

// DecodeRedacted is [Decode] for a caller that holds the secrets the request
// carried (the API key, whatever else must not be printed): it is
// NewRedactor(secrets...).Decode(status, header, body). A caller that
// decodes many responses with the same key should keep a [Redactor].
func DecodeRedacted(status int, header http.Header, body []byte, secrets ...string) *Error {
	return NewRedactor(secrets...).Decode(status, header, body)
}

// utf8BOM is the byte-order mark some servers and proxies put before a body.
const utf8BOM = "\ufeff"

func decode(status int, header http.Header, body []byte, s scrubber) *Error {
	if len(body) > MaxBodyBytes {
		body = body[:MaxBodyBytes]
	}
	var f fields
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(body), []byte(utf8BOM)))
	switch {
	case len(trimmed) == 0, trimmed[0] == '<': // empty, or HTML from a proxy
	case trimmed[0] == '{':
		if o, ok := parseObject(trimmed); ok {
			f.collect(o, 0)
		}
	default:
		if m, ok := jsonString(trimmed); ok { // a JSON string: "Unauthorized"
			f.message = m
		} else {
			f.message = firstLine(trimmed) // a plain-text answer (HyperSync)
		}
		f.code, f.message = leadingCode(f.message)
	}
	f.scrub(s)
	ch := challenge(header, s)

	// The body's own code: "code", else a one-word "error", else the
	// problem type.
	code, errIsCode := f.code, false
	if code == "" && f.errString != "" && !strings.ContainsAny(f.errString, " \t") && len(f.errString) <= 64 {
		code, errIsCode = f.errString, true // {"error":"UNAUTHORIZED"}
	}
	if code == "" {
		code = problemCode(f.problemType)
	}
	message := f.message
	if message == "" && f.errString != "" && !errIsCode && f.errString != code {
		message = f.errString // {"error":"Something went wrong"}
	}
	if message == "" {
		message = ch.description
	}

	e := &Error{StatusCode: status}
	if len(body) > 0 {
		e.Body = []byte(s.Redact(string(body)))
	}
	e.Message = scrubbed(s, message, maxMessage)
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	e.RawCode = scrubbed(s, code, maxField)
	if hc := scrubbed(s, ch.code, maxField); hc != "" {
		generic := genericCode(status)
		if e.RawCode == "" || canonical(status, e.RawCode, e.Message) == generic && canonical(status, hc, e.Message) != generic {
			e.RawCode = hc
		}
	}
	e.Code = canonical(status, e.RawCode, e.Message)
	e.RequestID = scrubbed(s, f.requestID, maxField)
	if e.RequestID == "" {
		for _, h := range [...]string{"X-Request-Id", "Request-Id", "X-Amzn-Requestid", "Cf-Ray"} {
			if v := firstValue(header, h); v != "" {
				e.RequestID = scrubbed(s, v, maxField)
				break
			}
		}
	}
	scope := f.scope
	if scope == "" {
		scope = ch.scope
	}
	if e.Code == CodeInsufficientScope || scope != "" && status == http.StatusForbidden {
		e.RequiredScope = scrubbed(s, scope, maxField)
	}
	if e.Code == CodeRevoked {
		e.RevokedAt = f.revokedAt
		e.Reason = scrubbed(s, f.reason, maxField)
	}
	e.RetryAfter = retryHint(status, header, f)
	return e
}

// bearerChallenge is what an RFC 6750 Bearer challenge says.
type bearerChallenge struct{ code, description, scope string }

// challenge reads the first Bearer challenge of WWW-Authenticate. Each header
// line is scrubbed before it is parsed, and each parameter after, since a
// quoted-string escape can hide a secret from the first pass.
func challenge(header http.Header, s scrubber) bearerChallenge {
	lines := header.Values("WWW-Authenticate")
	if len(lines) == 0 {
		return bearerChallenge{}
	}
	scrubbed := make([]string, len(lines))
	for i, l := range lines {
		scrubbed[i] = s.Redact(l)
	}
	c, ok := wwwauth.Bearer(wwwauth.Parse(scrubbed))
	if !ok {
		return bearerChallenge{}
	}
	param := func(name string) string {
		v, _ := c.Param(name)
		return s.Redact(v)
	}
	return bearerChallenge{code: param("error"), description: param("error_description"), scope: param("scope")}
}

// retryHint is the wait the server asks for. The explicit directives — the
// body's hint (retryAfter, retry_after, retry_after_seconds, in details
// too), Retry-After (seconds or an HTTP-date) and Retry-After-Ms — may
// disagree (a proxy's header, the application's body); the longest wins, so
// that none of them is undercut. X-RateLimit-Reset, on a 429, is used only
// when there is no directive: it often describes a wider window (an hourly
// or monthly quota) than the limit that answered.
func retryHint(status int, header http.Header, f fields) time.Duration {
	var d time.Duration
	found := f.hasHint
	if found {
		d = f.retryAfter
	}
	now := time.Now()
	if v, ok := retryafter.Parse(firstValue(header, "Retry-After"), now); ok {
		d, found = max(d, v), true
	}
	if v, ok := retryafter.ParseMillis(firstValue(header, "Retry-After-Ms")); ok {
		d, found = max(d, v), true
	}
	if !found && status == http.StatusTooManyRequests {
		if v, ok := retryafter.ParseReset(firstValue(header, "X-Ratelimit-Reset"), now); ok {
			return v
		}
	}
	return d
}

// firstValue returns the first value of the header name that is not empty
// or blank.
func firstValue(header http.Header, name string) string {
	for _, v := range header.Values(name) {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// leadingCode splits a text answer that leads with its code ("revoked: API
// key has been revoked", "RATE_LIMITED: slow down") into the code and the
// rest, so that the code is not printed twice. The lead counts as a code
// when it is one the SDK knows in any spelling ("revoked",
// "ERROR_NO_TOKEN"), or a snake_case or UPPER_CASE token with an underscore
// or of upper case ("key_gone", "FORBIDDEN"); a plain word ("note: …",
// "Error: …") stays part of the message. A code with nothing after it is
// left as the message.
func leadingCode(text string) (code, message string) {
	lead, rest, ok := strings.Cut(text, ": ")
	rest = strings.TrimSpace(rest)
	if !ok || rest == "" || !codeLike(lead) {
		return "", text
	}
	return lead, rest
}

// codeLike reports whether s reads as an error code: a code the SDK knows,
// or an identifier that is snake_case with an underscore or all upper case.
func codeLike(s string) bool {
	if len(s) < 2 || len(s) > 64 {
		return false
	}
	if knownCode(s) {
		return true
	}
	lower, upper, underscore := true, true, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z':
			upper = false
		case c >= 'A' && c <= 'Z':
			lower = false
		case c == '_':
			underscore = true
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	if s[0] == '_' || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	switch strings.ToLower(s) {
	case "error", "warning", "warn", "note", "info", "fatal", "debug":
		return false // a log level, not a code
	}
	return lower && underscore || upper && !lower
}

// knownCode reports whether s is a spelling the SDK maps to a specific code
// for some status, or a canonical code itself.
func knownCode(s string) bool {
	for _, status := range [...]int{http.StatusUnauthorized, http.StatusForbidden, http.StatusPaymentRequired} {
		if c := canonical(status, s, ""); c != genericCode(status) {
			return true
		}
	}
	switch Code(strings.ToLower(s)) {
	case CodeUnauthenticated, CodePermissionDenied, CodePaymentRequired, CodeRateLimited, CodeBadRequest,
		CodeNotFound, CodeConflict, CodeRequestTimeout, CodeInvalidRequest, CodeServerError, CodeUnavailable,
		CodeNotImplemented:
		return true
	}
	return false
}
