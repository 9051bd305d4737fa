package scan

// Base64 wrapped at 64 or 76 columns (PEM, MIME, base64(1)'s output, a YAML
// block) can cut a needle in two at a line break, where the prefilter does
// not see it. The scanner looks at each line break that ends a line of 60
// to 80 base64 characters, a multiple of 4, followed (after indentation) by
// more base64: the needles that end on the next line are looked up by its
// first two characters, checked against the end of the line before, and the
// key is decoded through the break.

// seamReach bounds how far from a line break the text a seam looks at
// lies: a line before, the indentation and a needle after.
const seamReach = 80 + 2 + 64 + 16

// seamCut is a base64 needle cut at i: text[:i] ends a line, text[i:]
// starts the next.
type seamCut struct {
	n *needle
	i int
}

// seamTable holds every cut of every base64 needle, by the 6-bit values of
// the first two characters after the cut (or of the one, for a cut before
// the last).
type seamTable struct {
	has [64 * 64 / 64]uint64 // the bit of each non-empty two, looked up first (most are empty)
	two [64 * 64][]seamCut
	one [64][]seamCut
}

func newSeamTable(targets []*target) *seamTable {
	byPrefix, order := groupByPrefix(targets)
	st := &seamTable{}
	any := false
	for _, p := range order {
		ts := byPrefix[p]
		var ns []*needle
		if ts[0].jwt {
			for _, h := range jwtHeaderStarts {
				ns = append(ns, b64Needles([]byte(h), ts)...)
			}
		} else {
			ns = b64Needles([]byte(p), ts)
		}
		for _, n := range ns {
			for i := 1; i < len(n.text); i++ {
				c := seamCut{n, i}
				any = true
				if len(n.text)-i >= 2 {
					k := int(b64Table[n.text[i]])*64 + int(b64Table[n.text[i+1]])
					st.two[k] = append(st.two[k], c)
					st.has[k/64] |= 1 << (k % 64)
				} else {
					st.one[b64Table[n.text[i]]] = append(st.one[b64Table[n.text[i]]], c)
				}
			}
		}
	}
	if !any {
		return nil
	}
	return st
}

// seam checks the line break at b[p] (a newline, or the backslash of a
// "\n" escape) for base64 needles cut by it.
func (st *state) seam(b []byte, p, lo, hi int) {
	e, brk := p, 1 // the end of the line before; the break's length
	switch {
	case b[p] == '\\': // a JSON or JS string's "\n" (or "\r\n")
		if p+1 >= len(b) || b[p+1] != 'n' {
			return
		}
		brk = 2
		if e >= 2 && b[e-2] == '\\' && b[e-1] == 'r' {
			e -= 2
		}
	case e > 0 && b[e-1] == '\r':
		e--
	}
	// A few characters of the line first: a line of text (a log line, code)
	// has a space or a quote among them.
	if e < 60 || b64Table[b[e-1]] < 0 || b64Table[b[e-60]] < 0 || b64Table[b[e-12]] < 0 ||
		b64Table[b[e-24]] < 0 || b64Table[b[e-36]] < 0 || b64Table[b[e-48]] < 0 {
		return
	}
	n := p + brk // the next line's first base64 character
	for n < len(b) && n-p <= 64 && (b[n] == ' ' || b[n] == '\t') {
		n++
	}
	if n+1 >= len(b) || b64Table[b[n]] < 0 {
		return
	}
	// The cuts whose end starts the next line; most lines have none.
	var two []seamCut
	if v := b64Table[b[n+1]]; v >= 0 {
		if k := int(b64Table[b[n]])*64 + int(v); st.s.seams.has[k/64]&(1<<(k%64)) != 0 {
			two = st.s.seams.two[k]
		}
	}
	one := st.s.seams.one[b64Table[b[n]]]
	if len(two)+len(one) == 0 {
		return
	}
	k := e - b64LineBefore(b, e) // the line's first base64 character
	if l := e - k; l < 60 || l > 80 || l%4 != 0 {
		return
	}
	st.seamCuts(b, two, k, e, n, lo, hi)
	st.seamCuts(b, one, k, e, n, lo, hi)
}

// seamCuts checks the cuts at the break between the line b[k:e] and the
// next, whose base64 starts at b[n].
func (st *state) seamCuts(b []byte, cuts []seamCut, k, e, n, lo, hi int) {
	for _, c := range cuts {
		head, tail := c.n.text[:c.i], c.n.text[c.i:]
		if e-k < len(head) || string(b[e-len(head):e]) != string(head) ||
			n+len(tail) > len(b) || string(b[n:n+len(tail)]) != string(tail) {
			continue
		}
		// The line before and what follows the break, joined.
		st.join = append(append(st.join[:0], b[k:e]...), b[n:min(len(b), n+seamReach+6*maxKeyLen)]...)
		s := e - k - len(head)
		group := s - c.n.lead
		off := group + (4*c.n.align)/3 // in the joined text
		if group < 0 {
			continue
		}
		at := k + off // where that character is in b
		if off >= e-k {
			at = n + off - (e - k)
		}
		if at < lo || at >= hi {
			continue
		}
		if key, _, ok := st.b64Key(st.join, s, c.n, &st.dec); ok {
			st.hits = append(st.hits, hit{off: at, enc: alphabetOf(b, at, min(len(b), at+len(c.n.text))), key: key})
		}
	}
}
