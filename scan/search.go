package scan

import (
	"bytes"
	"encoding/base64"
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
	if s > 0 && isWord[b[s-1]] {
		return
	}
	for _, t := range n.targets {
		if k, ok := st.parse(b, s, t); ok {
			st.hits = append(st.hits, hit{off: s, enc: Raw, key: k})
			return
		}
	}
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
	// Decode from one group earlier when there is one, to see the byte
	// before the key.
	start, skip := group, n.align
	if group >= 4 && b64Table[b[group-1]] >= 0 && b64Table[b[group-2]] >= 0 && b64Table[b[group-3]] >= 0 && b64Table[b[group-4]] >= 0 {
		start, skip = group-4, n.align+3
	}
	for i := start; i < s; i++ {
		if b64Table[b[i]] < 0 {
			return
		}
	}
	for _, t := range n.targets {
		// Enough characters for the longest key of t and the byte after it.
		want := skip + len(n.prefix) + t.idLen + len(t.sep) + t.maxBody + 1
		st.dec = decodeB64(st.dec[:0], b[start:min(len(b), start+(want*4+2)/3+4)])
		d := st.dec
		if len(d) < skip+len(n.prefix) || string(d[skip:skip+len(n.prefix)]) != string(n.prefix) {
			return
		}
		if skip > 0 && isWord[d[skip-1]] {
			return
		}
		if k, ok := st.parse(d, skip, t); ok {
			keyLen := len(k.Reveal())
			last := start + (4*(skip+keyLen)+2)/3 // one past the last character holding the key's bits
			st.hits = append(st.hits, hit{off: off, enc: alphabetOf(b, off, min(last, len(b))), key: k})
			return
		}
	}
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
