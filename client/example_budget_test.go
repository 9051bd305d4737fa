package client_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/errors"
)

// A budget of one retry: the first failing call spends it; the next is
// not retried, and says why. A success earns back a fifth of a retry.
func ExampleWithRetryBudget() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "budget", Scopes: []string{"scrape"}})
	c, err := srv.NewClient(key, client.WithRetryBudget(1), client.WithRetryWait(time.Millisecond, time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv.FailNext(4, 503, 0) // the server is in trouble for the next 4 requests
	for i := 1; i <= 2; i++ {
		err := c.Do(context.Background(), "GET", "/v1/scrape?url=https://example.com", nil, nil)
		var ae *apierrors.Error
		if errors.As(err, &ae) {
			fmt.Printf("call %d: %d, requests sent: %d; not retried: %.34s…\n", i, ae.StatusCode, ae.Attempts, ae.NotRetried)
		}
	}
	// Output:
	// call 1: 503, requests sent: 2; not retried: the client's retry budget is spent…
	// call 2: 503, requests sent: 1; not retried: the client's retry budget is spent…
}
