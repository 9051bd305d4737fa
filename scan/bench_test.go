package scan

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkScan measures the scanner over generated text without keys:
// the throughput of a pre-commit hook or a CI scan, where keys are rare.
// "mixed" is code, configuration, logs (with request-id UUIDs) and prose
// with a fifth of its bytes in base64 blobs; "base64" is blobs only.
func BenchmarkScan(b *testing.B) {
	for _, bc := range []struct {
		name   string
		corpus []byte
	}{{"mixed", keyless(1, 16<<20)}, {"base64", blobs(2, 16<<20)}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := New()
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.SetBytes(int64(len(bc.corpus)))
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n := 0
				if err := s.Scan(ctx, bytes.NewReader(bc.corpus), func(Finding) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
				if n != 0 {
					b.Fatalf("%d findings in text without keys", n)
				}
			}
			// The CPU time, beside the wall time: on a shared machine the
			// scan waits for a core, and MB/s falls with the load.
			if d := cpuTime() - cpu0; d > 0 {
				b.ReportMetric(float64(len(bc.corpus))*float64(b.N)/d.Seconds()/1e6, "MB/cpu-s")
			}
		})
	}
}
