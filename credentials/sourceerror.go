package credentials

// SourceError is the error of a source that holds something that cannot be
// used: a value that is not a valid key, a file that cannot be read or
// parsed, a command that fails. It names the source, so that a person knows
// where to look, and it ends a Chain: a lower source is never used instead.
//
// Every provider of this package returns a *SourceError in those cases (a
// source that holds nothing gives a *NotFoundError instead). errors.Is sees
// through it: a malformed key still matches apierrors.ErrMalformedToken, a
// command stopped by the caller's context matches context.Canceled.
// [Diagnose] reads Source to say which source failed.
type SourceError struct {
	// Source is the place that holds the unusable value.
	Source Source
	// Err says what is wrong with it. It never quotes the value.
	Err error
}

// Error returns "<source>: <what is wrong>".
func (e *SourceError) Error() string {
	if e == nil {
		return "<nil>"
	}
	if e.Err == nil {
		return e.Source.String() + ": unusable (no reason given)"
	}
	return e.Source.String() + ": " + e.Err.Error()
}

// Unwrap returns Err, so that errors.Is and errors.As see what went wrong.
func (e *SourceError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// sourceError wraps err as the error of src; nil stays nil.
func sourceError(src Source, err error) error {
	if err == nil {
		return nil
	}
	return &SourceError{Source: src, Err: err}
}
