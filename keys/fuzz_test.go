package keys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks, for every built-in format, that Parse never panics, that
// a successful parse round-trips, and that no error message holds more than
// a few characters of the input.
func FuzzParse(f *testing.F) {
	seeds := []string{hdLive, hsTest, hopx, uuid, "", " ", "\n", hdLive + "\n", "hd_live_", "hopx_live_.",
		"a.b.c", "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln", "\ufeffx", "hd_live_\u0430bc", strings.Repeat("x", 5000)}
	for _, s := range seeds {
		f.Add(s)
	}
	templates := normalizeDigits(sourceText(f) + referenceMessages(seeds))
	f.Fuzz(func(t *testing.T, raw string) {
		for _, format := range append(builtins(), Opaque, nil) {
			var k Key
			var err error
			if format == nil {
				k, err = Parse(raw)
			} else {
				k, err = format.Parse(raw)
			}
			if err == nil {
				if k.Reveal() != raw {
					t.Fatalf("round trip: %q != %q", k.Reveal(), raw)
				}
				if s := k.String(); len(raw) >= 24 && strings.Contains(s, raw[len(raw)-12:]) {
					t.Fatalf("String() %q shows too much", s)
				}
				continue
			}
			msg := err.Error()
			if !utf8.ValidString(msg) && utf8.ValidString(raw) {
				t.Fatalf("invalid UTF-8 in error %q", msg)
			}
			// An error may name prefixes and single characters, never a
			// run of the input beyond its known public prefix.
			secret := raw
			if format != nil {
				secret = raw[len(format.publicPrefix(raw)):]
			}
			for i := 0; i+10 <= len(secret); i++ {
				if run := secret[i : i+10]; strings.Contains(msg, run) && !strings.Contains(templates, normalizeDigits(run)) {
					t.Fatalf("error %q contains input run %q", msg, run)
				}
			}
		}
	})
}

// referenceMessages is every error message the package gives for the seed
// inputs: text it composes itself (format names, prefix lists) that appears
// in no single line of source.
func referenceMessages(inputs []string) string {
	var b strings.Builder
	for _, raw := range inputs {
		if _, err := Parse(raw); err != nil {
			b.WriteString(err.Error() + "\n")
		}
		for _, format := range append(builtins(), Opaque) {
			if _, err := format.Parse(raw); err != nil {
				b.WriteString(err.Error() + "\n")
			}
		}
	}
	return b.String()
}

// normalizeDigits maps every ASCII digit to 0, so that "position 17" in a
// message matches "position %d" rendered for any other number.
func normalizeDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '0'
		}
		return r
	}, s)
}

// sourceText is the package's own source: text an error message may hold
// because the package wrote it, not because the input did.
func sourceText(f *testing.F) string {
	files, err := filepath.Glob("*.go")
	if err != nil {
		f.Fatal(err)
	}
	var b strings.Builder
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		b.Write(src)
	}
	return b.String()
}
