package apierrors

import "net/http"

// Code is a canonical error code. Every spelling a service uses for the same
// condition maps to one Code; [Error.RawCode] keeps the server's own word.
type Code string

// Canonical codes for the conditions the SDK's services document.
const (
	// 401: the request was not authenticated.
	CodeMissingCredentials Code = "missing_credentials" // no key was sent
	CodeMalformedToken     Code = "malformed_token"     // the key is not of the service's format
	CodeUnknownKey         Code = "unknown_key"         // well-formed, but no such key
	CodeRevoked            Code = "revoked"             // the key was revoked
	CodeExpired            Code = "expired"             // the key has expired
	CodeUnauthenticated    Code = "unauthenticated"     // a 401 with nothing more specific

	// 403: authenticated, but not allowed.
	CodeUnauthorizedIP    Code = "unauthorized_ip"    // the caller's IP is not on the key's allow-list
	CodeInsufficientScope Code = "insufficient_scope" // the key lacks a scope; see Error.RequiredScope
	CodePermissionDenied  Code = "permission_denied"  // a 403 with nothing more specific

	// 402: the request would cost more than is allowed or available.
	CodeKeyCeilingExceeded Code = "key_ceiling_exceeded" // the key's own credit ceiling is reached
	CodeWorkspaceBalance   Code = "workspace_balance"    // the account has no balance left
	CodePaymentRequired    Code = "payment_required"     // a 402 with nothing more specific

	// 429: too many requests.
	CodeRateLimited Code = "rate_limited"

	// Generic codes by status, for everything else.
	CodeBadRequest     Code = "bad_request"     // 400
	CodeNotFound       Code = "not_found"       // 404
	CodeConflict       Code = "conflict"        // 409
	CodeRequestTimeout Code = "request_timeout" // 408
	CodeInvalidRequest Code = "invalid_request" // 422 and other 4xx
	CodeServerError    Code = "server_error"    // 500 and other 5xx
	CodeUnavailable    Code = "unavailable"     // 502, 503, 504
	CodeNotImplemented Code = "not_implemented" // 501
	CodeUnknown        Code = "unknown"         // a status outside 4xx and 5xx
)

// String returns the code as the SDK spells it.
func (c Code) String() string { return string(c) }

// genericCode is the code for a status when the server said nothing more
// specific.
func genericCode(status int) Code {
	switch {
	case status == http.StatusUnauthorized:
		return CodeUnauthenticated
	case status == http.StatusForbidden:
		return CodePermissionDenied
	case status == http.StatusPaymentRequired:
		return CodePaymentRequired
	case status == http.StatusTooManyRequests:
		return CodeRateLimited
	case status == http.StatusBadRequest:
		return CodeBadRequest
	case status == http.StatusNotFound:
		return CodeNotFound
	case status == http.StatusConflict:
		return CodeConflict
	case status == http.StatusRequestTimeout:
		return CodeRequestTimeout
	case status == http.StatusNotImplemented:
		return CodeNotImplemented
	case status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		return CodeUnavailable
	case status >= 400 && status < 500:
		return CodeInvalidRequest
	case status >= 500 && status < 600:
		return CodeServerError
	}
	return CodeUnknown
}

// classStatus is the HTTP status a canonical code belongs to, or 0 for codes
// that belong to no auth class.
func classStatus(c Code) int {
	switch c {
	case CodeMissingCredentials, CodeMalformedToken, CodeUnknownKey, CodeRevoked, CodeExpired, CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeUnauthorizedIP, CodeInsufficientScope, CodePermissionDenied:
		return http.StatusForbidden
	case CodeKeyCeilingExceeded, CodeWorkspaceBalance, CodePaymentRequired:
		return http.StatusPaymentRequired
	case CodeRateLimited:
		return http.StatusTooManyRequests
	}
	return 0
}

// hint says, in a few words, what a person can do about an error with this
// code. It is part of Error's text so that a log line alone tells the fix.
func hint(c Code) string {
	switch c {
	case CodeMissingCredentials:
		return "no API key was sent: set the service's env var or pass client.WithAPIKey"
	case CodeMalformedToken:
		return "the key is not in the service's format: copy it again in full, without spaces or newlines"
	case CodeUnknownKey:
		return "the service does not know this key: check it is the current key for this account and environment"
	case CodeRevoked:
		return "this key was revoked: create or rotate to a new key"
	case CodeExpired:
		return "this key has expired: create a new key"
	case CodeUnauthenticated:
		return "the key was not accepted: check it is current and complete"
	case CodeUnauthorizedIP:
		return "this IP is not on the key's allow-list: add it, or call from an allowed address"
	case CodeInsufficientScope:
		return "the key lacks a scope this call needs: grant it, or use a key that has it"
	case CodePermissionDenied:
		return "the key is not allowed to do this"
	case CodeKeyCeilingExceeded:
		return "the key's credit ceiling is reached: raise the ceiling or wait for the next period"
	case CodeWorkspaceBalance:
		return "the account's balance is exhausted: top it up"
	case CodePaymentRequired:
		return "the account cannot pay for this request"
	case CodeRateLimited:
		return "too many requests: slow down and retry after the wait"
	}
	return ""
}
