// Package keyshape tells whether a word could be an API key of a built-in
// format, or a secret of any other, from its shape alone: what the SDK
// redacts in text it did not write itself (a query value, a command's
// argument) when it cannot know which words are keys.
package keyshape

import (
	"strings"

	"github.com/apikit/apikit-go/keys"
)

// builtinFormats are the formats whose keys Word recognises.
func builtinFormats() []*keys.Format {
	return []*keys.Format{keys.Hypedata, keys.Hypersave, keys.HopX, keys.HyperSync, keys.Web3Storage}
}

// Known reports whether w is, or holds, a key of a built-in format: it
// holds a built-in key prefix (hd_live_…, even a malformed key), or a
// built-in format accepts it (a UUID, a JWT).
func Known(w string) bool {
	for _, f := range builtinFormats() {
		for _, p := range f.Prefixes {
			if strings.Contains(w, p.Text) {
				return true
			}
		}
	}
	_, err := keys.Parse(strings.Trim(w, "."))
	return err == nil
}

// Word reports whether w could be a key of any format: Known, or a
// dot-separated part of it looks random (see LooksRandom).
func Word(w string) bool {
	if Known(w) {
		return true
	}
	for _, part := range strings.Split(w, ".") {
		if LooksRandom(part) {
			return true
		}
	}
	return false
}

// LooksRandom reports whether part, a run of URL-safe characters, is long
// enough to be a secret (16 characters) and does not read as words and
// numbers. Text people write changes between lower case, upper case and
// digits rarely ("production-eu-west-1", "HYPEDATA_API_KEY",
// "config2138472389"); a random secret does so all the time. So part looks
// random when it changes class at least 4 times (- and _ break it into
// pieces that are judged together), or holds more than 15 characters of
// one class in a row ("SECRETSECRETSECRET").
func LooksRandom(part string) bool {
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
