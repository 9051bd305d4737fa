package scan

// swarMasksSSE2 is swarMasksGo over nb 64-byte blocks at p, in SSE2 (which
// every amd64 CPU has), 16 bytes per compare.
//
//go:noescape
func swarMasksSSE2(p *byte, blocks int, anchors, nls *uint64, pat *swarPat)

// swarMasks flags the anchor bytes and line feeds of nb 64-byte blocks of
// b (see swarMasksGo).
func swarMasks(pl *swarPlan, b []byte, am, nm *[swarBatch]uint64, nb int) {
	if nb <= 0 || len(b) < nb*64 {
		return
	}
	swarMasksSSE2(&b[0], nb, &am[0], &nm[0], &pl.pat)
}
