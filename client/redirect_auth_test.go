package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	apierrors "github.com/apikit/apikit-go/errors"
)

// TestRedirectedAuthFailureNotBlamedOnKey: the API redirects to another
// host, which (correctly) got no key and answers 401 unknown_key. The error
// says what happened — the redirect, its target, that the key was
// deliberately not sent there — not "the service does not know this key";
// it is not a key-specific error, so the client does not ask its source for
// another key either.
func TestRedirectedAuthFailureNotBlamedOnKey(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
	}{
		{401, `{"error":{"code":"unknown_key","message":"Invalid API key"}}`},
		{401, `{"error":{"code":"missing_credentials","message":"No API key"}}`},
		{403, `{"error":{"code":"insufficient_scope","message":"needs admin","required_scope":"admin"}}`},
	} {
		var otherAuth []string
		other := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
			otherAuth = append(otherAuth, r.Header.Get("Authorization"))
			reply(tc.status, tc.body)(w, r)
		})
		api := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/v2/items", http.StatusMovedPermanently)
		})
		c, _ := newTestClient(t, api, WithRedirects(RedirectSameHost))
		err := c.Do(context.Background(), "GET", "/v1/items?page=2", nil, nil)
		if err == nil {
			t.Fatal("Do succeeded")
		}
		msg := err.Error()
		t.Log(msg)
		if strings.Contains(msg, "does not know this key") || strings.Contains(msg, "no API key was sent: set") {
			t.Errorf("%d: the error blames the key: %s", tc.status, msg)
		}
		host := strings.TrimPrefix(other.URL, "http://")
		for _, want := range []string{"redirected", host + "/v2/items", "not sent"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%d: error %q does not say %q", tc.status, msg, want)
			}
		}
		var ae *apierrors.Error
		if !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.Redirected == "" {
			t.Errorf("%d: want the *apierrors.Error with Redirected set, got %#v", tc.status, err)
		}
		if errors.Is(err, apierrors.ErrUnknownKey) || errors.Is(err, apierrors.ErrMissingCredentials) || errors.Is(err, apierrors.ErrInsufficientScope) {
			t.Errorf("%d: the error matches a key-specific sentinel: %v", tc.status, err)
		}
		if tc.status == 401 && !errors.Is(err, apierrors.ErrAuthentication) {
			t.Errorf("401: not ErrAuthentication: %v", err)
		}
		if len(otherAuth) != 1 || otherAuth[0] != "" {
			t.Errorf("%d: the other host got %d requests, Authorization %q; want one, without the key", tc.status, len(otherAuth), otherAuth)
		}
	}
}
