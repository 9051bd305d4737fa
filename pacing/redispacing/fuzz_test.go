package redispacing

import (
	"strings"
	"testing"
)

// Whatever a script replies (another version's script under the same
// prefix, a proxy in between), reading it never panics, and what it
// accepts is in range.
func FuzzParseReplies(f *testing.F) {
	f.Add(int64(1), int64(206000), int64(0), int64(1798804800), int64(1), "4.85", "0", int64(0), "1")
	f.Add(int64(0), int64(-1), int64(9), int64(-5), int64(7), "nan", "x", int64(1), "")
	f.Fuzz(func(t *testing.T, ok, delay, gated, slot, src int64, rate, prev string, changed int64, reason string) {
		r, err := parseReserve([]any{ok, delay, gated, slot, src, rate, changed, prev, reason, slot, delay, slot, delay, gated, ok, slot, delay, rate, gated})
		if err == nil && (r.delay < 0 || r.slot < 0 || r.src < 0 || r.src > 3 || r.procs < 0 || r.index < 0 || (r.procs > 0 && r.index >= r.procs) || r.burst < 0) {
			t.Fatalf("accepted an out-of-range reply: %+v", r)
		}
		if m := r.move; m != (move{}) && (m.gate < m.at || m.end <= m.at || m.k < 1 || m.k > 100 || m.of(m.at) < m.at) {
			t.Fatalf("accepted an out-of-range move: %+v", m)
		}
		parseReport([]any{src, rate, prev, changed, reason, gated, slot, slot, delay, rate, gated})
		parseReport([]any{rate, src})
		parseReserve("not an array")
		if st, err := parseState("fp_x", []any{prev, rate, reason, slot, delay}); err == nil && (st.Source < 0 || st.Source > 3) {
			t.Fatalf("state read with source %d", st.Source)
		}
		parseState("fp_x", []any{rate})
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

// The fleet list, whatever Redis holds under its keys: a process with an
// ID and a fingerprint, or an error; never a panic.
func FuzzParseProcesses(f *testing.F) {
	f.Add("w01", "fp_0123456789ab 1798804800000000", "w02", "fp_x 1")
	f.Add("", " ", "a", "hd_live_{x} -1")
	f.Fuzz(func(t *testing.T, id1, v1, id2, v2 string) {
		ps, err := parseProcesses([]any{id1, v1, id2, v2})
		if err != nil {
			return
		}
		for _, p := range ps {
			if p.ID == "" || checkFingerprint(p.KeyFingerprint) != nil {
				t.Fatalf("accepted %+v", p)
			}
		}
		parseProcesses([]any{id1})
		parseProcesses(v1)
	})
}
