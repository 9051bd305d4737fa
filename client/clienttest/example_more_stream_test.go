package clienttest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/errors"
)

// A fast stream keeps a test short: here an event every millisecond.
func ExampleServer_SetStreamInterval() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	srv.SetStreamInterval(time.Millisecond)
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci", Scopes: []string{"stream"}})
	c, _ := srv.NewClient(key)

	s, _ := c.Stream(context.Background(), "/v1/stream")
	defer s.Close()
	for i := 0; i < 3 && s.Next(); i++ {
		fmt.Printf("%s %s %s\n", s.Event().ID, s.Event().Type, s.Event().Data)
	}
	// Output:
	// 1 message {"seq":1}
	// 2 message {"seq":2}
	// 3 message {"seq":3}
}

// OpenStreams says whether your code closed its streams: 0 after Close.
func ExampleServer_OpenStreams() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci", Scopes: []string{"stream"}})
	c, _ := srv.NewClient(key)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	s, _ := c.Stream(ctx, "/v1/stream")
	_ = srv.WaitOpenStreams(ctx, 1)
	fmt.Println("open:", srv.OpenStreams())
	s.Close()
	_ = srv.WaitOpenStreams(ctx, 0)
	fmt.Println("after Close:", srv.OpenStreams())
	// Output:
	// open: 1
	// after Close: 0
}

// An aborted connection (the TCP connection cut, no clean end) after two
// events: the client reconnects with Last-Event-ID and misses nothing.
func ExampleStreamCut() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	srv.SetStreamInterval(time.Millisecond)
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci", Scopes: []string{"stream"}})
	c, _ := srv.NewClient(key, client.WithRetryWait(time.Millisecond, 2*time.Millisecond))

	srv.CutNextStream(clienttest.StreamCut{After: 2, Abort: true})
	s, _ := c.Stream(context.Background(), "/v1/stream")
	defer s.Close()
	var ids []string
	for i := 0; i < 4 && s.Next(); i++ {
		ids = append(ids, s.Event().ID)
	}
	fmt.Println(strings.Join(ids, " "))
	// Output:
	// 1 2 3 4
}

// CallerKey tells your handler which key called it; the secret is never
// there, only what the server knows of the key.
func ExampleCallerKey() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	srv.Handle("GET /v1/me", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, ok := clienttest.CallerKey(r)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"name":%q,"environment":%q,"known":%t}`, info.Name, info.Environment, ok)
	}))
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci"})
	c, _ := srv.NewClient(key)

	var me struct {
		Name        string `json:"name"`
		Environment string `json:"environment"`
		Known       bool   `json:"known"`
	}
	err := c.Do(context.Background(), "GET", "/v1/me", nil, &me)
	fmt.Println(me.Name, me.Environment, me.Known, err)
	// Output:
	// ci live true <nil>
}

// HyperSync serves indexers on Envio Cloud without a token: a keyless
// client is refused until the server allows keyless callers.
func ExampleServer_NewKeylessClient() {
	srv := clienttest.NewServer(client.HyperSync)
	defer srv.Close()
	c, _ := srv.NewKeylessClient()

	err := c.Do(context.Background(), "GET", "/height", nil, nil)
	fmt.Println(errors.Is(err, apierrors.ErrMissingCredentials))
	_ = srv.AllowKeyless(0)
	var h struct {
		Height int64 `json:"height"`
	}
	err = c.Do(context.Background(), "GET", "/height", nil, &h)
	fmt.Println(err, h.Height > 0)
	// Output:
	// true
	// <nil> true
}
