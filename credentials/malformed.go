package credentials

import (
	"fmt"

	apierrors "github.com/apikit/apikit-go/errors"
)

// malformed is a problem with a found value that makes it no key: its text
// is the problem alone, and it matches apierrors.ErrMalformedToken (and so
// apierrors.ErrAuthentication), as keys.Parse's errors do.
type malformed struct{ msg string }

// malformedf formats a malformed.
func malformedf(format string, args ...any) error {
	return &malformed{msg: fmt.Sprintf(format, args...)}
}

// Error returns the problem.
func (e *malformed) Error() string { return e.msg }

// Unwrap returns apierrors.ErrMalformedToken.
func (e *malformed) Unwrap() error { return apierrors.ErrMalformedToken }
