package scan

import (
	"math/rand/v2"
	"testing"
)

// TestSWARMasksAgree checks that the masks the scanner uses on this
// architecture (SSE2 on amd64) are exactly those of the portable code, and
// those of a byte-by-byte reading of the plan, on random bytes (all 256
// values) and on text.
func TestSWARMasksAgree(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	pl := &s.swar
	r := rand.New(rand.NewPCG(1, 2))
	inputs := [][]byte{keyless(3, swarBatch*64), blobs(4, swarBatch*64)}
	for range 20 {
		b := make([]byte, swarBatch*64)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		inputs = append(inputs, b)
	}
	singles := map[byte]bool{}
	for _, t := range pl.targets {
		singles[byte(t)] = true
	}
	lo, hi := pl.pat[5][0], pl.pat[5][0]+pl.pat[6][0]
	for n, b := range inputs {
		var am, nm, gam, gnm [swarBatch]uint64
		swarMasks(pl, b, &am, &nm, swarBatch)
		swarMasksGo(pl, b, &gam, &gnm, swarBatch)
		for k := range swarBatch {
			var want, wantNL uint64
			for j := range 64 {
				c := b[k*64+j]
				f := c | 0x20
				if c < 0x80 && (singles[f] || f >= lo && f <= hi) {
					want |= 1 << j
				}
				if c == '\n' {
					wantNL |= 1 << j
				}
			}
			if am[k] != want || gam[k] != want || nm[k] != wantNL || gnm[k] != wantNL {
				t.Fatalf("input %d block %d: anchors %x (portable %x), want %x; line feeds %x (portable %x), want %x",
					n, k, am[k], gam[k], want, nm[k], gnm[k], wantNL)
			}
		}
	}
}
