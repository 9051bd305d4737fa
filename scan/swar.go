package scan

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
)

// swarPlan finds every anchor byte in one pass, 64 bytes at a time, when the
// anchors fold (ASCII case folded by OR-ing 0x20) to at most four single
// values and one range of values (twelve apart at most): each 8-byte word is compared
// with all of them at once (SWAR), and the positions that match are visited
// from a 64-bit mask. That costs one pass where one bytes.IndexByte pass per
// anchor byte would call IndexByte again at every occurrence of each. A
// folded match that is not an anchor (an 'x' for an 'X', a '{' inside the
// range v…DEL) is dropped by the byte's group lookup.
type swarPlan struct {
	ok      bool
	targets [4]uint64 // the folded single anchor values, each in every byte
	// The folded values from one to another (the built-ins' v w x y z and
	// '_'|0x20 = DEL) are anchors too, found by one range test; rlo and rhi
	// hold the range as that test takes it.
	rlo, rhi uint64
	group    [256]int16 // 1 + index in Scanner.groups of the byte's group; 0: none
	before   int
	after    int
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
		p.before = max(p.before, g.before)
		p.after = max(p.after, g.after)
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
		p.targets[i] = swarOnes * uint64(singles[min(i, len(singles)-1)])
	}
	p.ok = true
	return p
}

// searchSWAR is search for a Scanner whose anchors fit a swarPlan.
func (st *state) searchSWAR(b []byte, lo, hi int) {
	pl := &st.s.swar
	from := max(0, lo-pl.before)
	to := min(len(b), hi+pl.after)
	t0, t1, t2, t3 := pl.targets[0], pl.targets[1], pl.targets[2], pl.targets[3]
	rlo, rhi := pl.rlo, pl.rhi
	// hasZero flags (at least) the zero bytes of x; a flag above a zero
	// byte may be false, and is dropped like any other non-anchor.
	hasZero := func(x uint64) uint64 { return (x - swarOnes) &^ x & swarHighs }
	// between flags exactly the bytes of x in the plan's range (from Bit
	// Twiddling Hacks' hasbetween; bytes of 128 and up are never flagged).
	between := func(x uint64) uint64 {
		return (rhi - x&swarLow7) &^ x & (x&swarLow7 + rlo) & swarHighs
	}
	seams := st.s.seams != nil
	// The last line break before from (-1: the input starts the line), or
	// far enough back to count as none.
	prevNL := from - 1 - 151
	if j := bytes.LastIndexByte(b[max(0, from-151):from], '\n'); j >= 0 {
		prevNL = max(0, from-151) + j
	} else if st.base == 0 && from <= 151 {
		prevNL = -1
	}
	// word returns the flags of one 8-byte word, one bit per byte.
	word := func(w uint64) uint64 {
		w |= swarLower
		m := hasZero(w^t0) | hasZero(w^t1) | hasZero(w^t2) | hasZero(w^t3) | between(w)
		return (m >> 7) * 0x0102040810204080 >> 56
	}
	i := from
	for ; i+64 <= to; i += 64 {
		blk := b[i : i+64 : i+64]
		mask := word(binary.LittleEndian.Uint64(blk[0:8])) |
			word(binary.LittleEndian.Uint64(blk[8:16]))<<8 |
			word(binary.LittleEndian.Uint64(blk[16:24]))<<16 |
			word(binary.LittleEndian.Uint64(blk[24:32]))<<24 |
			word(binary.LittleEndian.Uint64(blk[32:40]))<<32 |
			word(binary.LittleEndian.Uint64(blk[40:48]))<<40 |
			word(binary.LittleEndian.Uint64(blk[48:56]))<<48 |
			word(binary.LittleEndian.Uint64(blk[56:64]))<<56
		for ; mask != 0; mask &= mask - 1 {
			p := i + bits.TrailingZeros64(mask)
			switch {
			case b[p] == '\n' && seams:
				// A line break: a seam of wrapped base64 only after a
				// line as long as one (60 to 80 characters, with room
				// for indentation and a \r).
				if l := p - prevNL; l > 60 && l <= 150 {
					st.seam(b, p, lo, hi)
				}
				prevNL = p
			default:
				gi := pl.group[b[p]]
				if gi == 0 {
					continue // a folded look-alike
				}
				// Most occurrences go no further than the byte next to
				// them: looked up here, without a call.
				g := &st.s.groups[gi-1]
				if (p+1 >= len(b) || g.byNext[b[p+1]] == 0) && (p == 0 || g.byPrev[b[p-1]] == 0) {
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
