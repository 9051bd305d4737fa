package keys

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse checks, for every built-in format, for Opaque, and for Parse
// over all the built-ins, that parsing never panics, that a successful parse
// round-trips and that its String shows no more than its public prefix and
// its last four characters, and that an error message never echoes the key:
// ParseError promises to say what is wrong "without ever quoting the key".
//
// An error may name prefixes, formats, positions and single characters, so
// the echo check looks for runs of echoRun bytes of the secret (the input
// after its public prefix) in the message. A run may also be there because
// the package wrote that text itself (the prefix list "hopx_live_, …", the
// format name "web3.storage", "(8-4-4-4-12", "strings.TrimSpace)", an expiry
// date), so each run found is tested on a twin input; see [isEcho].
//
// Web3Storage gets a fixed clock, so that whether a JWT has expired does not
// depend on the day the fuzzer runs; Parse over the built-ins is called as
// Parse(raw, formats...), which is what Parse(raw) does with builtins().
func FuzzParse(f *testing.F) {
	enc := base64.RawURLEncoding
	expiredJWT := enc.EncodeToString([]byte(`{"alg":"HS256"}`)) + "." + enc.EncodeToString([]byte(`{"exp":1577836800}`))
	seeds := []string{hdLive, hsTest, hopx, uuid, "", " ", "\n", hdLive + "\n", "hd_live_", "hopx_live_.",
		"a.b.c", "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln", "\ufeffx", "hd_live_\u0430bc", strings.Repeat("x", 5000),
		// Inputs that hold text the package writes itself; none is an echo.
		"opx_live_,hd_test_,xx",                 // Parse's list of prefixes
		"xhopx_live_",                           // HopX: "does not start with hopx_live_ or hopx_test_"
		"web3.storage.x",                        // the format's name
		"8-4-4-4-12-" + strings.Repeat("f", 25), // HyperSync: "want 5 (8-4-4-4-12 hex digits)"
		"strings.TrimSpace)\n",                  // the trailing-newline hint
		expiredJWT + ".2020-01-01",              // "expired at 2020-01-01T00:00:00Z", and a signature that reads the same
	}
	for _, s := range seeds {
		f.Add(s)
	}
	formats := fuzzFormats()
	type parser struct {
		format *Format // for its public prefix; nil: the whole input is secret
		parse  func(string) (Key, error)
	}
	var parsers []parser
	for _, format := range formats {
		parsers = append(parsers, parser{format, format.Parse})
	}
	parsers = append(parsers, parser{Opaque, Opaque.Parse},
		parser{nil, func(raw string) (Key, error) { return Parse(raw, formats...) }})

	f.Fuzz(func(t *testing.T, raw string) {
		for _, p := range parsers {
			k, err := p.parse(raw)
			if err == nil {
				if k.Reveal() != raw {
					t.Fatalf("round trip: %q != %q", k.Reveal(), raw)
				}
				checkString(t, k, raw)
				continue
			}
			msg := err.Error()
			if !utf8.ValidString(msg) && utf8.ValidString(raw) {
				t.Fatalf("invalid UTF-8 in error %q", msg)
			}
			prefix := ""
			if p.format != nil {
				prefix = p.format.publicPrefix(raw)
			}
			for i := len(prefix); i+echoRun <= len(raw); i++ {
				if run := raw[i : i+echoRun]; isEcho(p.parse, raw, prefix, msg, run) {
					t.Fatalf("error %q contains input run %q", msg, run)
				}
			}
		}
	})
}

// echoRun is the length of a run of the secret that an error must not hold.
const echoRun = 10

// isEcho reports whether msg, the error parse gave for raw, holds run (a
// piece of raw after its public prefix) because it copied it from raw.
//
// It is a differential check. The twin input is raw with every occurrence
// of run after the prefix rewritten by [shift], which changes each letter
// and digit but keeps it in every character class a format tests (URL-safe,
// alphanumeric, hex, base64, printable ASCII) and keeps punctuation,
// lengths and the prefix as they are, so the twin takes the same checks as
// raw. Text the package wrote does not follow the input: the twin's error
// still holds run. A copy does follow it: the twin's error holds shift(run)
// where raw's held run. Only that is an echo, which makes the check sound:
// a message that holds the run for any other reason, in either input, is
// not reported. A run without a letter or digit is punctuation the
// package may show (describe quotes it), never a piece of a secret.
func isEcho(parse func(string) (Key, error), raw, prefix, msg, run string) bool {
	if !strings.Contains(msg, run) || !hasAlnum(run) {
		return false
	}
	twin := []byte(raw)
	for i := len(prefix); i+len(run) <= len(raw); i++ {
		if raw[i:i+len(run)] != run {
			continue
		}
		for j := i; j < i+len(run); j++ { // each byte once, also where occurrences overlap
			twin[j] = shift(raw[j])
		}
	}
	_, err := parse(string(twin))
	if err == nil {
		return false // the twin is a valid key: nothing to compare
	}
	twinMsg := err.Error()
	return !strings.Contains(twinMsg, run) && strings.Contains(twinMsg, shiftString(run))
}

// shift maps a letter or digit to the next one of its kind, cyclically: a-f
// and A-F stay hex digits, g-z and G-Z stay letters that are not, 0-9 stay
// digits. Every other byte is kept.
func shift(b byte) byte {
	next := func(b, lo, hi byte) byte {
		if b == hi {
			return lo
		}
		return b + 1
	}
	switch {
	case b >= 'a' && b <= 'f':
		return next(b, 'a', 'f')
	case b >= 'g' && b <= 'z':
		return next(b, 'g', 'z')
	case b >= 'A' && b <= 'F':
		return next(b, 'A', 'F')
	case b >= 'G' && b <= 'Z':
		return next(b, 'G', 'Z')
	case b >= '0' && b <= '9':
		return next(b, '0', '9')
	}
	return b
}

func shiftString(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = shift(b[i])
	}
	return string(b)
}

func hasAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if shift(s[i]) != s[i] {
			return true
		}
	}
	return false
}

// checkString checks Key.String's promise: the public prefix, an ellipsis,
// and at most the last four characters of the rest.
func checkString(t *testing.T, k Key, raw string) {
	t.Helper()
	prefix := k.Spec().publicPrefix(raw)
	s, ok := strings.CutPrefix(k.String(), prefix+"…")
	if rest := raw[len(prefix):]; !ok || len(s) > 4 || !strings.HasSuffix(rest, s) {
		t.Fatalf("String() = %q for %q: want %q, an ellipsis and at most the last 4 characters", k.String(), raw, prefix)
	}
}

// fuzzNow is the clock of the formats FuzzParse uses.
var fuzzNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fuzzFormats is builtins(), in order, with a fixed clock.
func fuzzFormats() []*Format {
	var out []*Format
	for _, f := range builtins() {
		c := *f
		c.Now = func() time.Time { return fuzzNow }
		out = append(out, &c)
	}
	return out
}
