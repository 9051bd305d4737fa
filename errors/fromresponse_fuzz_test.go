package apierrors_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	apierrors "github.com/apikit/apikit-go/errors"
)

// fuzzKey is the key every FuzzFromResponse request carries. Its '+', '/'
// and '=' make its query- and path-escaped forms differ from it; it neither
// starts with a suffix of "REDACTED" nor ends with a prefix of it, so no
// replacement can complete it with the placeholder's letters.
const fuzzKey = "sk_live_Ab3d+Ef6h/Ij9k=Lm2nOp5qRs8tUv1w"

// FuzzFromResponse sends the fuzzed response to a request that carries
// fuzzKey (as a Bearer token, an X-API-Key header and/or the api_key query
// value, as where says), with "$K", "$Q" and "$P" in the body, the
// WWW-Authenticate value and the X-Request-Id value standing for the key and
// its query- and path-escaped forms, so that the server echoes the key
// where the fuzzer puts it. It checks that FromResponse never panics,
// returns nil below 400 and an *Error from 400 on, that no text of the
// error holds the key in any of its forms, and that the message is one
// bounded line.
func FuzzFromResponse(f *testing.F) {
	f.Add(401, `{"error":{"code":"unknown_key","message":"unknown key $K","request_id":"$K"}}`, `Bearer error="invalid_token", error_description="$K"`, "req_$Q", uint8(1))
	f.Add(403, `{"message":["needs $P"],"error":"insufficient_scope","required_scope":"$K"}`, `Bearer scope="$Q"`, "", uint8(2))
	f.Add(429, `{"error":"rate_limited","retryAfter":5,"title":7,"detail":"$Q"}`, ``, "$K", uint8(4))
	f.Add(200, `{"ok":true,"echo":"$K"}`, ``, "", uint8(7))
	f.Add(502, "upstream: $K\n$K", ``, ``, uint8(3))
	f.Add(401, `{"error":{"code":"revoked","reason":"`+strings.Repeat("r", 105)+`$K"}}`, ``, ``, uint8(1))
	f.Fuzz(func(t *testing.T, status int, body, wwwAuth, requestID string, where uint8) {
		expand := strings.NewReplacer("$K", fuzzKey, "$Q", url.QueryEscape(fuzzKey), "$P", url.PathEscape(fuzzKey)).Replace
		target := "https://api.example.com/v1/things?page=2"
		if where&2 != 0 {
			target += "&api_key=" + url.QueryEscape(fuzzKey)
		}
		req, err := http.NewRequest(http.MethodGet, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		if where&1 != 0 || where&6 == 0 {
			req.Header.Set("Authorization", "Bearer "+fuzzKey)
		}
		if where&4 != 0 {
			req.Header.Set("X-API-Key", fuzzKey)
		}
		resp := &http.Response{
			StatusCode: status, Request: req, Body: io.NopCloser(strings.NewReader(expand(body))),
			Header: http.Header{"Www-Authenticate": {expand(wwwAuth)}, "X-Request-Id": {expand(requestID)}},
		}

		err = apierrors.FromResponse(resp)
		if status < 400 {
			if err != nil {
				t.Fatalf("status %d: FromResponse = %v, want nil", status, err)
			}
			return
		}
		var e *apierrors.Error
		if !apierrors.As(err, &e) {
			t.Fatalf("status %d: FromResponse = %#v, want an *Error", status, err)
		}
		for _, s := range []string{e.Error(), e.Message, e.RawCode, e.RequestID, e.RequiredScope, e.Reason} {
			for _, form := range []string{fuzzKey, url.QueryEscape(fuzzKey), url.PathEscape(fuzzKey)} {
				if strings.Contains(s, form) {
					t.Fatalf("error text holds the key (%q): %q", form, s)
				}
			}
		}
		if len(e.Message) > 512+len("…") || !oneLine(e.Message) || !oneLine(e.Error()) {
			t.Fatalf("message not one bounded printable line (%d bytes): %q", len(e.Message), e.Message)
		}
	})
}
