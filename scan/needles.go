package scan

import (
	"bytes"
	"encoding/base64"
	"sort"

	"github.com/apikit/apikit-go/keys"
)

// A needle is a fixed byte string the prefilter searches for. Each needle
// is found through one of its bytes, its anchor: the scanner runs one
// bytes.IndexByte pass (SIMD on common platforms) per distinct anchor byte
// and compares the needles anchored on that byte where it occurs. Anchors
// are chosen so that few, rarely occurring bytes cover every needle.
type needle struct {
	text []byte
	kind needleKind
	// for needleRaw and needleB64: the prefix this needle stands for and
	// the targets whose keys start with it.
	prefix  []byte
	targets []*target
	// for needleB64: the prefix starts at byte align (0-2) of a 3-byte
	// group, and the needle starts lead characters after that group's first
	// character.
	align, lead int
	// for needleEncoded: how the prefix is written.
	textEnc textEncoding
	// for needleB64B64: the base64 needle this one is the base64 form of
	// (its prefix is inner.text; align and lead place it, as above).
	inner *needle
}

type needleKind uint8

const (
	needleRaw     needleKind = iota // a key prefix, raw
	needleB64                       // a key prefix, base64-encoded
	needleKeyword                   // a word naming a service, any case
	needleB64Var                    // ENVIO_API_TOKEN, base64-encoded (a whole .env encoded)
	needleEncoded                   // a key prefix in hex, percent-encoding, \u or \x escapes
	needleB64B64                    // a key prefix's base64 form, base64-encoded again
	needleSeam                      // a line break that may wrap base64 through a needle
)

// anchorRef is a needle and the index of its anchor byte in it.
type anchorRef struct {
	n *needle
	k int
	// head is the needle's first 8 bytes (fewer: mask says which), as a
	// little-endian word; fold is OR-ed into the text's bytes first (0x20
	// for a keyword, compared in any case): one load and compare rejects
	// most candidates before the needle's own comparison. A seam's mask is
	// 0: it has no text to compare.
	head, mask, fold uint64
}

// withHead returns r with its head, mask and fold set.
func withHead(r anchorRef) anchorRef {
	if r.n.kind == needleSeam {
		return r
	}
	for i, c := range r.n.text[:min(8, len(r.n.text))] {
		r.head |= uint64(c) << (8 * i)
		r.mask |= 0xff << (8 * i)
		if r.n.kind == needleKeyword {
			r.fold |= 0x20 << (8 * i)
		}
	}
	return r
}

// anchorGroup is every needle found through one anchor byte. Where the
// anchor occurs, the byte after it (or before it, for a needle anchored on
// its last byte) selects the needles to compare, so that most occurrences
// cost two table lookups.
type anchorGroup struct {
	b              byte
	refs           []anchorRef
	byNext, byPrev [256]uint16 // 1 + index in lists; 0: no needle
	lists          [][]anchorRef
	// before and after bound how far, relative to the owned region, this
	// group's anchors must be searched for.
	before, after int
}

// b64Needles returns the base64 forms of prefix in the three byte
// alignments it can have inside a longer base64 run, in the standard and
// the URL alphabet: for each, the characters fully determined by the prefix.
func b64Needles(prefix []byte, targets []*target) []*needle {
	var out []*needle
	for align := 0; align < 3; align++ {
		z := make([]byte, align+len(prefix))
		copy(z[align:], prefix)
		enc := base64.RawStdEncoding.EncodeToString(z)
		first := (8*align + 5) / 6 // first character whose 6 bits all come from the prefix
		last := (8*len(z))/6 - 1   // last such character
		if last-first+1 < 3 {
			continue // too short to search for; longer prefixes are needed
		}
		std := []byte(enc[first : last+1])
		url := bytes.Map(func(r rune) rune {
			switch r {
			case '+':
				return '-'
			case '/':
				return '_'
			}
			return r
		}, std)
		out = append(out, &needle{text: std, kind: needleB64, prefix: prefix, targets: targets, align: align, lead: first})
		if !bytes.Equal(std, url) {
			out = append(out, &needle{text: url, kind: needleB64, prefix: prefix, targets: targets, align: align, lead: first})
		}
	}
	return out
}

// contextKeywords name the service of a bare UUID key: a UUID is reported
// only within contextWindow bytes of one of them, in any case.
var contextKeywords = [...]string{"envio", "hypersync"}

// jwtHeaderStarts are how a JWT's header usually begins, base64url-encoded:
// {"alg":, {"typ": and {"kid":. A base64-encoded JWT is found when its header
// begins with one of them.
var jwtHeaderStarts = [...]string{"eyJhbGciOi", "eyJ0eXAiOi", "eyJraWQiOi"}

// groupByPrefix returns targets by prefix, and the prefixes in order.
func groupByPrefix(targets []*target) (map[string][]*target, []string) {
	byPrefix := map[string][]*target{}
	var order []string
	for _, t := range targets {
		if _, ok := byPrefix[t.prefix]; !ok {
			order = append(order, t.prefix)
		}
		byPrefix[t.prefix] = append(byPrefix[t.prefix], t)
	}
	return byPrefix, order
}

// buildGroups makes the needles for targets and chooses their anchors.
func buildGroups(targets []*target, uuid, seams bool) []anchorGroup {
	byPrefix, order := groupByPrefix(targets)
	refs := map[byte][]anchorRef{}
	if uuid {
		// The context words come first: their anchors are needed anyway,
		// so the needles that hold one of those bytes are found for free.
		for _, kw := range contextKeywords {
			n := &needle{text: []byte(kw), kind: needleKeyword}
			k := 0
			for i := range kw {
				if byteFreq(kw[i])+byteFreq(kw[i]-'a'+'A') < byteFreq(kw[k])+byteFreq(kw[k]-'a'+'A') {
					k = i
				}
			}
			refs[kw[k]] = append(refs[kw[k]], anchorRef{n: n, k: k})
			refs[kw[k]-'a'+'A'] = append(refs[kw[k]-'a'+'A'], anchorRef{n: n, k: k})
		}
	}
	var exact []*needle  // case-sensitive needles
	var nested []*needle // base64 in base64: anchored after the others
	for _, p := range order {
		ts := byPrefix[p]
		exact = append(exact, &needle{text: []byte(p), kind: needleRaw, prefix: []byte(p), targets: ts})
		if ts[0].jwt {
			// A JWT's first three characters say little once encoded
			// again; its header's usual first field says more.
			for _, h := range jwtHeaderStarts {
				exact = append(exact, b64Needles([]byte(h), ts)...)
			}
			continue
		}
		first := b64Needles([]byte(p), ts)
		exact = append(exact, first...)
		for _, in := range first {
			for _, n := range b64Needles(in.text, nil) {
				n.kind, n.inner = needleB64B64, in
				nested = append(nested, n)
			}
		}
	}
	if uuid {
		for _, n := range b64Needles([]byte(tokenVar), nil) {
			n.kind = needleB64Var
			exact = append(exact, n)
		}
	}
	var folded [256]bool
	for b := range refs {
		folded[b|0x20] = true
	}
	// Greedy set cover: repeatedly take the byte that covers the most
	// uncovered needles per unit of expected frequency; a byte already
	// searched for costs nothing more.
	left := exact
	for len(left) > 0 {
		var count [256]int
		for _, n := range left {
			var seen [256]bool
			for _, c := range n.text {
				if !seen[c] {
					seen[c] = true
					count[c]++
				}
			}
		}
		best, bestScore := -1, 0.0
		for c := 0; c < 256; c++ {
			if count[c] == 0 {
				continue
			}
			score := float64(byteFreq(byte(c))) / float64(count[c])
			if len(refs[byte(c)]) > 0 || folded[byte(c)|0x20] {
				// Searched for already, or in the same SWAR lane (its
				// other case is): free but for the compares.
				score = -float64(count[c])
			}
			if best < 0 || score < bestScore {
				best, bestScore = c, score
			}
		}
		folded[byte(best)|0x20] = true
		var rest []*needle
		for _, n := range left {
			// The last occurrence: a needle's last bytes are the most
			// specific (the "_" ending a prefix, say).
			if k := bytes.LastIndexByte(n.text, byte(best)); k >= 0 {
				refs[byte(best)] = append(refs[byte(best)], anchorRef{n: n, k: k})
			} else {
				rest = append(rest, n)
			}
		}
		left = rest
	}
	// The prefixes written byte by byte in hex, percent-encoding or
	// escapes: all on the '5' of their encoded underscore.
	for _, p := range order {
		for _, n := range encodedNeedles(p, byPrefix[p]) {
			k := encodedAnchor(n)
			refs[n.text[k]] = append(refs[n.text[k]], anchorRef{n: n, k: k})
		}
	}
	// Base64 in base64: each on a byte already searched for, or in a lane
	// the one SWAR pass compares anyway, else on Z or W (in the range lane
	// v…z), so that these needles add no lane and no pass (a needle with
	// none of those bytes, none among the built-ins', is not searched for).
	for b := range refs {
		folded[b|0x20] = true
	}
	for _, n := range nested {
		k, rank := -1, 4
		for i, c := range n.text {
			r := 3
			switch {
			case len(refs[c]) > 0:
				r = 0
			case folded[c|0x20]:
				r = 1
			case c == 'Z' || c == 'W':
				r = 2 // in the range lane v…z, and rare in code and prose
			}
			if r <= rank {
				k, rank = i, r
			}
		}
		if rank == 3 {
			continue // no such byte: this alignment is not searched for (none of the built-ins' needles)
		}
		folded[n.text[k]|0x20] = true
		refs[n.text[k]] = append(refs[n.text[k]], anchorRef{n: n, k: k})
	}
	// The line breaks of wrapped base64, where a needle may be cut in two.
	if seams {
		refs['\n'] = append(refs['\n'], anchorRef{n: &needle{text: []byte("\n"), kind: needleSeam}, k: 0})
		// "\n" in a JSON string: the backslash shares a SWAR lane with
		// the built-ins' anchors (v…DEL), and is looked up by the n.
		refs['\\'] = append(refs['\\'], anchorRef{n: &needle{text: []byte(`\n`), kind: needleSeam}, k: 0})
	}
	groups := make([]anchorGroup, 0, len(refs))
	for b, rs := range refs {
		g := anchorGroup{b: b, refs: rs}
		for _, r := range rs {
			var cases []byte
			table := &g.byNext
			switch {
			case r.n.kind == needleSeam && r.n.text[0] == '\\':
				cases = []byte{'n'}
			case r.n.kind == needleSeam:
				// A line break after base64 (or after \r): looked at by
				// the byte before it.
				table = &g.byPrev
				cases = []byte("\r")
				for c := 0; c < 256; c++ {
					if b64Table[c] >= 0 {
						cases = append(cases, byte(c))
					}
				}
			case r.k+1 == len(r.n.text):
				table = &g.byPrev
				cases = []byte{r.n.text[r.k-1]}
			default:
				cases = []byte{r.n.text[r.k+1]}
			}
			if r.n.kind == needleKeyword {
				cases = append(cases, cases[0]-'a'+'A')
			}
			for _, c := range cases {
				if table[c] == 0 {
					g.lists = append(g.lists, nil)
					table[c] = uint16(len(g.lists))
				}
				g.lists[table[c]-1] = append(g.lists[table[c]-1], withHead(r))
			}
			switch r.n.kind {
			case needleKeyword:
				g.before = max(g.before, contextWindow+uuidSpan+len(r.n.text))
				g.after = max(g.after, contextWindow+uuidSpan+len(r.n.text))
			case needleSeam:
				g.before = max(g.before, seamReach)
				g.after = max(g.after, seamReach)
			case needleB64B64:
				g.after = max(g.after, len(r.n.text)+4)
				g.before = max(g.before, len(r.n.text))
			case needleB64Var:
				// The UUID it names comes after it, within the window.
				g.before = max(g.before, b64VarReach)
				g.after = max(g.after, len(r.n.text)+4)
			default:
				g.after = max(g.after, len(r.n.text)+4)
			}
		}
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].b < groups[j].b })
	return groups
}

// byteFreq is a rough frequency, per ten thousand bytes, of each byte in
// source code, configuration and logs; it only steers the anchor choice.
func byteFreq(c byte) int {
	switch {
	case c == ' ':
		return 1500
	case c >= 'a' && c <= 'z':
		return lowerFreq[c-'a']
	case c >= 'A' && c <= 'Z':
		return upperFreq[c-'A']
	case c >= '0' && c <= '9':
		return 120 - 8*int(c-'0')
	}
	switch c {
	case '_':
		return 70
	case '\n', '\t', '.', '"', '(', ')', ',':
		return 200
	case '-', '=', ':', '/', '\'':
		return 120
	case '{', '}', '[', ']', ';', '*', '+', '<', '>', '#', '&', '\\':
		return 40
	}
	return 10
}

var lowerFreq = [26]int{
	550, 120, 300, 300, 800, 150, 150, 200, 500, 20, 60, 350, 200, // a-m
	500, 500, 200, 20, 500, 500, 650, 250, 130, 100, 85, 100, 20, // n-z
}

var upperFreq = [26]int{
	60, 50, 60, 60, 60, 50, 50, 50, 60, 40, 40, 55, 50, // A-M
	55, 55, 50, 40, 55, 60, 60, 45, 42, 42, 40, 42, 40, // N-Z
}

// builtinFormats returns the built-in formats the scanner looks for.
func builtinFormats() []*keys.Format {
	return []*keys.Format{keys.Hypedata, keys.Hypersave, keys.HopX, keys.HyperSync, keys.Web3Storage}
}
