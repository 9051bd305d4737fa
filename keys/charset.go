package keys

import "strings"

// Charset lists the characters allowed in a part of a key. The zero Charset
// allows printable ASCII except space. Any string of ASCII characters is a
// Charset, so a custom set is just keys.Charset("abc…").
type Charset string

// Predefined character sets.
const (
	Alphanumeric Charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	URLSafe      Charset = Alphanumeric + "-_"
	Hex          Charset = "0123456789abcdefABCDEF"
	LowerHex     Charset = "0123456789abcdef"
	Base64       Charset = Alphanumeric + "+/="
)

// Contains reports whether c allows b.
func (c Charset) Contains(b byte) bool {
	if c == "" {
		return b > ' ' && b < 0x7f
	}
	return strings.IndexByte(string(c), b) >= 0
}

// unique returns c with every repeated byte after its first occurrence
// removed, so that it holds at most 256 bytes.
func (c Charset) unique() Charset {
	var seen [256]bool
	out := make([]byte, 0, min(len(c), 256))
	for i := 0; i < len(c); i++ {
		if !seen[c[i]] {
			seen[c[i]] = true
			out = append(out, c[i])
		}
	}
	return Charset(out)
}

// firstBad returns the index of the first byte of s that c does not allow,
// or -1.
func (c Charset) firstBad(s string) int {
	for i := 0; i < len(s); i++ {
		if !c.Contains(s[i]) {
			return i
		}
	}
	return -1
}

// describe names the set for error messages.
func (c Charset) describe() string {
	switch c {
	case "":
		return "printable ASCII characters"
	case Alphanumeric:
		return "letters and digits [A-Za-z0-9]"
	case URLSafe:
		return "URL-safe characters [A-Za-z0-9_-]"
	case URLSafe + ".":
		return "URL-safe characters and dots [A-Za-z0-9_.-]"
	case Hex:
		return "hex digits [0-9a-fA-F]"
	case Hex + "-":
		return "hex digits and dashes"
	case LowerHex:
		return "lower-case hex digits [0-9a-f]"
	case Base64:
		return "base64 characters [A-Za-z0-9+/=]"
	}
	if len(c) <= 20 {
		return "one of " + string(c)
	}
	return "characters of the format's character set"
}
