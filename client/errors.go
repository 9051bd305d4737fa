package client

import (
	"fmt"
	"strings"
)

// TransportError is a call that got no usable answer from the server: the
// connection failed, timed out or was cut, on every attempt; or, with
// Attempts 0, a call whose context was done before its first attempt
// left, so that nothing was sent. It unwraps to
// the underlying network or context error, so errors.Is(err,
// context.DeadlineExceeded) and errors.As(err, &netErr) work. Its text holds
// the method and the URL, never the key: the values of query parameters
// that carry the key or name a credential (api_key, token, ...) and
// key-shaped values are redacted; the others stay, so that it says which
// URL failed.
type TransportError struct {
	Method   string
	URL      string // credential and key-shaped query values redacted
	Attempts int
	// Err is the last attempt's failure, unwrapped from *url.Error (whose
	// text repeats the URL). If its text held the key, it is replaced by an
	// error that says the same with the key redacted.
	Err error
	// NotRetried says why the client gave up although the failure could
	// have been retried; see apierrors.Error.NotRetried.
	NotRetried string
	msg        string // the scrubbed text of Err
}

// Error says which request got no answer, after how many attempts, why, and
// (when a retry was possible) why none was made.
func (e *TransportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Method, e.URL)
	switch {
	case e.Attempts == 0:
		b.WriteString("nothing was sent: ")
	case e.Attempts > 1:
		fmt.Fprintf(&b, "no answer after %d attempts: ", e.Attempts)
	default:
		b.WriteString("no answer: ")
	}
	b.WriteString(e.msg)
	if e.NotRetried != "" {
		b.WriteString("; not retried: ")
		b.WriteString(e.NotRetried)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *TransportError) Unwrap() error { return e.Err }

// Timeout reports whether the failure was a timeout.
func (e *TransportError) Timeout() bool {
	t, ok := e.Err.(interface{ Timeout() bool })
	return ok && t.Timeout()
}
