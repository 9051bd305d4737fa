package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestSendReturnsNoKey: the *http.Response Send returns is the caller's to
// log; its Request (and the requests of the redirects before it) hold the
// key in no header and no query value, whatever the auth style.
func TestSendReturnsNoKey(t *testing.T) {
	for _, style := range authStyles() {
		t.Run(style.name, func(t *testing.T) {
			api := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/v2/items?page=2", http.StatusFound)
			}, reply(200, `{}`))
			c, _ := newTestClient(t, api, style.opts...)
			req, _ := http.NewRequest("GET", "/v1/items?page=2", nil)
			resp, err := c.Send(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body) //nolint:errcheck
			resp.Body.Close()
			got := api.got()
			if len(got) != 2 || !strings.Contains(got[1].Header.Get("Authorization")+got[1].Header.Get("X-Api-Key")+got[1].Query, testKey) {
				t.Fatalf("the API did not get the key: %+v", got)
			}
			secret := testKey[len(testKey)-16:]
			for r, i := resp.Request, 0; r != nil; i++ {
				shown := fmt.Sprintf("%v %+v %s", r.Header, r.URL, r.URL.String())
				if strings.Contains(shown, secret) {
					t.Errorf("request %d (from the end) holds the key: %s", i, shown)
				}
				if !strings.Contains(r.URL.RawQuery, "page=2") {
					t.Errorf("request %d lost the caller's query: %q", i, r.URL.RawQuery)
				}
				if r.Response == nil {
					break
				}
				r = r.Response.Request
			}
			if resp.Request.Response == nil {
				t.Error("the redirect's response is gone from resp.Request")
			}
		})
	}
}

// authStyle is one way of sending the key, for tests that try each.
type authStyle struct {
	name string
	opts []Option
}

// authStyles are the three: bearer, a header of its own, the query.
func authStyles() []authStyle {
	return []authStyle{
		{"bearer", nil},
		{"header", []Option{WithHeaderAuth("X-API-Key")}},
		{"query", []Option{WithQueryAuth("api_key")}},
	}
}
