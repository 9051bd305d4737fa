package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	apierrors "github.com/apikit/apikit-go/errors"
)

// BenchmarkStreamRevocation measures how long a revocation takes to reach
// an open stream's reader: from the start of the revoking call to the
// moment Next returns false with Err matching apierrors.ErrRevoked (the
// Hypedata page promises five seconds). The stream is quiet (no event is
// due), so the final auth_revoked event is all that arrives. ns/op is the
// mean; max-µs the worst iteration. "direct" revokes in the server
// (clienttest.Server.RevokeKey); "http" through the API
// (DELETE /v1/keys/{id} with an admin key).
//
//	go test ./client/ -run '^$' -bench StreamRevocation -benchtime 200x
func BenchmarkStreamRevocation(b *testing.B) {
	for _, how := range []string{"direct", "http"} {
		b.Run(how, func(b *testing.B) {
			srv := clienttest.NewServer(client.Hypedata)
			defer srv.Close()
			srv.SetStreamInterval(time.Hour)
			admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
			ac, _ := srv.NewClient(admin)
			defer ac.CloseIdleConnections()
			ctx := context.Background()
			var worst time.Duration
			b.ResetTimer()
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				key, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "streamer", Scopes: []string{"stream"}})
				c, _ := srv.NewClient(key)
				s, err := c.Stream(ctx, "/v1/stream")
				if err != nil {
					b.Fatal(err)
				}
				if err := srv.WaitOpenStreams(ctx, 1); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				if how == "direct" {
					err = srv.RevokeKey(info.ID, "benchmark")
				} else {
					_, err = ac.Keys().Revoke(ctx, info.ID, "benchmark")
				}
				for s.Next() {
				}
				d := time.Since(start)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				if !errors.Is(s.Err(), apierrors.ErrRevoked) {
					b.Fatalf("Err = %v", s.Err())
				}
				worst = max(worst, d)
				s.Close()
				if err := srv.WaitOpenStreams(ctx, 0); err != nil {
					b.Fatal(err)
				}
				c.CloseIdleConnections()
			}
			b.ReportMetric(float64(worst.Microseconds()), "max-µs")
		})
	}
}
