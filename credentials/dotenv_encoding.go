package credentials

import (
	"bytes"
	"encoding/binary"
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// Byte-order marks that Windows editors put at the start of a text file.
var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
	bomUTF32LE = []byte{0xFF, 0xFE, 0x00, 0x00}
	bomUTF32BE = []byte{0x00, 0x00, 0xFE, 0xFF}
)

// dotEnvText returns the text of a .env file as UTF-8, whatever a Windows
// editor saved it as: UTF-8 after a byte-order mark (Notepad) loses the
// mark, and UTF-16 with a mark (PowerShell 5.1's `>`, Notepad's "Unicode")
// is decoded. UTF-16 without a mark and UTF-32 are refused with an error
// that names the encoding and the fix, rather than letting the parser call
// the first line "not a NAME=value line". Anything else is returned as it
// is, for the parser and the key's validation to judge.
func dotEnvText(b []byte) ([]byte, error) {
	b, err := decodeText(b)
	if err != nil {
		return nil, err
	}
	for bytes.HasPrefix(b, bomUTF8) { // a file saved twice with a mark, or a mark before the mark
		b = b[len(bomUTF8):]
	}
	return b, nil
}

// decodeText is dotEnvText but for marks repeated after the first.
func decodeText(b []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(b, bomUTF8):
		b = b[len(bomUTF8):]
	case bytes.HasPrefix(b, bomUTF32LE), bytes.HasPrefix(b, bomUTF32BE):
		return nil, errors.New("the file is UTF-32 text; save it as UTF-8 (in PowerShell: Set-Content -Encoding utf8)")
	case bytes.HasPrefix(b, bomUTF16LE):
		return decodeUTF16(b[2:], binary.LittleEndian)
	case bytes.HasPrefix(b, bomUTF16BE):
		return decodeUTF16(b[2:], binary.BigEndian)
	}
	if bytes.IndexByte(b, 0) >= 0 && looksUTF16(b) {
		return nil, errors.New("the file looks like UTF-16 text without a byte-order mark; save it as UTF-8 (in PowerShell: Set-Content -Encoding utf8)")
	}
	// Any other odd byte is left to the parser and the key's validation,
	// which name the line, or the position in the key.
	return b, nil
}

// decodeUTF16 decodes b, which followed a UTF-16 byte-order mark, to UTF-8.
func decodeUTF16(b []byte, order binary.ByteOrder) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, errors.New("the file starts as UTF-16 text but has an odd number of bytes; save it as UTF-8")
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = order.Uint16(b[2*i:])
	}
	out := make([]byte, 0, len(units))
	for _, r := range utf16.Decode(units) {
		if r == utf8.RuneError {
			return nil, errors.New("the UTF-16 file holds a broken character (an unpaired surrogate); save it as UTF-8")
		}
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}

// looksUTF16 reports whether b reads as UTF-16 text of mostly ASCII
// characters: a NUL in every other byte, on the same side.
func looksUTF16(b []byte) bool {
	if len(b) < 4 || len(b)%2 != 0 {
		return false
	}
	var even, odd int
	for i := 0; i < len(b); i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	half := len(b) / 2
	return even*10 >= half*9 && odd == 0 || odd*10 >= half*9 && even == 0
}
