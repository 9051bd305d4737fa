package clienttest_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
)

// Cut the next connection to /v1/stream in the middle of an event, with a
// retry field, and check that your reader loses and repeats nothing.
func ExampleServer_CutNextStream() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	srv.SetStreamInterval(time.Millisecond)
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci", Scopes: []string{"stream"}})
	c, _ := srv.NewClient(key)

	srv.CutNextStream(clienttest.StreamCut{After: 2, MidEvent: true, Retry: 10 * time.Millisecond})
	s, _ := c.Stream(context.Background(), "/v1/stream")
	defer s.Close()
	var ids []string
	for i := 0; i < 5 && s.Next(); i++ {
		ids = append(ids, s.Event().ID)
	}
	fmt.Println(strings.Join(ids, " "))
	var conns int
	for _, r := range srv.Requests() {
		if r.Path == "/v1/stream" {
			conns++
		}
	}
	fmt.Println("connections:", conns)
	// Output:
	// 1 2 3 4 5
	// connections: 2
}

// CutOpenStreams ends the connections open now, as a restarting server
// does; WaitOpenStreams waits for the clients to be back.
func ExampleServer_CutOpenStreams() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	srv.SetStreamInterval(time.Millisecond)
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci", Scopes: []string{"stream"}})
	c, _ := srv.NewClient(key, client.WithRetryWait(time.Millisecond, 2*time.Millisecond))

	s, _ := c.Stream(context.Background(), "/v1/stream")
	defer s.Close()
	s.Next()
	srv.CutOpenStreams()
	s.Next()
	fmt.Println("after the cut:", s.Event().ID)
	// Output:
	// after the cut: 2
}

func ExampleServer_WaitOpenStreams() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci", Scopes: []string{"stream"}})
	c, _ := srv.NewClient(key)

	s, _ := c.Stream(context.Background(), "/v1/stream")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fmt.Println(srv.WaitOpenStreams(ctx, 1), srv.OpenStreams())
	s.Close()
	fmt.Println(srv.WaitOpenStreams(ctx, 0), srv.OpenStreams())
	// Output:
	// <nil> 1
	// <nil> 0
}
