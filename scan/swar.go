package scan

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
)

// swarPlan finds every anchor byte in one pass, 64 bytes at a time, when the
// anchors fold (ASCII case folded by OR-ing 0x20) to at most four single
// values and one range of values (twelve apart at most): each 16-byte vector
// (SSE2, on amd64) or 8-byte word (SWAR, elsewhere) is compared with all of
// them at once, and the positions that match are visited from a 64-bit
// mask. That costs one pass where one bytes.IndexByte pass per anchor byte
// would call IndexByte again at every occurrence of each. A folded match
// that is not an anchor (an 'x' for an 'X', a '{' inside a range) is
// dropped by the pair lookup (pairNext, pairPrev). Line feeds, the seams'
// anchor, get a mask of their own (searchSWAR).
type swarPlan struct {
	ok      bool
	targets [4]uint64 // the folded single anchor values, each in every byte
	// The folded values from one to another (the built-ins' v w x y z and
	// '_'|0x20 = DEL) are anchors too, found by one range test; rlo and rhi
	// hold the range as that test takes it.
	rlo, rhi uint64
	group    [256]int16 // 1 + index in Scanner.groups of the byte's group; 0: none
	// pat holds the same as 16-byte vectors, for swarMasksSSE2: the fold
	// (0x20), the four singles, the range's low value and its width, and
	// the line feed.
	pat swarPat
	// pairNext has the bit c<<8|d set when an anchor byte c's group has
	// needles for the byte d after it; pairPrev, the bit d<<8|c when it
	// has needles for the byte d before it: one lookup (8 KiB each, in
	// L1) decides whether an anchor occurrence goes any further.
	pairNext, pairPrev [1 << 16 / 64]uint64
	before             int
	after              int
}

const (
	swarOnes  = 0x0101010101010101
	swarHighs = 0x8080808080808080
	swarLower = 0x2020202020202020
	swarLow7  = 0x7f7f7f7f7f7f7f7f
)

func newSWARPlan(groups []anchorGroup) swarPlan {
	var p swarPlan
	var folded []byte
	for i, g := range groups {
		p.group[g.b] = int16(i + 1)
		for d := range 256 {
			if g.byNext[d] != 0 {
				k := int(g.b)<<8 | d
				p.pairNext[k/64] |= 1 << (k % 64)
			}
			if g.byPrev[d] != 0 {
				k := d<<8 | int(g.b)
				p.pairPrev[k/64] |= 1 << (k % 64)
			}
		}
		p.before = max(p.before, g.before)
		p.after = max(p.after, g.after)
		if g.b == '\n' {
			continue // line breaks have a lane of their own (searchSWAR)
		}
		if g.b >= 0x80 {
			return swarPlan{} // the masks flag ASCII only
		}
		f := g.b | 0x20
		seen := false
		for _, v := range folded {
			seen = seen || v == f
		}
		if !seen {
			folded = append(folded, f)
		}
	}
	if len(folded) == 0 {
		return swarPlan{}
	}
	slices.Sort(folded)
	// Four single values and one range (which may be one value): the
	// range that leaves at most four singles and holds the fewest values
	// that are not anchors (each a false hit to drop), then leaves the
	// fewest singles (at most 12 apart, ASCII).
	best, bi, bj := -1, 0, 0
	for i := range folded {
		for j := i; j < len(folded) && folded[j] < 0x80 && int(folded[j])-int(folded[i]) <= 12; j++ {
			left := len(folded) - (j - i + 1)
			if left > len(p.targets) {
				continue
			}
			score := (int(folded[j]-folded[i])+1-(j-i+1))*100 + left
			if best < 0 || score < best {
				best, bi, bj = score, i, j
			}
		}
	}
	if best < 0 {
		return swarPlan{}
	}
	p.rlo = swarOnes * uint64(127-(int(folded[bi])-1))
	p.rhi = swarOnes * uint64(127+int(folded[bj])+1)
	singles := append(append([]byte{}, folded[:bi]...), folded[bj+1:]...)
	if len(singles) == 0 {
		singles = folded[bi : bi+1]
	}
	for i := range p.targets {
		v := singles[min(i, len(singles)-1)]
		p.targets[i] = swarOnes * uint64(v)
		p.pat[1+i] = vec16(v)
	}
	p.pat[0] = vec16(0x20)
	p.pat[5] = vec16(folded[bi])
	p.pat[6] = vec16(folded[bj] - folded[bi])
	p.pat[7] = vec16('\n')
	p.ok = true
	return p
}

// searchSWAR is search for a Scanner whose anchors fit a swarPlan.
func (st *state) searchSWAR(b []byte, lo, hi int) {
	pl := &st.s.swar
	from := max(0, lo-pl.before)
	to := min(len(b), hi+pl.after)
	seams := st.s.seams != nil
	// The last line break before from (-1: the input starts the line), or
	// far enough back to count as none.
	prevNL := from - 1 - 151
	if j := bytes.LastIndexByte(b[max(0, from-151):from], '\n'); j >= 0 {
		prevNL = max(0, from-151) + j
	} else if st.base == 0 && from <= 151 {
		prevNL = -1
	}
	var am, nm [swarBatch]uint64
	i := from
	for i+64 <= to {
		nb := min((to-i)/64, swarBatch)
		swarMasks(pl, b[i:i+nb*64], &am, &nm, nb)
		for k := 0; k < nb; k, i = k+1, i+64 {
			if nl := nm[k]; nl != 0 && seams {
				// Line breaks are not visited one by one: a seam needs
				// a line longer than 60 characters, so only the first
				// break of the block can end one (a later one only when
				// the first is within 3 bytes of the block's start).
				if first := bits.TrailingZeros64(nl); first < 3 {
					for m := nl; m != 0; m &= m - 1 {
						p := i + bits.TrailingZeros64(m)
						if l := p - prevNL; l > 60 && l <= 150 {
							st.seam(b, p, lo, hi)
						}
						prevNL = p
					}
				} else {
					if l := i + first - prevNL; l > 60 && l <= 150 {
						st.seam(b, i+first, lo, hi)
					}
					prevNL = i + 63 - bits.LeadingZeros64(nl)
				}
			}
			for mask := am[k]; mask != 0; mask &= mask - 1 {
				p := i + bits.TrailingZeros64(mask)
				// Most occurrences (and every folded look-alike) go no
				// further than the bytes next to them: looked up here,
				// without a call.
				c := uint(b[p])
				if (p+1 >= len(b) || pl.pairNext[(c<<8|uint(b[p+1]))/64]&(1<<((c<<8|uint(b[p+1]))%64)) == 0) &&
					(p == 0 || pl.pairPrev[(uint(b[p-1])<<8|c)/64]&(1<<((uint(b[p-1])<<8|c)%64)) == 0) {
					continue
				}
				st.anchorAt(b, p, lo, hi)
			}
		}
	}
	for ; i < to; i++ {
		if b[i] == '\n' && seams {
			if l := i - prevNL; l > 60 && l <= 150 {
				st.seam(b, i, lo, hi)
			}
			prevNL = i
			continue
		}
		st.anchorAt(b, i, lo, hi)
	}
}

// anchorAt handles b[p] if it is an anchor byte, as search does.
func (st *state) anchorAt(b []byte, p, lo, hi int) {
	gi := st.s.swar.group[b[p]]
	if gi == 0 {
		return
	}
	g := &st.s.groups[gi-1]
	if p < lo-g.before || p >= hi+g.after {
		return
	}
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

// swarBatch is how many 64-byte blocks swarMasks flags at a time.
const swarBatch = 64

// swarPat is a swarPlan as 16-byte vectors (see swarPlan.pat).
type swarPat [8][16]byte

func vec16(v byte) (r [16]byte) {
	for i := range r {
		r[i] = v
	}
	return r
}

// swarMasksGo sets am[k] to the flags of the anchor bytes of the k-th
// 64-byte block of b (nb blocks), one bit per byte, and nm[k] to those of
// its line feeds, 8 bytes at a time in general-purpose registers: exact,
// each single value costing three operations. Per byte of the folded low
// seven bits l, (l^t)+0x7f has its high bit clear exactly when l == t (no
// carry leaves the byte), so the AND over the singles has it clear where
// any matches; the range test (Bit Twiddling Hacks' hasbetween) sets it
// where rlo <= l <= rhi. Bytes of 128 and up (w's own high bit) are never
// flagged. swarMasksSSE2 computes the same 16 bytes at a time.
func swarMasksGo(pl *swarPlan, b []byte, am, nm *[swarBatch]uint64, nb int) {
	t0, t1, t2, t3 := pl.targets[0], pl.targets[1], pl.targets[2], pl.targets[3]
	rlo, rhi := pl.rlo, pl.rhi
	word := func(w uint64) (anchors, nls uint64) {
		l := w&swarLow7 | swarLower
		a := (l ^ t0 + swarLow7) & (l ^ t1 + swarLow7) & (l ^ t2 + swarLow7) & (l ^ t3 + swarLow7)
		m := (^a | (rhi-l)&(l+rlo)) &^ w & swarHighs
		x := w ^ (swarOnes * '\n')
		n := ^((x&swarLow7 + swarLow7) | x) & swarHighs
		return (m >> 7) * 0x0102040810204080 >> 56, (n >> 7) * 0x0102040810204080 >> 56
	}
	for k := 0; k < nb; k++ {
		blk := b[k*64 : k*64+64 : k*64+64]
		var a, n uint64
		for j := 0; j < 8; j++ {
			wa, wn := word(binary.LittleEndian.Uint64(blk[j*8:]))
			a |= wa << (8 * j)
			n |= wn << (8 * j)
		}
		am[k], nm[k] = a, n
	}
}
