package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/errors"
)

// streamExample starts a Hypedata test server streaming an event every
// millisecond and returns a client for it, with a key of the stream scope.
func streamExample() (*clienttest.Server, *client.Client, string) {
	srv := clienttest.NewServer(client.Hypedata)
	srv.SetStreamInterval(time.Millisecond)
	key, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "example", Scopes: []string{"stream", "admin"}})
	c, _ := srv.NewClient(key, client.WithRetryWait(time.Millisecond, 2*time.Millisecond))
	return srv, c, info.ID
}

func ExampleClient_Stream() {
	srv, c, _ := streamExample()
	defer srv.Close()

	s, err := c.Stream(context.Background(), "/v1/stream")
	if err != nil {
		fmt.Println(err) // a refused key or scope is the typed *apierrors.Error, as with Do
		return
	}
	defer s.Close()
	for i := 0; i < 3 && s.Next(); i++ {
		ev := s.Event()
		fmt.Println(ev.ID, ev.Type, string(ev.Data))
	}
	// Output:
	// 1 message {"seq":1}
	// 2 message {"seq":2}
	// 3 message {"seq":3}
}

// A cut connection is reopened and resumed from the last event ID: the
// reader sees every event once.
func ExampleStream_Next() {
	srv, c, _ := streamExample()
	defer srv.Close()
	srv.CutNextStream(clienttest.StreamCut{After: 2, MidEvent: true, Abort: true})

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

func ExampleStream_Event() {
	srv, c, _ := streamExample()
	defer srv.Close()

	s, _ := c.Stream(context.Background(), "/v1/stream")
	defer s.Close()
	if s.Next() {
		var v struct {
			Seq int `json:"seq"`
		}
		if err := json.Unmarshal(s.Event().Data, &v); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("event", s.Event().ID, "seq", v.Seq)
	}
	// Output:
	// event 1 seq 1
}

// Revoking the key ends its open streams with a final auth_revoked event:
// Err is the typed error, and nothing reconnects.
func ExampleStream_Err() {
	srv, c, keyID := streamExample()
	defer srv.Close()

	s, _ := c.Stream(context.Background(), "/v1/stream")
	defer s.Close()
	s.Next()
	_ = srv.RevokeKey(keyID, "leaked in a public repository")

	for s.Next() {
	}
	err := s.Err()
	var apiErr *apierrors.Error
	if errors.As(err, &apiErr) {
		fmt.Println(errors.Is(err, apierrors.ErrRevoked), errors.Is(err, apierrors.ErrAuthentication))
		fmt.Println(apiErr.Code, "-", apiErr.Reason, "- revoked at set:", !apiErr.RevokedAt.IsZero())
	}
	// Output:
	// true true
	// revoked - leaked in a public repository - revoked at set: true
}

// Close may come from another goroutine: it ends a Next that is waiting,
// and Err stays nil.
func ExampleStream_Close() {
	srv, c, _ := streamExample()
	defer srv.Close()
	srv.SetStreamInterval(time.Hour) // the stream goes quiet

	s, _ := c.Stream(context.Background(), "/v1/stream")
	done := make(chan bool)
	go func() { done <- s.Next() }()
	s.Close()
	fmt.Println(<-done, s.Err(), s.Close())
	// Output:
	// false <nil> <nil>
}

func ExampleWithStreamIdleTimeout() {
	srv, c, _ := streamExample()
	defer srv.Close()

	// A connection that brings no byte for 30 s (the server's heartbeats
	// included) is taken for dead and reopened.
	s, err := c.Stream(context.Background(), "/v1/stream", client.WithStreamIdleTimeout(30*time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	fmt.Println(s.Next(), s.Event().ID)
	// Output:
	// true 1
}

func ExampleWithMaxEventBytes() {
	srv, c, _ := streamExample()
	defer srv.Close()

	s, _ := c.Stream(context.Background(), "/v1/stream", client.WithMaxEventBytes(4))
	defer s.Close()
	fmt.Println(s.Next())
	fmt.Println(s.Err())
	// Output:
	// false
	// client: GET /v1/stream: sse: event too large: more than 4 bytes of data (WithMaxEventBytes raises the bound)
}
