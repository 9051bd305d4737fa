// Package termsafe makes text from outside apikit safe to print to a
// terminal: file paths (a file name may hold an escape sequence or a line
// break) and strings a server or a file supplied. Printed raw, such text can
// hide lines, retitle the terminal, move the cursor or forge a line of
// output; escaped, it shows what it is.
//
// Two forms: Text escapes each unsafe character where it stands (for
// messages), Path quotes the whole string, Go-style, when it holds one (for
// a path that must stay one unambiguous word). Safe text comes back
// unchanged, so ordinary output looks as it always did.
package termsafe

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text returns s with every unsafe character written as a Go escape:
// control characters (C0 including tab and line breaks, DEL, C1), format
// characters that reorder or hide text (bidirectional overrides, zero-width
// joiners), the Unicode line and paragraph separators, and bytes that are
// not UTF-8 ("\x1b", "\n", "\u202e", "\xff"). A backslash is left as it is,
// so a message's Windows path or regexp keeps its look.
func Text(s string) string {
	if Safe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case safeRune(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRune(r) // '\x1b', '\n', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

// Lines is Text for a whole block of output: its line breaks and tabs
// (the output's own layout) are kept, every other unsafe character is
// escaped. It is the net under a command's text output, so that no string
// inside it — a key's name, a server's message — can send the terminal a
// control sequence; a string that must not start a line of its own goes
// through Text or Path first.
func Lines(s string) string {
	if Safe(s) {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		cells := strings.Split(l, "\t")
		for j, c := range cells {
			cells[j] = Text(c)
		}
		lines[i] = strings.Join(cells, "\t")
	}
	return strings.Join(lines, "\n")
}

// Path returns p as it is when every character is safe and it holds no
// double quote, else p quoted as a Go string literal ("a\nb.txt"), so that
// a name that holds a line break or an escape sequence prints as one
// visible, unambiguous word.
func Path(p string) string {
	if Safe(p) && !strings.ContainsRune(p, '"') {
		return p
	}
	return strconv.Quote(p)
}

// Safe reports whether s prints as itself: valid UTF-8 made only of
// printable characters and spaces.
func Safe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return false
		} else if c >= utf8.RuneSelf {
			return safeUnicode(s[i:])
		}
	}
	return true
}

// safeUnicode is Safe for the rest of a string from its first non-ASCII
// byte.
func safeUnicode(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || !safeRune(r) {
			return false
		}
		i += n
	}
	return true
}

// safeRune reports whether r prints as itself without moving the cursor or
// changing how the text around it shows: a graphic character or a plain
// space.
func safeRune(r rune) bool {
	if r == ' ' {
		return true
	}
	return unicode.IsPrint(r) && !unicode.Is(unicode.Cf, r)
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
