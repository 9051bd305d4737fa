package scan

import (
	"strings"
)

// A key can be written with every byte encoded: hex ("68645f6c…", a hex
// dump, a hex-encoded .env), percent-encoding ("%68%64%5F…"), JSON and
// JavaScript \u escapes ("\u0068\u0064\u005f…") and \x escapes ("\x68…").
// Every built-in prefix holds an underscore, which all four write with the
// digits 5F (any case), so these forms share one anchor byte, '5', looked
// up by the 'f' or 'F' after it: text without "5f" costs nothing more.

// textEncoding is one of those forms.
type textEncoding uint8

const (
	encHex     textEncoding = iota + 1 // 68645f…
	encPercent                         // %68%64%5F…
	encUnicode                         // \u0068\u0064\u005f…
	encHexEsc                          // \x68\x64\x5f…
)

// chain names the form in a Finding's Chain.
func (e textEncoding) chain() string {
	switch e {
	case encHex:
		return "hex"
	case encPercent:
		return "percent"
	case encUnicode:
		return "unicode-escape"
	case encHexEsc:
		return "hex-escape"
	}
	return "raw"
}

// encodedNeedles returns prefix written whole in each text encoding, with
// lower- and upper-case hex digits, anchored on the '5' of its first "5f":
// nil for a prefix without an underscore.
func encodedNeedles(prefix string, targets []*target) []*needle {
	if !strings.Contains(prefix, "_") {
		return nil
	}
	const digits = "0123456789abcdef"
	var out []*needle
	for _, e := range []textEncoding{encHex, encPercent, encUnicode, encHexEsc} {
		var b strings.Builder
		for i := 0; i < len(prefix); i++ {
			c := prefix[i]
			switch e {
			case encPercent:
				b.WriteByte('%')
			case encUnicode:
				b.WriteString(`\u00`)
			case encHexEsc:
				b.WriteString(`\x`)
			}
			b.WriteByte(digits[c>>4])
			b.WriteByte(digits[c&15])
		}
		lower := b.String()
		for _, text := range []string{lower, strings.ToUpper(lower)} {
			if e == encUnicode || e == encHexEsc {
				// Only the hex digits change case: \u and \x stay lower.
				text = strings.NewReplacer(`\U`, `\u`, `\X`, `\x`).Replace(text)
			}
			if text == lower && len(out) > 0 && string(out[len(out)-1].text) == text {
				continue
			}
			out = append(out, &needle{text: []byte(text), kind: needleEncoded, prefix: []byte(prefix),
				targets: targets, textEnc: e})
		}
	}
	return out
}

// encodedAnchor is the index in n.text of the '5' of its first "5f".
func encodedAnchor(n *needle) int {
	return strings.Index(strings.ToLower(string(n.text)), "5f")
}

// encoded checks the key candidate written in n's text encoding whose
// needle is at b[s:]: it decodes from s, as long as the text stays in the
// encoding (and, for percent and the escapes, through the characters they
// leave as they are), and parses the decoded key.
func (st *state) encoded(b []byte, s int, n *needle, lo, hi int) {
	if s < lo || s >= hi {
		return
	}
	if prev, ok := decodeBefore(b, s, n.textEnc); ok && isWord[prev] {
		return // the prefix goes on a longer word, encoded too
	}
	for _, t := range n.targets {
		want := len(n.prefix) + t.idLen + len(t.sep) + t.maxBody + 1
		st.dec = decodeText(st.dec[:0], b[s:], n.textEnc, want)
		if k, ok := st.parse(st.dec, 0, t); ok {
			st.hits = append(st.hits, hit{off: s, enc: Raw, chain: n.textEnc.chain(), key: k})
			return
		}
	}
}

// decodeText appends to dst at most want bytes decoded from src in the
// encoding e, up to the first character that does not continue it.
func decodeText(dst, src []byte, e textEncoding, want int) []byte {
	i := 0
	for len(dst) < want && i < len(src) {
		c, n := decodeUnit(src[i:], e)
		if n == 0 {
			break
		}
		dst = append(dst, c)
		i += n
	}
	return dst
}

// decodeUnit decodes the one character at the start of src in e: the byte
// and how many characters of src it took (0: src does not go on in e).
// Percent and the escapes also take an unescaped URL-safe character as
// itself.
func decodeUnit(src []byte, e textEncoding) (byte, int) {
	switch e {
	case encHex:
		if len(src) >= 2 {
			if v, ok := hexByte(src[0], src[1]); ok {
				return v, 2
			}
		}
		return 0, 0
	case encPercent:
		if len(src) >= 3 && src[0] == '%' {
			if v, ok := hexByte(src[1], src[2]); ok {
				return v, 3
			}
		}
	case encUnicode:
		if len(src) >= 6 && src[0] == '\\' && src[1] == 'u' && src[2] == '0' && src[3] == '0' {
			if v, ok := hexByte(src[4], src[5]); ok {
				return v, 6
			}
		}
	case encHexEsc:
		if len(src) >= 4 && src[0] == '\\' && src[1] == 'x' {
			if v, ok := hexByte(src[2], src[3]); ok {
				return v, 4
			}
		}
	}
	if len(src) > 0 && isWord[src[0]] {
		return src[0], 1
	}
	return 0, 0
}

// decodeBefore returns the character encoded just before b[s] in e, if
// the text there is in e.
func decodeBefore(b []byte, s int, e textEncoding) (byte, bool) {
	width := map[textEncoding]int{encHex: 2, encPercent: 3, encUnicode: 6, encHexEsc: 4}[e]
	if s >= width {
		if c, n := decodeUnit(b[s-width:s], e); n == width {
			return c, true
		}
	}
	if e != encHex && s > 0 && isWord[b[s-1]] {
		return b[s-1], true
	}
	return 0, false
}

func hexByte(a, b byte) (byte, bool) {
	x, y := unhex(a), unhex(b)
	if x < 0 || y < 0 {
		return 0, false
	}
	return byte(x<<4 | y), true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
