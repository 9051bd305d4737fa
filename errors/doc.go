// Package apierrors is apikit-go's error taxonomy: one error type, [*Error],
// for every failure an API reports, canonical [Code] values for every dialect
// the SDK understands, and sentinels that work with the standard library's
// errors.Is and errors.As.
//
// Its directory is errors/, its import path github.com/apikit/apikit-go/errors,
// and its name apierrors, so that it sits beside the standard library's errors
// without an alias:
//
//	import "github.com/apikit/apikit-go/errors" // package apierrors
//
// Code that imports it under an alias (apierrors "github.com/apikit/apikit-go/errors",
// as this repository's own code does) compiles unchanged.
//
// Two kinds of sentinel exist. Class sentinels ([ErrAuthentication],
// [ErrPermission], [ErrPayment], [ErrRateLimited]) match every error of an
// HTTP status class; code sentinels ([ErrRevoked], [ErrInsufficientScope], …)
// match one canonical code and also match their class:
//
//	if errors.Is(err, apierrors.ErrRevoked) { … }        // this key was revoked
//	if errors.Is(err, apierrors.ErrAuthentication) { … } // any 401, revoked included
//
// [FromResponse] turns an *http.Response into a typed error, whatever the
// service's dialect; [Decode] does the same for a body already read.
//
// An error's text never holds the API key, even when a server echoes it
// back: FromResponse takes the credentials from the request the response
// answers (Authorization, X-API-Key, key-like headers and query values) and
// [DecodeRedacted] and a [Redactor] take them from their caller; each
// replaces with "REDACTED", in every string of the *Error before any of them
// is cut to its bound, the secret in its plain, URL-encoded and base64 forms
// and any run of 8 bytes or more of it, so that a server that echoes only
// the start of the key ("key hd_live_8K2nB7q4XwY1… is not known") prints no
// piece of it either.
package apierrors
