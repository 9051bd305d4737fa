// Package errors is apikit-go's error taxonomy: one error type, [*Error], for
// every failure an API reports, canonical [Code] values for every dialect the
// SDK understands, and sentinels that work with the standard library's
// errors.Is and errors.As.
//
// The package is named errors, which clashes with the standard library, so
// import it as apierrors everywhere:
//
//	import apierrors "github.com/apikit/apikit-go/errors"
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
// service's dialect. Nothing in this package ever holds an API key: the
// decoder sees only responses, and the client scrubs the key from any text a
// server echoes back before it returns.
package errors
