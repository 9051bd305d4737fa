package apierrors_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	apierrors "github.com/apikit/apikit-go/errors"
)

// scrubKey has characters that URL encoding changes, so that its encoded
// forms differ from it.
const scrubKey = "sk_live_Ab3d+Ef6h/Ij9k=Lm2nOp5qRs8tUv1w"

// keyForms are the spellings of key a server may echo.
func keyForms(key string) []string {
	return []string{key, url.QueryEscape(key), url.PathEscape(key)}
}

// holdsKey reports whether s holds key, one of its encoded forms, or any run
// of 12 bytes of its secret part (after "sk_live_"), which is what a cut
// through an echoed key would leave.
func holdsKey(s, key string) (string, bool) {
	for _, f := range keyForms(key) {
		if strings.Contains(s, f) {
			return f, true
		}
	}
	secret := key[strings.LastIndex(key, "_")+1:]
	for i := 0; i+12 <= len(secret); i++ {
		if run := secret[i : i+12]; strings.Contains(s, run) {
			return run, true
		}
	}
	return "", false
}

// TestDecodeRedactedScrubsEveryField: an echoed key, in any field, in any
// of its forms, from the body or a header, is gone from the *Error and its
// text.
func TestDecodeRedactedScrubsEveryField(t *testing.T) {
	q, p := url.QueryEscape(scrubKey), url.PathEscape(scrubKey)
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
	}{
		{"message", 401, nil, `{"error":{"code":"unknown_key","message":"no key ` + scrubKey + ` here"}}`},
		{"message query-escaped", 401, nil, `{"message":"GET /v1?api_key=` + q + ` failed"}`},
		{"message path-escaped", 404, nil, `{"message":"no /keys/` + p + `"}`},
		{"message list", 400, nil, `{"message":["bad", "` + scrubKey + `"]}`},
		{"code", 401, nil, `{"error":{"code":"` + scrubKey + `"}}`},
		{"string error", 401, nil, `{"error":"` + scrubKey + `"}`},
		{"problem type", 401, nil, `{"type":"https://x/errors/` + scrubKey + `"}`},
		{"request id", 500, nil, `{"request_id":"` + scrubKey + `"}`},
		{"request id header", 500, http.Header{"X-Request-Id": {"req-" + scrubKey}}, ``},
		{"scope", 403, nil, `{"error":{"code":"insufficient_scope","required_scope":"` + scrubKey + `"}}`},
		{"scope in header", 403, http.Header{"Www-Authenticate": {`Bearer error="insufficient_scope", scope="` + scrubKey + `"`}}, ``},
		{"reason", 401, nil, `{"error":{"code":"revoked","reason":"` + scrubKey + ` leaked"}}`},
		{"revoked_reason", 401, nil, `{"code":"revoked","revoked_reason":"` + scrubKey + `"}`},
		{"header description", 401, http.Header{"Www-Authenticate": {`Bearer error="invalid_token", error_description="token ` + scrubKey + `"`}}, ``},
		{"header description escaped", 401, http.Header{"Www-Authenticate": {`Bearer error_description="` + strings.Join(strings.Split(scrubKey, ""), `\`) + `"`}}, ``},
		{"header code", 401, http.Header{"Www-Authenticate": {`Bearer error="` + scrubKey + `"`}}, ``},
		{"plain text", 502, nil, "upstream said " + scrubKey + "\nmore"},
		{"JSON string", 502, nil, `"` + scrubKey + `"`},
		{"unicode-escaped in JSON", 401, nil, `{"message":"` + strings.ReplaceAll(scrubKey, "A", `\u0041`) + `"}`},
		// The key crossing a field's bound: cutting before scrubbing left
		// the first 19 characters of its secret.
		{"across the message bound", 401, nil, `{"message":"` + strings.Repeat("a", 485) + scrubKey + `"}`},
		{"across the field bound", 401, nil, `{"error":{"code":"revoked","reason":"` + strings.Repeat("r", 105) + scrubKey + `"}}`},
		{"across the request id bound", 500, nil, `{"request_id":"` + strings.Repeat("9", 105) + scrubKey + `"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := apierrors.DecodeRedacted(tc.status, tc.header, []byte(tc.body), scrubKey)
			for _, s := range []string{e.Error(), e.Message, e.RawCode, e.RequestID, e.RequiredScope, e.Reason} {
				if f, ok := holdsKey(s, scrubKey); ok {
					t.Fatalf("holds %q: %s", f, s)
				}
			}
			// The same response without the secret does echo it: the case
			// tests what it means to.
			plain := apierrors.Decode(tc.status, tc.header, []byte(tc.body))
			if _, ok := holdsKey(plain.Error()+plain.RequiredScope+plain.Reason+plain.RequestID, scrubKey); !ok {
				t.Fatalf("case does not echo the key: %s", plain.Error())
			}
		})
	}
}

func TestDecodeRedactedKeepsTheRest(t *testing.T) {
	body := `{"error":{"code":"unknown_key","message":"key ` + scrubKey + ` is unknown","request_id":"req_9"}}`
	e := apierrors.DecodeRedacted(401, nil, []byte(body), "", scrubKey, scrubKey)
	if e.Code != apierrors.CodeUnknownKey || e.Message != "key REDACTED is unknown" || e.RequestID != "req_9" {
		t.Errorf("got code %q message %q request id %q", e.Code, e.Message, e.RequestID)
	}
	// A secret that contains another is removed whole, whatever the order.
	short := scrubKey[:20]
	e = apierrors.DecodeRedacted(400, nil, []byte(`{"message":"`+scrubKey+`"}`), short, scrubKey)
	if e.Message != "REDACTED" {
		t.Errorf("message %q, want REDACTED", e.Message)
	}
}

// response is a failed response to req with body, as a server that echoes
// the request would send it.
func response(req *http.Request, status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{}, Request: req, Body: io.NopCloser(strings.NewReader(body))}
}

// TestFromResponseScrubsTheRequestsCredentials: FromResponse finds the key
// wherever the request carried it, and removes its echo.
func TestFromResponseScrubsTheRequestsCredentials(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte(scrubKey + ":"))
	cases := []struct {
		name   string
		url    string
		header http.Header
	}{
		{"bearer", "https://api.example.com/v1/x", http.Header{"Authorization": {"Bearer " + scrubKey}}},
		{"bearer lower-case scheme", "https://api.example.com/v1/x", http.Header{"Authorization": {"bearer  " + scrubKey}}},
		{"bare authorization", "https://api.example.com/v1/x", http.Header{"Authorization": {scrubKey}}},
		{"basic user", "https://api.example.com/v1/x", http.Header{"Authorization": {"Basic " + basic}}},
		{"x-api-key", "https://api.example.com/v1/x", http.Header{"X-Api-Key": {scrubKey}}},
		{"header named token", "https://api.example.com/v1/x", http.Header{"X-Auth-Token": {scrubKey}}},
		{"header named key", "https://api.example.com/v1/x", http.Header{"Api-Key": {scrubKey}}},
		{"query api_key", "https://api.example.com/v1/x?api_key=" + url.QueryEscape(scrubKey), nil},
		{"query access_token", "https://api.example.com/v1/x?page=2&access_token=" + url.QueryEscape(scrubKey), nil},
		{"query key", "https://api.example.com/v1/x?key=" + url.QueryEscape(scrubKey), nil},
		{"query any long value", "https://api.example.com/v1/x?sig=" + url.QueryEscape(scrubKey), nil},
		{"url password", "https://user:" + url.QueryEscape(scrubKey) + "@api.example.com/v1/x", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header[k] = v
			}
			for _, echo := range keyForms(scrubKey) {
				body := `{"error":{"code":"unknown_key","message":"unknown key ` + echo + `","request_id":"` + echo + `"}}`
				err := apierrors.FromResponse(response(req, 401, body))
				var e *apierrors.Error
				if !apierrors.As(err, &e) || e.Code != apierrors.CodeUnknownKey {
					t.Fatalf("FromResponse = %v, want an unknown_key *Error", err)
				}
				if f, ok := holdsKey(err.Error(), scrubKey); ok {
					t.Fatalf("echo %q: error holds %q: %s", echo, f, err)
				}
				if !strings.Contains(e.Message, "REDACTED") {
					t.Errorf("message %q, want the echo replaced by REDACTED", e.Message)
				}
			}
		})
	}
}

// TestFromResponseLeavesShortValuesAlone: values that cannot be keys (a
// page number, a short idempotency key) are not scrubbed, which would shred
// the server's message.
func TestFromResponseLeavesShortValuesAlone(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://api.example.com/v1/x?page=2&q=cats", nil)
	req.Header.Set("Idempotency-Key", "idem-7")
	req.Header.Set("Authorization", "Bearer "+scrubKey)
	err := apierrors.FromResponse(response(req, 400, `{"message":"page 2 of cats with idem-7 is out of range"}`))
	var e *apierrors.Error
	if !apierrors.As(err, &e) || e.Message != "page 2 of cats with idem-7 is out of range" {
		t.Errorf("message %q, want it untouched", e.Message)
	}
	if apierrors.FromResponse(response(nil, 404, `{"message":"no request"}`)) == nil {
		t.Error("FromResponse without a Request gave nil")
	}
}
