package apierrors

import stderrors "errors"

// Is and As are the standard library's, re-exported so that code importing
// this package as apierrors needs no second errors import for the common case.
//
//	if apierrors.Is(err, apierrors.ErrRevoked) { … }
func Is(err, target error) bool { return stderrors.Is(err, target) }

// As is errors.As from the standard library; see [Is].
func As(err error, target any) bool { return stderrors.As(err, target) }
