package sse

import "unicode/utf8"

// replacement is U+FFFD in UTF-8.
const replacement = "\uFFFD"

// validUTF8 returns line as the WHATWG Encoding standard's UTF-8 decoder
// reads it: unchanged when it is valid UTF-8 (almost always, and without a
// copy), else with each maximal subpart of an invalid sequence replaced by
// one U+FFFD — a lead byte and the continuation bytes it accepts so far
// count as one, a byte no sequence can start with counts alone. Go's
// strings.ToValidUTF8 replaces whole runs and utf8.DecodeRune single bytes;
// both differ from the standard, and a browser's EventSource, on some
// inputs.
//
// A line holds no CR or LF, so deciding line by line gives what decoding
// the whole stream first would: an LF that cuts a sequence short ends it
// there, as here the end of the line does.
func validUTF8(line []byte) []byte {
	if utf8.Valid(line) {
		return line
	}
	out := make([]byte, 0, len(line)+8)
	for i := 0; i < len(line); {
		c := line[i]
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		need, lo, hi := sequence(c)
		if need == 0 {
			out = append(out, replacement...)
			i++
			continue
		}
		j := i + 1
		for k := 0; k < need; k++ {
			if j == len(line) || line[j] < lo || line[j] > hi {
				break // the bytes so far are one maximal subpart; line[j] is read afresh
			}
			lo, hi = 0x80, 0xBF
			j++
		}
		if j-i == need+1 {
			out = append(out, line[i:j]...)
		} else {
			out = append(out, replacement...)
		}
		i = j
	}
	return out
}

// sequence says how many continuation bytes lead byte c needs and the range
// the first of them must fall in (the standard's "UTF-8 lower/upper
// boundary", which excludes overlong forms, surrogates and code points past
// U+10FFFF); need 0 for a byte that cannot start a sequence.
func sequence(c byte) (need int, lo, hi byte) {
	switch {
	case c >= 0xC2 && c <= 0xDF:
		return 1, 0x80, 0xBF
	case c == 0xE0:
		return 2, 0xA0, 0xBF
	case c == 0xED:
		return 2, 0x80, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		return 2, 0x80, 0xBF
	case c == 0xF0:
		return 3, 0x90, 0xBF
	case c == 0xF4:
		return 3, 0x80, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		return 3, 0x80, 0xBF
	}
	return 0, 0, 0
}
