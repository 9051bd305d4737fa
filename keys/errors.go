package keys

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	apierrors "github.com/apikit/apikit-go/errors"
)

// ParseError says precisely why a string is not a valid key, without ever
// quoting the key. It satisfies errors.Is(err, apierrors.ErrMalformedToken),
// or apierrors.ErrExpired when Expired is set, and both match
// apierrors.ErrAuthentication.
type ParseError struct {
	Format    string    // the format's name, e.g. "Hypedata"
	Problem   string    // what is wrong, e.g. "secret is 31 characters, want 32"
	Position  int       // 1-based character position of the problem; 0 when none
	Expired   bool      // the key is well-formed but its exp has passed
	ExpiredAt time.Time // when it expired, if Expired

	prefixMatched bool  // the key started with one of the format's prefixes
	err           error // a Check func's error, for Unwrap
}

// Error returns "<Format> key: <Problem>".
func (e *ParseError) Error() string {
	return e.Format + " key: " + e.Problem
}

// Unwrap returns the sentinel the error stands for, and a custom Check's
// error if there is one.
func (e *ParseError) Unwrap() []error {
	s := apierrors.ErrMalformedToken
	if e.Expired {
		s = apierrors.ErrExpired
	}
	if e.err != nil {
		return []error{s, e.err}
	}
	return []error{s}
}

// commonProblem finds what is wrong with raw whatever the format: empty,
// too long, surrounding whitespace, a line ending, or a character that is not
// printable ASCII (a non-breaking space, a zero-width space, a Cyrillic
// look-alike, a NUL, a byte-order mark).
func commonProblem(raw string) *ParseError {
	pe := func(pos int, format string, args ...any) *ParseError {
		return &ParseError{Format: "API", Problem: fmt.Sprintf(format, args...), Position: pos}
	}
	switch {
	case raw == "":
		return pe(0, "is empty")
	case strings.TrimSpace(raw) == "":
		return pe(0, "is blank (only whitespace): the value was lost on the way; set the key itself")
	case len(raw) > maxKeyBytes:
		return pe(0, "is %d bytes long, more than any key (%d): is it the right value?", len(raw), maxKeyBytes)
	case strings.HasSuffix(raw, "\r\n"):
		return pe(0, "has a trailing CR LF line ending: it was probably saved on Windows or read from a file; trim it")
	case strings.HasSuffix(raw, "\n"):
		return pe(0, "has a trailing newline: was it read from a file or written with echo? trim it (echo -n, or strings.TrimSpace)")
	case strings.HasPrefix(raw, "\ufeff"):
		return pe(1, "starts with a byte-order mark (U+FEFF): the file it came from was saved as UTF-8 with BOM; save it without")
	}
	if first, _ := utf8.DecodeRuneInString(raw); first == ' ' || first == '\t' {
		return pe(1, "has leading whitespace; trim it")
	}
	if last, _ := utf8.DecodeLastRuneInString(raw); last == ' ' || last == '\t' || last == '\r' {
		return pe(utf8.RuneCountInString(raw), "has trailing whitespace; trim it")
	}
	for i := 0; i < len(raw); i++ {
		if b := raw[i]; b <= ' ' || b >= 0x7f {
			pos := utf8.RuneCountInString(raw[:i]) + 1
			return pe(pos, "has %s at position %d; keys are printable ASCII: retype it or copy it again from the source", describeAt(raw, i), pos)
		}
	}
	return nil
}

// describe names an ASCII byte for error messages without being the key:
// punctuation is shown, letters and digits are named by class only.
func describe(b byte) string {
	switch {
	case b == ' ':
		return "a space"
	case b == '\t':
		return "a tab"
	case b < ' ' || b == 0x7f:
		return fmt.Sprintf("a control character U+%04X", b)
	case b >= 0x80:
		return fmt.Sprintf("a non-ASCII byte 0x%02X", b)
	case b >= '0' && b <= '9':
		return "a digit"
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z':
		return fmt.Sprintf("a letter (U+%04X)", b)
	}
	return fmt.Sprintf("%q", string(b))
}

// confusables names the characters that most often sneak into copied keys.
var confusables = map[rune]string{
	0x00A0: "a non-breaking space (U+00A0)",
	0x200B: "a zero-width space (U+200B)",
	0x200C: "a zero-width non-joiner (U+200C)",
	0x200D: "a zero-width joiner (U+200D)",
	0x2060: "a word joiner (U+2060)",
	0xFEFF: "a byte-order mark (U+FEFF)",
	0x2010: "a Unicode hyphen (U+2010)",
	0x2011: "a non-breaking hyphen (U+2011)",
	0x2013: "an en dash (U+2013)",
	0x2014: "an em dash (U+2014)",
	0x2018: "a curly quote (U+2018)",
	0x2019: "a curly quote (U+2019)",
	0x201C: "a curly quote (U+201C)",
	0x201D: "a curly quote (U+201D)",
	0x2026: "an ellipsis (U+2026): was the key copied in its redacted form?",
}

// describeAt names the character starting at raw[i].
func describeAt(raw string, i int) string {
	if raw[i] < 0x80 {
		return describe(raw[i])
	}
	r, _ := utf8.DecodeRuneInString(raw[i:])
	switch {
	case r == utf8.RuneError:
		return fmt.Sprintf("an invalid UTF-8 byte 0x%02X", raw[i])
	case confusables[r] != "":
		return confusables[r]
	case r >= 0x0400 && r <= 0x04FF:
		return fmt.Sprintf("a Cyrillic letter (U+%04X) that looks Latin", r)
	case r >= 0x0370 && r <= 0x03FF:
		return fmt.Sprintf("a Greek letter (U+%04X) that looks Latin", r)
	case r >= 0xFF01 && r <= 0xFF5E:
		return fmt.Sprintf("a full-width character (U+%04X)", r)
	}
	return fmt.Sprintf("a non-ASCII character (U+%04X)", r)
}
