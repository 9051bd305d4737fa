package sse

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// BenchmarkDecoder reads a stream of small JSON events, as a busy API's
// stream sends them: valid UTF-8 (the common case, which the decoder only
// checks), and with one invalid byte per event (which it must rewrite).
func BenchmarkDecoder(b *testing.B) {
	for _, tc := range []struct {
		name string
		bad  string
	}{{"valid", ""}, {"invalid byte per event", "\xff"}} {
		var stream bytes.Buffer
		for i := range 1000 {
			fmt.Fprintf(&stream, "id: %d\nevent: message\ndata: {\"seq\":%d,\"text\":\"héllo wörld%s\",\"ok\":true}\n\n", i, i, tc.bad)
		}
		in := stream.Bytes()
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				d := NewDecoder(bytes.NewReader(in), 1<<20)
				for {
					if _, err := d.Next(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
