package scan

import (
	"math"
	"strings"

	"github.com/apikit/apikit-go/keys"
)

// maxKeyLen bounds every key the scanner extracts, as keys.Parse does.
const maxKeyLen = 4096

// target is one prefix of one format: what the scanner extracts after a
// needle for it matched.
type target struct {
	format *keys.Format
	prefix string
	jwt    bool // the web3.storage JWT: "eyJ", three dot-separated parts
	idLen  int
	idSet  charTable
	sep    string
	body   charTable
	// maxBody bounds the secret; one more character is read, so that a
	// secret one character too long is seen as such and rejected.
	maxBody int
	// alphabet is how many characters the secret may hold: it sets how
	// long a run of one character (or of consecutive ones, "abcdef") must
	// be to mark a placeholder rather than a random key.
	alphabet int
}

type charTable [256]bool

func tableOf(cs keys.Charset, delimit bool) charTable {
	var t charTable
	for c := 0; c < 256; c++ {
		t[c] = cs.Contains(byte(c))
	}
	if delimit && cs == "" {
		// A format that allows any printable character: stop at the
		// characters that surround a key in code and configuration.
		for _, c := range []byte("\"'`,;()[]{}<>\\") {
			t[c] = false
		}
	}
	return t
}

func (t *charTable) size() int {
	n := 0
	for _, ok := range t {
		if ok {
			n++
		}
	}
	return n
}

// newTargets returns the targets of f, one per prefix.
func newTargets(f *keys.Format) []*target {
	if f == keys.Web3Storage {
		return []*target{{format: f, prefix: "eyJ", jwt: true, maxBody: maxKeyLen}}
	}
	var out []*target
	for _, p := range f.Prefixes {
		t := &target{format: f, prefix: p.Text, idLen: f.IDLength, sep: f.Separator,
			idSet: tableOf(f.IDCharset, true), body: tableOf(f.Charset, true)}
		t.maxBody = maxKeyLen
		if f.MaxLength > 0 && f.MaxLength < maxKeyLen {
			t.maxBody = f.MaxLength
		}
		t.alphabet = t.body.size()
		out = append(out, t)
	}
	return out
}

// isWord reports the bytes that continue an identifier or a key: a key
// must not be preceded or followed by one (hd_live_… inside a longer token
// is something else).
var isWord = func() (t charTable) {
	for _, c := range []byte(string(keys.URLSafe)) {
		t[c] = true
	}
	return t
}()

// extract returns the end of the key candidate that starts with t's prefix
// at b[s:], or -1. The candidate is as long as the format lets it be, so
// that a secret one character too long is rejected by Parse rather than cut
// to the right length.
func (t *target) extract(b []byte, s int) int {
	if t.jwt {
		return extractJWT(b, s)
	}
	i := s + len(t.prefix)
	if t.idLen > 0 {
		if i+t.idLen+len(t.sep) > len(b) {
			return -1
		}
		for _, c := range b[i : i+t.idLen] {
			if !t.idSet[c] {
				return -1
			}
		}
		i += t.idLen
		if string(b[i:i+len(t.sep)]) != t.sep {
			return -1
		}
		i += len(t.sep)
	}
	limit := min(len(b), i+t.maxBody+1)
	j := i
	for j < limit && t.body[b[j]] {
		j++
	}
	if j == i {
		return -1
	}
	if j < len(b) && isWord[b[j]] {
		return -1 // the run goes on beyond the longest key: not a key
	}
	return j
}

var jwtChars = tableOf(keys.URLSafe+".", false)

// extractJWT returns the end of the three-part token at b[s:], or -1.
func extractJWT(b []byte, s int) int {
	limit := min(len(b), s+maxKeyLen+1)
	dots := 0
	j := s
	for j < limit && jwtChars[b[j]] {
		if b[j] == '.' {
			if dots == 2 {
				break // a sentence's full stop, or a fourth part
			}
			dots++
		}
		j++
	}
	if dots != 2 || b[j-1] == '.' {
		return -1
	}
	if j < len(b) && isWord[b[j]] {
		return -1
	}
	return j
}

// placeholder reports whether secret, the random part of a key of a
// charset of alphabet characters, is a placeholder: a long run of one
// character or of consecutive ones, too few distinct characters, or a word
// no random key holds. The run and distinct-character thresholds are set so
// that a random secret is taken for a placeholder with a probability below
// one in 10⁸; the words, below one in 10⁶.
func placeholder(secret string, alphabet int) bool {
	if alphabet < 2 {
		alphabet = 2
	}
	n := len(secret)
	if n == 0 {
		return true
	}
	// Smallest run length L with n·alphabet^-(L-1) < 1e-8.
	limit := int(math.Ceil((math.Log(float64(n))+8*math.Ln10)/math.Log(float64(alphabet)))) + 1
	limit = max(limit, 4)
	same, up, down := 1, 1, 1
	for i := 1; i < n; i++ {
		c, p := secret[i], secret[i-1]
		same = next(same, c == p)
		up = next(up, c == p+1)
		down = next(down, c+1 == p)
		if same >= limit || up >= limit || down >= limit {
			return true
		}
	}
	if d := distinct(secret); n >= 12 && d < 6 || n >= 20 && alphabet >= 32 && d < 8 {
		return true
	}
	lower := strings.ToLower(secret)
	for _, w := range placeholderWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

func next(run int, cont bool) int {
	if cont {
		return run + 1
	}
	return 1
}

func distinct(s string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			n++
		}
	}
	return n
}

// placeholderWords appear in documentation's stand-in keys and, being five
// letters or more, by chance in a random secret with a probability below
// one in a million.
var placeholderWords = [...]string{
	"example", "sample", "placeholder", "changeme", "change_me", "dummy", "redacted", "notreal", "not_real",
	"yourkey", "your_key", "your-key", "yourapi", "your_api", "your-api", "yoursecret", "your_secret",
	"fakekey", "fake_key", "testkey", "test_key", "secretkey", "secret_key", "apikey", "api_key", "insert",
	"replace", "xxxxx",
}
