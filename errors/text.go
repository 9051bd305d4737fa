package apierrors

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on the strings taken from a response, so that a hostile body cannot
// flood logs through an error's text.
const (
	maxMessage = 512
	maxField   = 128
)

// firstLine is the first line of a plain-text body. It is not cut here:
// Decode scrubs secrets from it first, then bounds it.
func firstLine(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// clean makes s one line of printable text of at most max bytes (and "…"
// when it was cut).
func clean(s string, max int) string {
	if s == "" || isClean(s, max) {
		return s // the usual case: nothing to change, nothing to allocate
	}
	return cleanCopy(s, max)
}

// cleanCopy is clean building a new string.
func cleanCopy(s string, max int) string {
	var b strings.Builder
	b.Grow(min(len(s), max+len("…")))
	space := false
	for _, r := range s {
		if unprintable(r) {
			r = ' '
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		if b.Len()+utf8.RuneLen(r) > max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// unprintable reports a rune clean turns into a space: an invalid byte, a
// control character (C0, DEL, C1) or a line or paragraph separator.
func unprintable(r rune) bool {
	return r == utf8.RuneError || r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029
}

// isClean reports whether clean would return s as it is: at most max bytes
// of printable text, no run of spaces, no white space at either end.
func isClean(s string, max int) bool {
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if len(s) > max || unicode.IsSpace(first) || unicode.IsSpace(last) { // clean trims them
		return false
	}
	prevSpace := false
	for _, r := range s {
		if unprintable(r) {
			return false
		}
		if r == ' ' && prevSpace {
			return false
		}
		prevSpace = r == ' '
	}
	return true
}
