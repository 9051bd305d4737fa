package credentials

import (
	"strings"

	"github.com/apikit/apikit-go/internal/keyshape"
)

// redacted replaces key-shaped text in messages and sources.
const redacted = "[redacted]"

// isKeyChar reports whether b can be part of a key as redactKeys sees one:
// the URL-safe characters, and "." (the separator of HopX keys and JWTs).
func isKeyChar(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_' || b == '-' || b == '.'
}

// redactKeys returns s with every key-shaped word replaced by "[redacted]".
// A word is a run of URL-safe characters and dots; it is key-shaped when
// keys.Parse accepts it with a built-in format, when it contains a built-in
// key prefix (hd_live_…, even a malformed key), or, if guess is set, when a
// dot-separated part of it is at least 16 characters long and does not read
// as words (see keyshape.LooksRandom). Guessing is for text that is not the
// program's own name: arguments, stderr.
func redactKeys(s string, guess bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if !isKeyChar(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && isKeyChar(s[j]) {
			j++
		}
		if w := s[i:j]; keyShaped(w, guess) {
			b.WriteString(redacted)
		} else {
			b.WriteString(w)
		}
		i = j
	}
	return b.String()
}

// keyShaped reports whether the word w could be a key; see redactKeys.
func keyShaped(w string, guess bool) bool {
	if guess {
		return keyshape.Word(w)
	}
	return keyshape.Known(w)
}

// cutText shortens s to at most max bytes on a rune boundary, marking the
// cut with "…".
func cutText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !runeStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// runeStart reports whether b begins a UTF-8 sequence.
func runeStart(b byte) bool { return b&0xC0 != 0x80 }
