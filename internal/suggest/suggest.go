// Package suggest finds the name a person most likely meant when they
// mistyped one — an unknown config field, service or profile — for a "did
// you mean …?" in an error message. It is internal: the SDK's credentials
// package and the apikit command share it without adding to the public API.
package suggest

// MaxDistance is the most edits a suggestion may be away from the name typed.
const MaxDistance = 2

// Nearest returns the candidate closest to name by [Distance], when that is
// at most MaxDistance edits and fewer than half the candidate's length (so
// that "ab" does not suggest "xy"); else "". A candidate equal to name is not
// a suggestion. Of candidates equally close, the first wins. The comparison
// is of bytes and case-sensitive: lower-case name and candidates first to
// ignore case.
func Nearest(name string, candidates []string) string {
	best, bestD := "", MaxDistance+1
	for _, c := range candidates {
		if d := Distance(name, c); d < bestD && d > 0 && d*2 < len(c) {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b, counted in bytes:
// the fewest insertions, deletions and substitutions that turn a into b.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
