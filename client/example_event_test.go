package client_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apikit/apikit-go/client"
)

// An event's fields as the server wrote them: a named event with an id and
// two data lines, then an unnamed one, which keeps the last id.
func ExampleEvent() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "id: 7\nevent: price\ndata: {\"eur\":1}\ndata: {\"usd\":2}\n\ndata: plain\n\n")
	}))
	defer srv.Close()
	c, _ := client.New(client.WithService(client.Service{Name: "prices", BaseURL: srv.URL}),
		client.WithAPIKey("sk_test_0123456789abcdef"), client.WithMaxRetries(0))
	defer c.CloseIdleConnections()

	s, _ := c.Stream(context.Background(), "/v1/prices")
	defer s.Close()
	for s.Next() {
		ev := s.Event()
		fmt.Printf("id=%s type=%s data=%q\n", ev.ID, ev.Type, ev.Data)
	}
	// Output:
	// id=7 type=price data="{\"eur\":1}\n{\"usd\":2}"
	// id=7 type=message data="plain"
}
