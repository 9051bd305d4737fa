package apierrors

import (
	"net/http"

	"github.com/apikit/apikit-go/internal/redact"
)

// A Redactor removes secrets from the text of errors: each secret whole, in
// the forms a server may echo it (as sent, URL-escaped, base64 in either
// alphabet, padded or not), and any run of 8 bytes or more of its secret
// part, so that a server that answers "key hd_live_8K2nB7q4XwY1… is not
// known" prints no piece of the key. A key's public prefix ("hd_live_",
// "hopx_test_") is not secret and stays, so that the text still says which
// kind of key it was: "key hd_live_REDACTED… is not known".
//
// Every removed stretch becomes "REDACTED". Make one Redactor per key and
// keep it: it prepares every form and run once, and then scrubbing a field
// costs one pass over the text. A Redactor is safe for concurrent use; a nil
// *Redactor removes nothing.
type Redactor struct {
	set *redact.Set
}

// NewRedactor prepares a Redactor for secrets. Empty secrets are ignored.
func NewRedactor(secrets ...string) *Redactor {
	return &Redactor{set: redact.NewSet(secrets, nil)}
}

// Redact returns s with every secret of r, and every run of 8 bytes of one,
// replaced by "REDACTED". Text that holds none comes back as it is, without
// allocating.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	return r.set.Redact(s)
}

// Decode is [Decode] with r's secrets removed from every string the *Error
// takes from the response (Message, RawCode, RequestID, RequiredScope,
// Reason and Body) before any of them is cut to its bound, so that neither
// a secret nor a piece of one at the cut can reach the error's text.
func (r *Redactor) Decode(status int, header http.Header, body []byte) *Error {
	if r == nil {
		return decode(status, header, body, nil)
	}
	return decode(status, header, body, r.set)
}
