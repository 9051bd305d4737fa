package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	apierrors "github.com/apikit/apikit-go/errors"
)

// DecodeError is a 2xx answer that Do could not decode into its out
// argument: not JSON at all (an HTML page from a proxy or a captive portal,
// a text/plain answer) or JSON of another shape. Find it with errors.As.
//
// Its text names the call, the status, the content type and what the JSON
// decoder found, never a byte of the body, which may echo the key; for the
// same reason it wraps no error (the decoder's errors quote the body).
type DecodeError struct {
	Method      string
	Path        string // without the query
	StatusCode  int
	ContentType string // the media type the answer declared ("" when it sent none)
	Size        int    // the body's length in bytes
	Target      string // the Go type of out, e.g. "*main.Page"
	// Reason is the decoder's finding, in words that hold none of the
	// body: "invalid JSON at byte 1", "a JSON string where int was expected
	// at .Count".
	Reason string
}

// Error says which call's answer could not be decoded, what it was, and
// what to check.
func (e *DecodeError) Error() string {
	if !isJSONMediaType(e.ContentType) {
		is := "is " + e.ContentType + ", not JSON"
		if e.ContentType == "" {
			is = "has no Content-Type and is not JSON"
		}
		return fmt.Sprintf("client: %s %s: the %d answer (%d bytes) %s, so it cannot fill %s (%s); check the base URL: a proxy or a captive portal may have answered",
			e.Method, e.Path, e.StatusCode, e.Size, is, e.Target, e.Reason)
	}
	return fmt.Sprintf("client: %s %s: the %d %s answer (%d bytes) does not fit %s: %s",
		e.Method, e.Path, e.StatusCode, e.ContentType, e.Size, e.Target, e.Reason)
}

// newDecodeError describes err, json.Unmarshal's failure to decode body
// into out, without quoting the body. red scrubs the text of an error from
// out's own UnmarshalJSON (nil for a keyless client).
func newDecodeError(method, path string, resp *http.Response, body []byte, out any, err error, red *apierrors.Redactor) *DecodeError {
	e := &DecodeError{Method: method, Path: path, StatusCode: resp.StatusCode, Size: len(body), Target: fmt.Sprintf("%T", out)}
	if mt, _, perr := mime.ParseMediaType(resp.Header.Get("Content-Type")); perr == nil {
		e.ContentType = red.Redact(mt)
	} else if resp.Header.Get("Content-Type") != "" {
		e.ContentType = "an unreadable Content-Type"
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		e.Reason = fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		kind, _, _ := strings.Cut(te.Value, " ") // "number 123" quotes the body: keep the kind
		e.Reason = fmt.Sprintf("a JSON %s where %s was expected", kind, te.Type)
		// The field path names map keys too, which come from the body.
		if te.Field != "" && !keyShapedValue(te.Field) && red.Redact(te.Field) == te.Field {
			e.Reason += " at ." + te.Field
		}
	default: // an UnmarshalJSON of out's own, or the end of the input
		e.Reason = red.Redact(err.Error())
	}
	return e
}

// isJSONMediaType reports whether mt is JSON: application/json or a
// +json type (application/problem+json, ...).
func isJSONMediaType(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
