package redistest

import (
	"strings"
	"testing"
)

// INFO commandstats, whatever its text, reads as command names and call
// counts that are never negative.
func FuzzParseCommandStats(f *testing.F) {
	f.Add("# Commandstats\r\ncmdstat_evalsha:calls=12,usec=40,usec_per_call=3.33\r\ncmdstat_eval:calls=1\r\n")
	f.Fuzz(func(t *testing.T, info string) {
		for name, n := range ParseCommandStats(info) {
			if n < 0 || strings.ContainsAny(name, ":\n") {
				t.Fatalf("%q: %d", name, n)
			}
		}
	})
}
