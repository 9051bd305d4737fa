package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	apierrors "github.com/apikit/apikit-go/errors"
)

// secretRunIn returns the first run of 8 bytes of the test key's secret
// (all of it but "sk_test_") that s holds.
func secretRunIn(s string) (string, bool) {
	secret := testKey[len("sk_test_"):]
	for i := 0; i+8 <= len(secret); i++ {
		if run := secret[i : i+8]; strings.Contains(s, run) {
			return run, true
		}
	}
	return "", false
}

// TestNoPieceOfKeyInAnyOutput: a server that echoes part of the key (12 to
// 16 characters of its secret, as real services do in "key hd_live_8K2n…
// is not known") gets no run of 8 of them into what the client returns or
// logs: Error(), Message, Reason, RequestID, Body, %+v, the retry log.
func TestNoPieceOfKeyInAnyOutput(t *testing.T) {
	piece := testKey[:8+14] + "…" // "sk_test_" and 14 characters of the secret
	tail := testKey[len(testKey)-12:]
	var logs logBuffer
	var outputs []string
	record := func(err error) {
		outputs = append(outputs, fmt.Sprintf("%v | %+v | %#v", err, err, err))
		var e *apierrors.Error
		if errors.As(err, &e) {
			outputs = append(outputs, e.Message, e.Reason, e.RequestID, e.RawCode, e.RequiredScope, string(e.Body))
		}
	}
	body := fmt.Sprintf(`{"error":{"code":"revoked","message":"key %s is not known","reason":"leaked as …%s","request_id":"req %s"}}`, piece, tail, piece)
	srv := newScripted(t,
		reply(503, `{"message":"upstream refused `+piece+`"}`, "Retry-After", "1", "WWW-Authenticate", `Bearer error_description="`+tail+`"`),
		reply(401, body),
	)
	c, _ := newTestClient(t, srv, WithLogger(logs.logger()))
	err := c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	if !errors.Is(err, apierrors.ErrRevoked) {
		t.Fatalf("Do = %v, want the revoked error", err)
	}
	record(err)
	all := strings.Join(outputs, "\n") + "\n" + logs.String()
	if !strings.Contains(logs.String(), "apikit: retrying") {
		t.Fatalf("the scenario did not retry (the test is not exercising the log):\n%s", logs.String())
	}
	if run, ok := secretRunIn(all); ok {
		i := strings.Index(all, run)
		t.Fatalf("%q of the key's secret appears in output: …%s…", run, all[max(0, i-60):min(len(all), i+30)])
	}
	if !strings.Contains(err.Error(), "key sk_test_REDACTED… is not known") {
		t.Errorf("the message lost more than the piece of the key: %v", err)
	}
}

// TestRedirectedRequestKeepsNoPieceOfKey: a request header that holds part
// of the key is not carried to another host either.
func TestRedirectedRequestKeepsNoPieceOfKey(t *testing.T) {
	var got http.Header
	other := newScripted(t, func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone(); reply(200, `{}`)(w, r) })
	redir := newScripted(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, other.URL, http.StatusFound) })
	c, _ := newTestClient(t, redir, WithRedirects(RedirectSameHost))
	err := c.DoWith(context.Background(), "GET", "/", nil, nil, WithHeader("X-Debug-Hint", "key starts "+testKey[:20]))
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Get("X-Debug-Hint"); v != "" {
		t.Errorf("the other host got X-Debug-Hint %q, a piece of the key", v)
	}
}
