package errors

// SKELETON — being completed by the errors work (issue 2). Signatures fixed.

import "net/http"

// MaxBodyBytes bounds how much of an error body is read.
const MaxBodyBytes = 1 << 20

// FromResponse returns nil for 1xx-3xx; otherwise reads the body (at most
// MaxBodyBytes), closes it, and returns an *Error.
func FromResponse(resp *http.Response) error { return nil }

// Decode builds the *Error for a response whose body the caller already read.
func Decode(status int, header http.Header, body []byte) *Error {
	return &Error{StatusCode: status, Code: genericCode(status)}
}
