package apierrors

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is what every API failure is, after retries: the last response's
// status, its canonical code, and whatever detail the server gave.
//
// Match it with errors.Is against the class and code sentinels, or take it
// apart with errors.As:
//
//	var apiErr *apierrors.Error
//	if errors.As(err, &apiErr) { log.Println(apiErr.RequestID) }
type Error struct {
	StatusCode    int
	Code          Code   // canonical code; RawCode keeps the server's spelling
	RawCode       string // the code as the server sent it, "" when it sent none
	Message       string // the server's message, or the status text
	RequestID     string
	RetryAfter    time.Duration // how long the server asked to wait; 0 when it gave no hint
	RequiredScope string        // insufficient_scope: the scope the call needs
	RevokedAt     time.Time     // revoked: when
	Reason        string        // revoked: why
	Attempts      int           // how many requests were sent in total; 0 when unknown

	// NotRetried says why the client gave up on a failure it could have
	// retried: the server's wait beyond the cap, the context's deadline,
	// retries used up or turned off, or a POST it must not send twice.
	// It is "" when the failure was not retryable at all.
	NotRetried string

	// Redirected is set when the answer came from another host than the
	// API's own, after a redirect: that URL, with query values redacted.
	// The client sends the key only to the API's own host, so that host
	// never got it, and its 401 or 403 says nothing about the key: Code is
	// then the status's generic code (RawCode keeps the server's), and the
	// text says what happened instead of blaming the key.
	Redirected string

	// WithoutKey is set when the client sent no key by choice
	// (client.WithoutKey). An authentication failure's hint then says that
	// the endpoint needs a key the client was made not to send, not that one
	// went missing. KeyEnv is the service's key environment variable, when
	// known, for that hint.
	WithoutKey bool
	KeyEnv     string

	// Body is the response body as received, up to MaxBodyBytes, with the
	// request's key (whole, encoded, or any run of 8 bytes of it) replaced by "REDACTED": for
	// what the SDK does not model, such as a 422's field errors. It is not
	// part of Error()'s text.
	Body []byte
}

// Error returns one line: status, canonical code, the server's message, what
// to do about it, and the request id and wait when known.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	b.WriteString(": ")
	b.WriteString(string(e.Code))
	if e.RawCode != "" && !strings.EqualFold(e.RawCode, string(e.Code)) {
		fmt.Fprintf(&b, " (%s)", e.RawCode)
	}
	if m := clause(e.Message); m != "" {
		b.WriteString(": ")
		b.WriteString(m)
	}
	if e.RequiredScope != "" {
		fmt.Fprintf(&b, "; required scope %q", e.RequiredScope)
	}
	if !e.RevokedAt.IsZero() {
		fmt.Fprintf(&b, "; revoked at %s", e.RevokedAt.UTC().Format(time.RFC3339))
	}
	if r := clause(e.Reason); r != "" {
		fmt.Fprintf(&b, "; reason: %s", r)
	}
	if h := e.Hint(); h != "" {
		b.WriteString(" — ")
		b.WriteString(h)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", roundWait(e.RetryAfter))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request id %s]", e.RequestID)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " [after %d attempts]", e.Attempts)
	}
	if e.NotRetried != "" {
		b.WriteString("; not retried: ")
		b.WriteString(e.NotRetried)
	}
	return b.String()
}

// clause is a server's sentence as a clause of the one-line text: without
// the full stop, comma, colon or semicolon that ends it, so that what
// follows ("; revoked at …", " — hint") does not read ".;" or ". —". A
// sentence of nothing but such punctuation is kept as it is.
func clause(s string) string {
	if t := strings.TrimRight(s, ".,:; \t"); t != "" {
		return t
	}
	return s
}

// roundWait rounds a wait for people to read: to the millisecond below ten
// seconds ("2.5s", "750ms"), to the second above ("1m0s" for 59.55s). A wait
// under a millisecond is shown as it is, rather than as "0s".
func roundWait(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d
	case d < 10*time.Second:
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// Is reports whether target is e's class sentinel or its code sentinel.
// ErrRateLimited matches every 429.
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	if !ok {
		return false
	}
	if s.class != nil { // a code sentinel
		return s.code == e.Code
	}
	status := classStatus(e.Code)
	if status == 0 {
		status = e.StatusCode
	}
	switch s {
	case errAuthentication:
		return status == http.StatusUnauthorized
	case errPermission:
		return status == http.StatusForbidden
	case errPayment:
		return status == http.StatusPaymentRequired
	case errRateLimited:
		return status == http.StatusTooManyRequests
	}
	return false
}

// Temporary reports whether the same request may succeed later without any
// change by the caller: a rate limit, a timeout or a server-side failure.
func (e *Error) Temporary() bool {
	switch e.StatusCode {
	case http.StatusTooManyRequests, http.StatusRequestTimeout, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Hint says, in a few words, what a person can do about the error; "" when
// there is nothing specific to say.
func (e *Error) Hint() string {
	if e.Redirected != "" {
		return "answered by " + e.Redirected + ", where the API redirected the request; the key is sent only to the API's own host, " +
			"so it was deliberately not sent there: if the API has moved, set the base URL to its new host"
	}
	if e.WithoutKey && (e.StatusCode == http.StatusUnauthorized || classStatus(e.Code) == http.StatusUnauthorized) {
		set := "set the service's key env var"
		if e.KeyEnv != "" {
			set = "set " + e.KeyEnv
		}
		return "this client sends no key (WithoutKey); this endpoint needs one: drop WithoutKey and " + set + " or pass WithAPIKey"
	}
	return hint(e.Code)
}

// RetryAfter returns how long the server asked the caller to wait before
// trying again, when err is or wraps an *Error that carries such a hint.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if !As(err, &e) || e.RetryAfter <= 0 {
		return 0, false
	}
	return e.RetryAfter, true
}
