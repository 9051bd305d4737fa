package client_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/apikit/apikit-go/client"
)

// BenchmarkPacedOverhead is BenchmarkOverhead's apikit case under a known
// limit so high that no attempt ever waits: what booking a slot, departing,
// the wire trace and the report cost when pacing is on. (With no sign of a
// limit, as in BenchmarkOverhead, the pacer books nothing.)
func BenchmarkPacedOverhead(b *testing.B) {
	mem := memTransport{body: benchBody()}
	const url = "https://api.example.test"
	c, err := client.New(client.WithService(client.Hypedata), client.WithBaseURL(url),
		client.WithAPIKey(benchKey), client.WithHTTPClient(&http.Client{Transport: mem}),
		client.WithRateLimit(1e9, 1))
	if err != nil {
		b.Fatal(err)
	}
	runMem(b, func(out *benchPayload) error {
		return c.Do(context.Background(), http.MethodGet, "/v1/items", nil, out)
	})
}
