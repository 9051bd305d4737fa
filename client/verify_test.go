package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/client"
	apierrors "github.com/apikit/apikit-go/errors"
)

// hypedataKey is a well-formed Hypedata test key for servers of these tests.
const hypedataKey = "hd_test_Vq3ZpL8mR2xN7cT4wB9kY6fH1jD5sG0a"

// TestVerifyAssumedWhoami: Hypedata documents no key test, so Verify's
// GET /v1/whoami is marked Assumed, and a real service without that path
// (404) gives an error matching ErrNoKeyTest — not a refused key — while a
// path a custom service declares keeps its 404 as a plain failure.
func TestVerifyAssumedWhoami(t *testing.T) {
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"key_id":"key_1","name":"ci","environment":"test"}`))
	})
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"code":"not_found","message":"no route"}}`))
	})
	custom := client.Service{Name: "mine", WhoamiPath: "/v1/whoami", Auth: client.AuthBearer}
	for _, tc := range []struct {
		name        string
		svc         client.Service
		h           http.Handler
		answers     bool
		wantAssumed bool
		wantNoTest  bool
	}{
		{"hypedata answers", client.Hypedata, whoami, true, true, false},
		{"hypedata has no whoami", client.Hypedata, notFound, false, false, true},
		{"custom answers", custom, whoami, true, false, false},
		{"custom 404", custom, notFound, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			c, err := client.New(client.WithService(tc.svc), client.WithBaseURL(srv.URL), client.WithAPIKey(hypedataKey))
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			who, err := c.Verify(context.Background())
			if tc.answers {
				if err != nil || who.KeyID != "key_1" || who.CheckedWith != "GET /v1/whoami" || who.Assumed != tc.wantAssumed {
					t.Fatalf("Verify = %+v, %v; want key_1, Assumed %v", who, err, tc.wantAssumed)
				}
				return
			}
			if err == nil {
				t.Fatal("Verify of a 404 returned no error")
			}
			if got := errors.Is(err, client.ErrNoKeyTest); got != tc.wantNoTest {
				t.Errorf("errors.Is(err, ErrNoKeyTest) = %v, want %v: %v", got, tc.wantNoTest, err)
			}
			if errors.Is(err, apierrors.ErrAuthentication) {
				t.Errorf("a 404 reads as a refused key: %v", err)
			}
			if strings.Contains(err.Error(), hypedataKey[8:16]) || strings.Contains(err.Error(), "\n") {
				t.Errorf("not one line without the key: %q", err)
			}
		})
	}
}
