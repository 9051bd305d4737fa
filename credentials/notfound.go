package credentials

import (
	"fmt"
	"strings"

	apierrors "github.com/apikit/apikit-go/errors"
)

// Attempt is one place a provider looked without finding a key.
type Attempt struct {
	// Source is the place looked in.
	Source Source
	// Why says why it gave nothing: "not set", "no such file",
	// `no such profile "prod"`, …
	Why string
	// Fix says what to do to put a key there, e.g. "set HYPEDATA_API_KEY";
	// "" when there is nothing to suggest.
	Fix string
}

// NotFoundError is the answer when no source holds a key. It matches
// apierrors.ErrMissingCredentials (and so apierrors.ErrAuthentication).
type NotFoundError struct {
	// Tried lists every place looked, in search order, with why each gave
	// nothing and how to fix it.
	Tried []Attempt
}

// Error lists every place looked, in order, with why it gave nothing, then
// what to set.
func (e *NotFoundError) Error() string {
	var b strings.Builder
	b.WriteString("no API key found; looked in: ")
	var fixes []string
	for i, a := range e.Tried {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%d. %s: %s", i+1, a.Source, redactKeys(a.Why, false))
		if a.Fix != "" {
			fixes = append(fixes, redactKeys(a.Fix, false)) // a key passed as a name
		}
	}
	if len(e.Tried) == 0 {
		b.WriteString("nowhere (no sources configured)")
	}
	if len(fixes) > 0 {
		b.WriteString(" — to fix: ")
		b.WriteString(strings.Join(fixes, ", or "))
	}
	return b.String()
}

// Unwrap returns apierrors.ErrMissingCredentials.
func (e *NotFoundError) Unwrap() error { return apierrors.ErrMissingCredentials }

// notFound is the error of a provider that looked in one place.
func notFound(src Source, why, fix string) error {
	return &NotFoundError{Tried: []Attempt{attempt(src, why, fix)}}
}

// attempt records a place that gave nothing. Anything key-shaped in it (a
// key passed where a name belongs: an env var name, a profile) is redacted
// here, so that no rendering of the error, %#v included, can show it.
func attempt(src Source, why, fix string) Attempt {
	src.Detail = redactKeys(src.Detail, false)
	return Attempt{Source: src, Why: redactKeys(why, false), Fix: redactKeys(fix, false)}
}
