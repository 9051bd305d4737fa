package scan

import (
	"bytes"

	"github.com/apikit/apikit-go/keys"
)

// uuids looks for HyperSync tokens (UUIDs), raw or base64-encoded, near
// each word naming the service found this round: after it on its line or
// the next, or before it on its line, and within contextWindow bytes.
func (st *state) uuids(b []byte, lo, hi int) {
	for i, kw := range st.kws {
		kwEnd := kw + st.kwLen[i]
		if st.kwLen[i] == len("envio") && !credentialNear(b, kw, kwEnd) {
			continue // "envio" is also Portuguese and Spanish for a shipment
		}
		wlo := max(0, kw-contextWindow-uuidSpan)
		whi := min(len(b), kwEnd+contextWindow+uuidSpan)
		near := func(start, end int) bool {
			if start < lo || start >= hi {
				return false
			}
			switch {
			case kwEnd <= start: // the word before: on the same line or the one above
				if start-kwEnd > contextWindow {
					return false
				}
				between := b[kwEnd:start]
				nl := bytes.IndexByte(between, '\n')
				if nl < 0 {
					return true
				}
				// The line above names the service, unless it holds a
				// value of its own (ENVIO_API_TOKEN=<token>, then a
				// request id on the next line).
				return bytes.IndexByte(between[nl+1:], '\n') < 0 && !hasValue(between[:nl])
			case kw >= end: // the word after: on the same line
				return kw-end <= contextWindow && bytes.IndexByte(b[end:kw], '\n') < 0
			}
			return false // the word overlaps the UUID's text
		}
		// Raw: a dash, then the 8-4-4-4-12 shape around it.
		for p := wlo; p < whi; {
			j := bytes.IndexByte(b[p:whi], '-')
			if j < 0 {
				break
			}
			d := p + j - 8
			p += j + 1
			if d < 0 || d+36 > len(b) || !near(d, d+36) || !isUUID(b[d:d+36]) {
				continue
			}
			if (d > 0 && isWord[b[d-1]] && !escapedBefore(b, d) && !percentBefore(b, d)) || (d+36 < len(b) && isWord[b[d+36]]) {
				continue
			}
			st.addUUID(b[d:d+36], d, Raw)
			p = d + 36
		}
		// Base64: every run of base64 characters in the window, decoded
		// from each of its first four characters (one of them is the
		// encoding's own alignment).
		for p := wlo; p < whi; {
			if b64Table[b[p]] < 0 {
				p++
				continue
			}
			q := p
			for q < whi && b64Table[b[q]] >= 0 {
				q++
			}
			if q-p >= 48 {
				st.b64UUIDs(b, p, q, near)
			}
			p = q
		}
	}
}

// credentialWords are the words that, on the line of "envio" or the next,
// make it the service's name rather than the Portuguese or Spanish word for
// a shipment ("código de envio: <uuid>"): ENVIO_API_TOKEN, envio_key,
// "# Envio indexer API", "Authorization: Bearer" all hold one.
var credentialWords = [...][]byte{[]byte("token"), []byte("key"), []byte("secret"), []byte("api"),
	[]byte("auth"), []byte("bearer"), []byte("password"), []byte("credential"), []byte("hypersync")}

// credentialNear reports whether the line of the word at b[kw:kwEnd], or
// the line after it, holds a credentialWord (any case), within the
// context window.
func credentialNear(b []byte, kw, kwEnd int) bool {
	lo := kw
	for lo > max(0, kw-contextWindow) && b[lo-1] != '\n' {
		lo--
	}
	hi, lines := kwEnd, 0
	for hi < min(len(b), kwEnd+contextWindow+uuidSpan) {
		if b[hi] == '\n' {
			if lines++; lines == 2 {
				break
			}
		}
		hi++
	}
	w := b[lo:hi]
	for i := range w {
		for _, word := range credentialWords {
			if i+len(word) <= len(w) && w[i]|0x20 == word[0] && equalFold(w[i:i+len(word)], word) {
				return true
			}
		}
	}
	return false
}

// tokenVar is the variable Envio's documentation keeps its token in. A
// base64-encoded .env file holds it encoded too, where no raw word names
// the service: its base64 forms are needles of their own.
const tokenVar = "ENVIO_API_TOKEN"

// b64VarReach is how many characters before a UUID's encoded form the
// encoded tokenVar can start: the scanner searches that far back.
const b64VarReach = 4*(len(tokenVar)+contextWindow+uuidSpan)/3 + 8

// b64Var decodes the base64 text after the encoded tokenVar whose needle
// is at b[s:], and reports the UUIDs it names there: after it on its line,
// or on the next line unless its own line holds a value.
func (st *state) b64Var(b []byte, s int, n *needle, lo, hi int) {
	group := s - n.lead
	if group < 0 {
		return
	}
	for i := group; i < s; i++ {
		if b64Table[b[i]] < 0 {
			return
		}
	}
	st.dec = decodeB64(st.dec[:0], b[group:min(len(b), group+b64VarReach+uuidSpan)])
	d := st.dec
	kwEnd := n.align + len(tokenVar)
	if len(d) < kwEnd || string(d[n.align:kwEnd]) != tokenVar {
		return
	}
	for i := kwEnd; i < min(len(d), kwEnd+contextWindow); {
		j := bytes.IndexByte(d[i:min(len(d), kwEnd+contextWindow)], '-')
		if j < 0 {
			return
		}
		u := i + j - 8
		i += j + 1
		if u < kwEnd || u+36 > len(d) || !isUUID(d[u:u+36]) {
			continue
		}
		if isWord[d[u-1]] || (u+36 < len(d) && isWord[d[u+36]]) {
			continue
		}
		between := d[kwEnd:u]
		if nl := bytes.IndexByte(between, '\n'); nl >= 0 && (bytes.IndexByte(between[nl+1:], '\n') >= 0 || hasValue(between[:nl])) {
			return // past the next line, or the variable has a value of its own
		}
		start := group + (4*u)/3
		end := group + (4*(u+36)+2)/3
		if start >= lo && start < hi {
			st.addUUID(d[u:u+36], start, alphabetOf(b, start, min(end, len(b))))
		}
		return
	}
}

// b64UUIDs finds the UUIDs encoded in the base64 run b[p:q].
func (st *state) b64UUIDs(b []byte, p, q int, near func(start, end int) bool) {
	for o := 0; o < 4; o++ {
		st.dec = decodeB64(st.dec[:0], b[p+o:q])
		d := st.dec
		for i := 0; i+36 <= len(d); {
			j := bytes.IndexByte(d[i:], '-')
			if j < 0 {
				break
			}
			u := i + j - 8
			i += j + 1
			if u < 0 || u+36 > len(d) || !isUUID(d[u:u+36]) {
				continue
			}
			if (u > 0 && isWord[d[u-1]]) || (u+36 < len(d) && isWord[d[u+36]]) {
				continue
			}
			start := p + o + (4*u)/3
			end := p + o + (4*(u+36)+2)/3
			if near(start, end) {
				st.addUUID(d[u:u+36], start, alphabetOf(b, start, min(end, len(b))))
			}
			i = u + 36
		}
	}
}

// addUUID records the UUID text found at off, unless it is a placeholder
// or was found already (through another keyword).
func (st *state) addUUID(text []byte, off int, enc Encoding) {
	for _, h := range st.hits {
		if h.off == off && h.enc == enc {
			return
		}
	}
	var hexDigits [32]byte
	n := 0
	for _, c := range text {
		if c != '-' {
			hexDigits[n] = c | 0x20
			n++
		}
	}
	if placeholder(string(hexDigits[:]), 16) {
		return
	}
	k, err := keys.HyperSync.Parse(string(text))
	if err != nil {
		return
	}
	st.hits = append(st.hits, hit{off: off, enc: enc, key: k})
}

// hasValue reports whether b holds a token-like value: a run of 32 or more
// characters of base64 (either alphabet), which a UUID is too.
func hasValue(b []byte) bool {
	run := 0
	for _, c := range b {
		if b64Table[c] >= 0 || c == '=' {
			if run++; run >= 32 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// isUUID reports the 8-4-4-4-12 shape of hex digits.
func isUUID(u []byte) bool {
	for i, c := range u {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !hexDigit[c] {
				return false
			}
		}
	}
	return true
}

var hexDigit = tableOf(keys.Hex, false)
