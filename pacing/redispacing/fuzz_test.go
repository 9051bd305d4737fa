package redispacing

import (
	"strings"
	"testing"

	"github.com/apikit/apikit-go/pacing/redispacing/redistest"
)

// Whatever a script replies (another version's script under the same
// prefix, a proxy in between), reading it never panics, and what it
// accepts is in range.
func FuzzParseReplies(f *testing.F) {
	f.Add(int64(1), int64(206000), int64(0), int64(1798804800), int64(1), "4.85", "0", int64(0), "1")
	f.Add(int64(0), int64(-1), int64(9), int64(-5), int64(7), "nan", "x", int64(1), "")
	f.Fuzz(func(t *testing.T, ok, delay, gated, slot, src int64, rate, prev string, changed int64, reason string) {
		r, err := parseReserve([]any{ok, delay, gated, slot, src, rate, changed, changed, prev, reason, slot, delay})
		if err == nil && (r.delay < 0 || r.slot < 0 || r.src < 0 || r.src > 3 || r.procs < 0 || r.index < 0 || (r.procs > 0 && r.index >= r.procs)) {
			t.Fatalf("accepted an out-of-range reply: %+v", r)
		}
		parseReport([]any{src, rate, prev, changed, reason, gated, slot})
		parseReport([]any{rate, src})
		parseReserve("not an array")
	})
}

// Only a fingerprint names a key in Redis: nothing with a brace, a space or
// a colon, nothing empty or longer than 64 bytes.
func FuzzKey(f *testing.F) {
	f.Add("fp_0123456789ab")
	f.Add("hd_live_{abc}")
	f.Fuzz(func(t *testing.T, fp string) {
		p := &Pacer{prefix: DefaultPrefix}
		k, err := p.Key(fp)
		if err != nil {
			return
		}
		if k != DefaultPrefix+"{"+fp+"}" || strings.ContainsAny(fp, "{}: \x00") || len(fp) > 64 {
			t.Fatalf("Key(%q) = %q", fp, k)
		}
	})
}

func FuzzParseCommandStats(f *testing.F) {
	f.Add("# Commandstats\r\ncmdstat_evalsha:calls=12,usec=40,usec_per_call=3.33\r\ncmdstat_eval:calls=1\r\n")
	f.Fuzz(func(t *testing.T, info string) {
		for name, n := range redistest.ParseCommandStats(info) {
			if n < 0 || strings.ContainsAny(name, ":\n") {
				t.Fatalf("%q: %d", name, n)
			}
		}
	})
}
