package apierrors

// sentinel is the type of the package's sentinel errors. A code sentinel
// also matches its class sentinel, so that errors.Is(ErrRevoked,
// ErrAuthentication) holds, as it does for an *Error with code revoked.
type sentinel struct {
	msg   string
	code  Code      // "" for a class sentinel
	class *sentinel // nil for a class sentinel
}

func (s *sentinel) Error() string { return s.msg }

// Is reports whether target is s's class, so that an error wrapping a code
// sentinel (for example one from keys.Parse) also matches the class.
func (s *sentinel) Is(target error) bool {
	return s.class != nil && target == error(s.class)
}

func newClass(msg string) *sentinel { return &sentinel{msg: msg} }

func newCode(class *sentinel, code Code, msg string) *sentinel {
	return &sentinel{msg: msg, code: code, class: class}
}

// Class sentinels: errors.Is(err, X) holds for every error of the class.
var (
	errAuthentication = newClass("authentication failed")
	errPermission     = newClass("permission denied")
	errPayment        = newClass("payment required")
	errRateLimited    = newClass("rate limited")

	// ErrAuthentication matches every 401 and every local failure to find or
	// validate a key.
	ErrAuthentication error = errAuthentication
	// ErrPermission matches every 403.
	ErrPermission error = errPermission
	// ErrPayment matches every 402.
	ErrPayment error = errPayment
	// ErrRateLimited matches every 429. It is also the code sentinel of
	// CodeRateLimited.
	ErrRateLimited error = errRateLimited
)

// Code sentinels: errors.Is(err, X) holds for errors with that canonical code,
// and for the SDK's local errors of the same meaning (a key that was never
// found is ErrMissingCredentials; one that fails validation is
// ErrMalformedToken; a JWT whose exp has passed is ErrExpired).
var (
	ErrMissingCredentials error = newCode(errAuthentication, CodeMissingCredentials, "missing credentials")
	ErrMalformedToken     error = newCode(errAuthentication, CodeMalformedToken, "malformed API key")
	ErrUnknownKey         error = newCode(errAuthentication, CodeUnknownKey, "unknown API key")
	ErrRevoked            error = newCode(errAuthentication, CodeRevoked, "API key revoked")
	ErrExpired            error = newCode(errAuthentication, CodeExpired, "API key expired")

	ErrUnauthorizedIP    error = newCode(errPermission, CodeUnauthorizedIP, "IP address not allowed")
	ErrInsufficientScope error = newCode(errPermission, CodeInsufficientScope, "insufficient scope")

	ErrKeyCeilingExceeded error = newCode(errPayment, CodeKeyCeilingExceeded, "key credit ceiling exceeded")
	ErrWorkspaceBalance   error = newCode(errPayment, CodeWorkspaceBalance, "workspace balance exhausted")
)
