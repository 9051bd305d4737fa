package credentials

import (
	"strings"

	"github.com/apikit/apikit-go/keys"
)

// redacted replaces key-shaped text in messages and sources.
const redacted = "[redacted]"

// builtinFormats are the formats whose keys redactKeys recognises by shape.
func builtinFormats() []*keys.Format {
	return []*keys.Format{keys.Hypedata, keys.Hypersave, keys.HopX, keys.HyperSync, keys.Web3Storage}
}

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
// as words (see looksRandom). Guessing is for text that is not the
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
	for _, f := range builtinFormats() {
		for _, p := range f.Prefixes {
			if strings.Contains(w, p.Text) {
				return true
			}
		}
	}
	if _, err := keys.Parse(strings.Trim(w, ".")); err == nil {
		return true
	}
	if !guess {
		return false
	}
	for _, part := range strings.Split(w, ".") {
		if looksRandom(part) {
			return true
		}
	}
	return false
}

// looksRandom reports whether part, a run of URL-safe characters, is long
// enough to be a secret (16 characters) and does not read as words and
// numbers. Text people write changes between lower case, upper case and
// digits rarely ("production-eu-west-1", "HYPEDATA_API_KEY",
// "config2138472389"); a random secret does so all the time. So part looks
// random when it changes class at least 4 times (- and _ break it into
// pieces that are judged together), or holds more than 15 characters of
// one class in a row ("SECRETSECRETSECRET").
func looksRandom(part string) bool {
	if len(part) < 16 {
		return false
	}
	class := func(c byte) int {
		switch {
		case 'a' <= c && c <= 'z':
			return 1
		case 'A' <= c && c <= 'Z':
			return 2
		case '0' <= c && c <= '9':
			return 3
		}
		return 0 // a separator
	}
	changes, run, prev := 0, 0, 0
	for i := 0; i < len(part); i++ {
		c := class(part[i])
		switch {
		case c == 0:
			run, prev = 0, 0
			continue
		case c == prev:
			run++
		default:
			if prev != 0 {
				changes++
			}
			run = 1
		}
		if run > 15 || changes >= 4 {
			return true
		}
		prev = c
	}
	return false
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
