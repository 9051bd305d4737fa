//go:build !amd64

package scan

// swarMasks flags the anchor bytes and line feeds of nb 64-byte blocks of
// b (see swarMasksGo).
func swarMasks(pl *swarPlan, b []byte, am, nm *[swarBatch]uint64, nb int) {
	swarMasksGo(pl, b, am, nm, nb)
}
