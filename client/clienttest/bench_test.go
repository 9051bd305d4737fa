package clienttest_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
)

// BenchmarkServe is the in-memory server's cost per request over loopback
// (routing, the key checks, the dialect's answer, the request log),
// measured with plain net/http so the SDK's own work is not counted:
//
//	go test ./client/clienttest/ -run '^$' -bench BenchmarkServe -benchmem
func BenchmarkServe(b *testing.B) {
	for _, bc := range []struct {
		name, path string
		handle     bool
	}{
		{"scrape", "/v1/scrape?url=https://example.com", false},
		{"notfound", "/v1/nothing", false},
		{"handled", "/v1/mine", true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := clienttest.NewServer(client.Hypedata, clienttest.WithBalance(1<<50))
			defer srv.Close()
			if bc.handle {
				srv.Handle("GET /v1/mine", clienttest.Endpoint{Scope: "scrape", Cost: 1, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					_, _ = w.Write([]byte(`{}`))
				})})
			}
			k, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "bench"})
			hc := srv.HTTPClient()
			req, _ := http.NewRequest("GET", srv.URL+bc.path, nil)
			req.Header.Set("Authorization", "Bearer "+k.Reveal())
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			b.StopTimer()
			srv.ResetRequests()
			hc.CloseIdleConnections()
		})
	}
}
