package apierrors

import (
	"io"
	"net/http"

	"github.com/apikit/apikit-go/internal/redact"
)

// MaxBodyBytes bounds how much of an error body is read: enough for any
// error document, small enough that a hostile or broken server cannot make
// the client buffer without end.
const MaxBodyBytes = 1 << 20

// FromResponse returns nil for a status below 400. Otherwise it reads at
// most MaxBodyBytes of the body, closes it, and returns the *Error that
// [DecodeRedacted] makes of the status, headers and body.
//
// The secrets are taken from resp.Request, so that a server that echoes the
// key back cannot put it in the error's text: the credential of
// Authorization (Bearer, Basic and its decoded parts, or any other scheme),
// X-API-Key and any header named like *key* or *token*, the URL's password,
// and the query values of api_key, key, token, access_token, of any
// parameter named like *key* or *token* (each whole and by any run of 8
// bytes of it, as [Redactor] does), and any other query value of 16 bytes or
// more (only whole).
func FromResponse(resp *http.Response) error {
	if resp == nil || resp.StatusCode < 400 {
		return nil
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes))
		resp.Body.Close()
	}
	creds, whole := requestSecrets(resp.Request)
	return decode(resp.StatusCode, resp.Header, body, redact.NewSet(creds, whole))
}
