package redact

import (
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// MinRun is the shortest piece of a secret a Set finds on its own: a server
// that echoes "hd_live_8K2nB7q4XwY1…" has printed twelve characters of the
// key's secret, and no run of MinRun of them may reach the caller.
const MinRun = 8

// A Set finds secrets in text, prepared once so that scrubbing a field costs
// a scan, not an encoding: for each secret it keeps the forms a server may
// echo (as sent, URL-escaped for a query and for a path, base64 in the
// standard and URL alphabets, padded and raw) and every run of MinRun bytes
// of the secret part of each form. The secret part is all of a form but a
// public prefix such as "hd_live_" (see PublicPrefix), so that an echoed
// "hd_live_8K2nB7q4…" keeps the words a person needs ("hd_live_REDACTED…")
// and a server's "hd_live_ keys only" is not mangled.
//
// A nil *Set finds nothing. A Set is safe for concurrent use.
type Set struct {
	forms []string // whole forms, distinct, longest first
	runs  runTable
}

// NewSet prepares the secrets: each is found whole, in every form, and by
// any run of MinRun bytes of its secret part. Values found only whole (a
// long query value that may or may not be a credential, where a run such as
// "https://" would shred the server's message) go in whole. Empty values
// are ignored; with none left, NewSet returns nil.
func NewSet(secrets, whole []string) *Set {
	var s Set
	seen := make(map[string]bool)
	addForm := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			s.forms = append(s.forms, f)
		}
	}
	for _, v := range whole {
		for _, f := range forms(v) {
			addForm(f)
		}
	}
	var runs []uint64
	for _, v := range secrets {
		if v == "" {
			continue
		}
		pub := PublicPrefix(v)
		for i, f := range forms(v) {
			addForm(f)
			fpub := pub // URL escaping leaves a prefix of [a-z0-9_] as it is
			if i >= 3 { // base64: whole groups of three bytes of the prefix
				fpub = pub / 3 * 4
			}
			for j := fpub; j+MinRun <= len(f); j++ {
				runs = append(runs, pack(f[j:j+MinRun]))
			}
		}
	}
	if len(s.forms) == 0 {
		return nil
	}
	// Longest first, so that a form holding another is removed whole;
	// padded base64 before raw, so that no "=" is left behind.
	sort.SliceStable(s.forms, func(i, j int) bool { return len(s.forms[i]) > len(s.forms[j]) })
	s.runs = newRunTable(runs)
	return &s
}

// forms returns the spellings of v a server may echo; see Set.
func forms(v string) []string {
	if v == "" {
		return nil
	}
	b := []byte(v)
	return []string{
		v, url.QueryEscape(v), url.PathEscape(v),
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
	}
}

// PublicPrefix returns the length of the part of a key that names its kind
// rather than proving anything: "<service>_live_" or "<service>_test_"
// ("hd_live_", "hopx_test_") at the start of the key, made of lower-case
// letters, digits and underscores. 0 when there is none.
func PublicPrefix(key string) int {
	const maxPrefix = 24
	for i := 0; i < len(key) && i+len("_live_") <= maxPrefix; i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return 0
		}
		if c == '_' && i > 0 {
			rest := key[i:]
			if strings.HasPrefix(rest, "_live_") || strings.HasPrefix(rest, "_test_") {
				return i + len("_live_")
			}
		}
	}
	return 0
}

// Redact returns text with every secret of s replaced by Placeholder: whole
// forms first, then every run of MinRun bytes or more of a secret part (one
// Placeholder for each stretch of overlapping runs). Text that holds none is
// returned as it is, without allocating.
func (s *Set) Redact(text string) string {
	if s == nil || text == "" {
		return text
	}
	for _, f := range s.forms {
		if strings.Contains(text, f) {
			text = strings.ReplaceAll(text, f, Placeholder)
		}
	}
	if s.runs.empty() || len(text) < MinRun {
		return text
	}
	var (
		b          strings.Builder
		x          uint64
		start, end = -1, -1 // the stretch being redacted
		copied     int      // text[:copied] is in b
	)
	for i := 0; i < len(text); i++ {
		x = x<<8 | uint64(text[i])
		if i < MinRun-1 || !s.runs.has(x) {
			continue
		}
		lo := i + 1 - MinRun
		if start >= 0 && lo <= end { // overlaps or touches the stretch
			end = i + 1
			continue
		}
		if start >= 0 {
			b.WriteString(text[copied:start])
			b.WriteString(Placeholder)
			copied = end
		}
		start, end = lo, i+1
	}
	if start < 0 {
		return text
	}
	b.WriteString(text[copied:start])
	b.WriteString(Placeholder)
	b.WriteString(text[end:])
	return b.String()
}

// pack reads eight bytes as one number, first byte highest, as Redact's
// rolling window does.
func pack(w string) uint64 {
	var x uint64
	for i := 0; i < MinRun; i++ {
		x = x<<8 | uint64(w[i])
	}
	return x
}

// runTable is a set of packed runs: open addressing, at most half full, so
// that a lookup is a multiply, a shift and a probe or two.
type runTable struct {
	keys  []uint64
	used  []bool
	shift uint
}

func newRunTable(runs []uint64) runTable {
	if len(runs) == 0 {
		return runTable{}
	}
	bits := uint(4)
	for 1<<bits < 2*len(runs) {
		bits++
	}
	t := runTable{keys: make([]uint64, 1<<bits), used: make([]bool, 1<<bits), shift: 64 - bits}
	for _, r := range runs {
		i := t.slot(r)
		for t.used[i] && t.keys[i] != r {
			i = (i + 1) & (len(t.keys) - 1)
		}
		t.keys[i], t.used[i] = r, true
	}
	return t
}

func (t *runTable) empty() bool { return len(t.keys) == 0 }

func (t *runTable) slot(x uint64) int { return int((x * 0x9E3779B97F4A7C15) >> t.shift) }

func (t *runTable) has(x uint64) bool {
	for i := t.slot(x); t.used[i]; i = (i + 1) & (len(t.keys) - 1) {
		if t.keys[i] == x {
			return true
		}
	}
	return false
}
