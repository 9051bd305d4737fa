package main

import (
	"regexp"
	"strings"

	"github.com/apikit/apikit-go/keys"
)

// builtinFormats are the key formats scrub recognises.
var builtinFormats = []*keys.Format{keys.Hypedata, keys.Hypersave, keys.HopX, keys.HyperSync, keys.Web3Storage}

// uuidRE finds a UUID (a HyperSync token) inside a word.
var uuidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// scrub replaces every key-shaped word of s with "[redacted]": a word that
// a built-in format accepts, or that holds a built-in key prefix. It guards
// what apikit prints that it did not write itself (cobra's messages repeat
// the command line).
func scrub(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if !isWordByte(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && isWordByte(s[j]) {
			j++
		}
		if w := s[i:j]; keyShaped(w) {
			b.WriteString("[redacted]")
		} else {
			b.WriteString(w)
		}
		i = j
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
}

// keyShaped reports whether w looks like a key of a built-in format: a
// prefix with something after it (a prefix alone is how a redacted key
// starts: "hd_live_…9fQx"), a JWT (even an expired one), or a word a
// built-in format accepts (a UUID).
func keyShaped(w string) bool {
	if len(w) < 8 {
		return false
	}
	for _, f := range builtinFormats {
		for _, p := range f.Prefixes {
			if i := strings.Index(w, p.Text); i >= 0 && len(w) > i+len(p.Text) {
				return true
			}
		}
	}
	if strings.HasPrefix(w, "eyJ") && strings.Count(w, ".") == 2 || uuidRE.MatchString(w) {
		return true
	}
	if _, err := keys.Parse(w); err == nil {
		return true
	}
	return looksRandom(w)
}

// looksRandom reports whether w is long, mixes upper case, lower case and
// digits, and changes between them at least every other character, as a
// random secret does and words, CamelCase names and paths do not (a key
// whose prefix was eaten: "-hd_live_…" read as the flags "-h" "-d_live_…").
func looksRandom(w string) bool {
	if len(w) < 20 {
		return false
	}
	class := func(c byte) int {
		switch {
		case 'A' <= c && c <= 'Z':
			return 1
		case 'a' <= c && c <= 'z':
			return 2
		case '0' <= c && c <= '9':
			return 4
		}
		return 8
	}
	seen, changes := 0, 0
	for i := 0; i < len(w); i++ {
		seen |= class(w[i])
		if i > 0 && class(w[i]) != class(w[i-1]) {
			changes++
		}
	}
	return seen&7 == 7 && changes*2 >= len(w)
}
