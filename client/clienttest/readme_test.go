package clienttest_test

import (
	"context"
	"testing"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
)

// TestFetchRetriesAnOutage is the README's "Testing your code" snippet,
// kept here so that the README cannot drift from the API.
func TestFetchRetriesAnOutage(t *testing.T) {
	srv := clienttest.NewServer(client.Hypedata)
	t.Cleanup(srv.Close)
	key, _, err := srv.IssueKey(clienttest.KeyParams{Name: "test", Scopes: []string{"scrape"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := srv.NewClient(key) // always the server's URL, whatever your environment says
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext(1, 503, 0) // the next request gets a 503
	if err := c.Do(context.Background(), "GET", "/v1/scrape?url=https://example.com", nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d requests, want the 503 and its retry", n)
	}
}
