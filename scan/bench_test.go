package scan

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkScan measures the scanner over generated text without keys
// (code, configuration, logs with request-id UUIDs, base64 blobs): the
// throughput of a pre-commit hook or a CI scan, where keys are rare.
func BenchmarkScan(b *testing.B) {
	corpus := keyless(1, 16<<20)
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.SetBytes(int64(len(corpus)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		if err := s.Scan(ctx, bytes.NewReader(corpus), func(Finding) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != 0 {
			b.Fatalf("%d findings in text without keys", n)
		}
	}
}
