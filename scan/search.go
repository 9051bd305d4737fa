package scan

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strings"

	"github.com/apikit/apikit-go/keys"
)

func countNL(b []byte) int { return bytes.Count(b, newline) }
func lastNL(b []byte) int  { return bytes.LastIndexByte(b, '\n') }

var newline = []byte{'\n'}

// search runs the prefilter over b for keys that start in b[lo:hi]: one
// IndexByte pass per anchor byte, a compare of the needles anchored on it,
// and the exact checks for those that match.
func (st *state) search(b []byte, lo, hi int) {
	for gi := range st.s.groups {
		g := &st.s.groups[gi]
		from := max(0, lo-g.before)
		to := min(len(b), hi+g.after)
		for from < to {
			j := bytes.IndexByte(b[from:to], g.b)
			if j < 0 {
				break
			}
			p := from + j
			from = p + 1
			if p+1 < len(b) {
				if i := g.byNext[b[p+1]]; i != 0 {
					st.compare(b, p, g.lists[i-1], lo, hi)
				}
			}
			if p > 0 {
				if i := g.byPrev[b[p-1]]; i != 0 {
					st.compare(b, p, g.lists[i-1], lo, hi)
				}
			}
		}
	}
}

// compare checks the needles refs, anchored at b[p], and goes on with the
// exact checks for those that match.
func (st *state) compare(b []byte, p int, refs []anchorRef, lo, hi int) {
	for _, r := range refs {
		s := p - r.k
		n := r.n
		if s < 0 || s+len(n.text) > len(b) {
			continue
		}
		if s+8 <= len(b) && (binary.LittleEndian.Uint64(b[s:s+8])|r.fold)&r.mask != r.head {
			continue
		}
		switch n.kind {
		case needleRaw:
			if s >= lo && s < hi && string(b[s:s+len(n.text)]) == string(n.text) {
				st.raw(b, s, n)
			}
		case needleB64:
			if string(b[s:s+len(n.text)]) == string(n.text) {
				st.b64(b, s, n, lo, hi)
			}
		case needleB64Var:
			if string(b[s:s+len(n.text)]) == string(n.text) {
				st.b64Var(b, s, n, lo, hi)
			}
		case needleSeam:
			st.seam(b, s, lo, hi)
		case needleB64B64:
			if string(b[s:s+len(n.text)]) == string(n.text) {
				st.b64b64(b, s, n, lo, hi)
			}
		case needleEncoded:
			if string(b[s:s+len(n.text)]) == string(n.text) {
				st.encoded(b, s, n, lo, hi)
			}
		case needleKeyword:
			if equalFold(b[s:s+len(n.text)], n.text) && wordAt(b, s, s+len(n.text)) {
				st.kws = append(st.kws, s)
				st.kwLen = append(st.kwLen, len(n.text))
			}
		}
	}
}

// equalFold compares b with the lower-case ASCII word w, ignoring case.
func equalFold(b, w []byte) bool {
	for i, c := range b {
		if c|0x20 != w[i] {
			return false
		}
	}
	return true
}

// wordAt reports whether b[s:e] is a word of its own: no letter or digit
// touches it on either side, except across a camel-case step
// (HypersyncClient, myEnvio). "_", "-", "." and the like are boundaries,
// so ENVIO_API_TOKEN names the service; "reenvio", "envios" and a random
// token's "x9eNvIO3" do not.
func wordAt(b []byte, s, e int) bool {
	if s > 0 && alnum[b[s-1]] && !(lowerCase(b[s-1]) && upperCase(b[s])) {
		return false
	}
	if e < len(b) && alnum[b[e]] && !(upperCase(b[e]) && lowerCase(b[e-1])) {
		return false
	}
	return true
}

func lowerCase(c byte) bool { return c >= 'a' && c <= 'z' }
func upperCase(c byte) bool { return c >= 'A' && c <= 'Z' }

var alnum = tableOf(keys.Alphanumeric, false)

// raw checks the key candidate whose prefix is at b[s:].
func (st *state) raw(b []byte, s int, n *needle) {
	chain := ""
	if s > 0 && isWord[b[s-1]] {
		switch {
		case escapedBefore(b, s):
			// "…\nhd_live_…" in a JSON or JS string: the n is an escape's
		case percentBefore(b, s):
			chain = "percent" // token%3Dhd_live_…, Bearer%20hd_live_…: in percent-encoded text
		default:
			return
		}
	}
	for _, t := range n.targets {
		if k, ok := st.parse(b, s, t); ok {
			st.hits = append(st.hits, hit{off: s, enc: Raw, chain: chain, key: k})
			return
		}
	}
}

// escapedBefore reports whether b[s-2:s] is a string escape that ends a
// word: \n, \t, \r (and not an escaped backslash followed by n).
func escapedBefore(b []byte, s int) bool {
	if s < 2 || b[s-2] != '\\' || (b[s-1] != 'n' && b[s-1] != 't' && b[s-1] != 'r') {
		return false
	}
	slashes := 0
	for i := s - 2; i >= 0 && b[i] == '\\'; i-- {
		slashes++
	}
	return slashes%2 == 1
}

// percentBefore reports whether b[s-3:s] is a percent-encoded character
// that is not a word character itself (%3D, %20, %26, %0A).
func percentBefore(b []byte, s int) bool {
	if s < 3 || b[s-3] != '%' {
		return false
	}
	c, ok := hexByte(b[s-2], b[s-1])
	return ok && !isWord[c]
}

// parse extracts the candidate for t at b[s:] and parses it with t's
// format; a placeholder is not a key.
func (st *state) parse(b []byte, s int, t *target) (keys.Key, bool) {
	end := t.extract(b, s)
	if end < 0 {
		return keys.Key{}, false
	}
	k, err := t.format.Parse(string(b[s:end]))
	if err != nil {
		return keys.Key{}, false
	}
	if t.jwt {
		// A JWT is web3.storage's only when its claims say so; any other
		// is reported (as a generic JWT) only when asked for.
		if !web3Claims(b[s:end]) && !st.s.genericJWT {
			return keys.Key{}, false
		}
		return k, true
	}
	secret := b[s+len(t.prefix)+t.idLen+len(t.sep) : end]
	if placeholder(string(secret), t.alphabet) {
		return keys.Key{}, false
	}
	return k, true
}

// web3Claims reports whether the JWT tok carries the claims web3.storage
// writes into the API tokens it issues: iss "web3-storage" and a DID
// (did:ethr:0x…, did:key:…) as the subject. Other services' JWTs (an
// OAuth access token, a test fixture) are not web3.storage tokens, however
// well-formed.
func web3Claims(tok []byte) bool {
	i := bytes.IndexByte(tok, '.')
	j := bytes.LastIndexByte(tok, '.')
	if i < 0 || j <= i {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(string(tok[i+1 : j]))
	if err != nil {
		return false
	}
	var c struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return false
	}
	return c.Iss == "web3-storage" && strings.HasPrefix(c.Sub, "did:") && len(c.Sub) > len("did:x:")
}

// isWeb3 reports whether the JWT key k is web3.storage's by its claims.
func isWeb3(k keys.Key) bool { return web3Claims([]byte(k.Reveal())) }

// b64 checks the base64-encoded key candidate whose needle is at b[s:].
func (st *state) b64(b []byte, s int, n *needle, lo, hi int) {
	group := s - n.lead // the first character of the 3-byte group holding the prefix's first byte
	off := group + (4*n.align)/3
	if group < 0 || off < lo || off >= hi {
		return
	}
	if k, last, ok := st.b64Key(b, s, n, &st.dec); ok {
		st.hits = append(st.hits, hit{off: off, enc: alphabetOf(b, off, min(last, len(b))), key: k})
	}
}

// b64Key decodes and parses the key whose base64 needle n is at b[s:],
// decoding into *scratch; last is one past the last character holding the
// key's bits (as if the text had no line breaks).
func (st *state) b64Key(b []byte, s int, n *needle, scratch *[]byte) (k keys.Key, last int, ok bool) {
	group := s - n.lead
	if group < 0 {
		return k, 0, false
	}
	// Decode from one group earlier when there is one, to see the byte
	// before the key.
	start, skip := group, n.align
	if group >= 4 && b64Table[b[group-1]] >= 0 && b64Table[b[group-2]] >= 0 && b64Table[b[group-3]] >= 0 && b64Table[b[group-4]] >= 0 {
		start, skip = group-4, n.align+3
	}
	for i := start; i < s; i++ {
		if b64Table[b[i]] < 0 {
			return k, 0, false
		}
	}
	for _, t := range n.targets {
		// Enough bytes for the longest key of t and the byte after it.
		want := skip + len(n.prefix) + t.idLen + len(t.sep) + t.maxBody + 1
		*scratch = decodeB64Wrapped((*scratch)[:0], b, start, want)
		d := *scratch
		if len(d) < skip+len(n.prefix) || string(d[skip:skip+len(n.prefix)]) != string(n.prefix) {
			return k, 0, false
		}
		if skip > 0 && isWord[d[skip-1]] {
			return k, 0, false
		}
		if k, ok := st.parse(d, skip, t); ok {
			keyLen := len(k.Reveal())
			return k, start + (4*(skip+keyLen)+2)/3, true
		}
	}
	return k, 0, false
}

// b64b64 checks the key whose base64 form is base64-encoded again (a
// base64 value inside a base64-encoded file, a Kubernetes secret's
// .dockerconfigjson), the outer needle n at b[s:].
func (st *state) b64b64(b []byte, s int, n *needle, lo, hi int) {
	group := s - n.lead
	off := group + (4*n.align)/3
	if group < 0 || off < lo || off >= hi {
		return
	}
	// Decode the outer text from two groups earlier when there are two
	// (the inner check looks one group back), then check the inner needle
	// where the outer one says it is.
	start, skip := group, n.align
	for back := 0; back < 2 && start >= 4; back++ {
		if b64Table[b[start-1]] < 0 || b64Table[b[start-2]] < 0 || b64Table[b[start-3]] < 0 || b64Table[b[start-4]] < 0 {
			break
		}
		start, skip = start-4, skip+3
	}
	inner := n.inner
	want := skip + len(inner.text) + (4*(maxKeyLen+64))/3 + 8
	st.dec2 = decodeB64Wrapped(st.dec2[:0], b, start, want)
	d := st.dec2
	if len(d) < skip+len(inner.text) || string(d[skip:skip+len(inner.text)]) != string(inner.text) {
		return
	}
	if k, _, ok := st.b64Key(d, skip, inner, &st.dec); ok {
		st.hits = append(st.hits, hit{off: off, enc: alphabetOf(b, off, min(off+len(n.text), len(b))), chain: "base64>base64", key: k})
	}
}

// b64LineBefore returns how many base64 characters are before b[e] on its
// line (81 at most), a JSON "\n" escape ending the line before.
func b64LineBefore(b []byte, e int) int {
	n := 0
	for j := e - 1; j >= 0 && n <= 80 && b64Table[b[j]] >= 0; j-- {
		if b[j] == 'n' && j > 0 && b[j-1] == '\\' {
			break
		}
		n++
	}
	return n
}

// decodeB64Wrapped appends to dst at most want bytes decoded from the
// base64 text at b[start:], in either alphabet, through the line breaks of
// wrapped base64 (PEM and MIME wrap at 64 and 76 columns, base64(1) at 76;
// \r\n, a JSON "\n" escape, and indentation after the break count too)
// and JSON's escaped slash (\/). A line break ends the text unless the
// line before it holds 60 or more base64 characters, a multiple of 4, and
// base64 goes on after it.
func decodeB64Wrapped(dst, b []byte, start, want int) []byte {
	var acc uint32
	bits := 0
	// The base64 characters on the line before start.
	line := b64LineBefore(b, start)
	for i := start; i < len(b) && len(dst) < want; {
		c := b[i]
		v := b64Table[c]
		if v < 0 && c == '\\' && i+1 < len(b) && b[i+1] == '/' {
			v, i = 63, i+1 // JSON's \/ is a /
		}
		if v >= 0 {
			acc = acc<<6 | uint32(v)
			bits += 6
			if bits >= 8 {
				bits -= 8
				dst = append(dst, byte(acc>>bits))
			}
			line++
			i++
			continue
		}
		if line < 60 || line%4 != 0 {
			break
		}
		j := i
		switch {
		case c == '\r' && j+1 < len(b) && b[j+1] == '\n':
			j += 2
		case c == '\n':
			j++
		case c == '\\' && j+1 < len(b) && b[j+1] == 'n':
			j += 2
		case c == '\\' && j+3 < len(b) && b[j+1] == 'r' && b[j+2] == '\\' && b[j+3] == 'n':
			j += 4
		default:
			return dst
		}
		for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
			j++
		}
		if j >= len(b) || b64Table[b[j]] < 0 {
			break
		}
		i, line = j, 0
	}
	return dst
}

// alphabetOf says which base64 alphabet the run of base64 characters
// around b[from:to] is written in: the key's own characters cannot say (a
// key's ASCII never encodes to + / - or _), the run around it often does.
// Base64 when nothing tells.
func alphabetOf(b []byte, from, to int) Encoding {
	lo := from
	for lo > max(0, from-maxRunLook) && b64Table[b[lo-1]] >= 0 {
		lo--
	}
	hi := to
	for hi < min(len(b), to+maxRunLook) && b64Table[b[hi]] >= 0 {
		hi++
	}
	for _, c := range b[lo:hi] {
		switch c {
		case '-', '_':
			return Base64URL
		case '+', '/':
			return Base64
		}
	}
	return Base64
}

// maxRunLook bounds how far alphabetOf looks on either side; the scanner
// keeps at least this much before the region it scans, so that the answer
// does not depend on where a chunk ends.
const maxRunLook = 512

// b64Table maps both base64 alphabets (standard and URL) to 6-bit values;
// -1 for any other byte.
var b64Table = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(std); i++ {
		t[std[i]] = int8(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

// decodeB64 appends to dst the bytes that src encodes, in either alphabet,
// up to its first character that is not base64 (padding included); a final
// partial group gives the whole bytes it holds.
func decodeB64(dst, src []byte) []byte {
	var acc uint32
	bits := 0
	for _, c := range src {
		v := b64Table[c]
		if v < 0 {
			break
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			dst = append(dst, byte(acc>>bits))
		}
	}
	return dst
}
