package apierrors_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	apierrors "github.com/apikit/apikit-go/errors"
)

// partialKey is a Hypedata-shaped key: "hd_live_" and a 32-character secret.
const partialKey = "hd_live_8K2nB7q4XwY1mZ5pR3tV9cJ6fH0sLdQa"

// secretRun returns the first run of 8 bytes of key's secret part (all of
// it but "hd_live_") that s holds, in any form the server could echo.
func secretRun(s, key string) (string, bool) {
	secret := key[len("hd_live_"):]
	forms := []string{secret, url.QueryEscape(secret), base64.StdEncoding.EncodeToString([]byte(key)),
		base64.RawURLEncoding.EncodeToString([]byte(key))}
	for _, f := range forms {
		for i := 0; i+8 <= len(f); i++ {
			if run := f[i : i+8]; strings.Contains(s, run) {
				return run, true
			}
		}
	}
	return "", false
}

// TestDecodeRedactedPartialEcho: a server that echoes part of the key (the
// first 12 to 16 characters of its secret, cut with "…", as the issue
// reports) leaves no run of 8 of them in the error, its text or its body.
func TestDecodeRedactedPartialEcho(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte(partialKey))
	cases := []struct {
		name, body string
		status     int
	}{
		{"unknown, 12 characters", `{"error":{"code":"unknown_key","message":"key hd_live_8K2nB7q4XwY1… is not known"}}`, 401},
		{"unknown, 16 characters", `{"error":{"code":"unknown_key","message":"key hd_live_8K2nB7q4XwY1mZ5p... is not known"}}`, 401},
		{"the middle of the secret", `{"message":"saw …B7q4XwY1mZ5pR3…"}`, 401},
		{"the end of the secret", `{"message":"key ending 9cJ6fH0sLdQa is unknown"}`, 401},
		{"revoked reason", `{"error":{"code":"revoked","reason":"leaked as hd_live_8K2nB7q4XwY1","revoked_at":"2026-11-27T10:00:00Z"}}`, 401},
		{"a piece of the base64 form", `{"message":"basic ` + b64[6:26] + `… rejected"}`, 401},
		{"plain text", "no key 4XwY1mZ5pR3t here", 502},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := secretRun(tc.body, partialKey); !ok {
				t.Fatal("the case does not echo a piece of the key")
			}
			for _, e := range []*apierrors.Error{
				apierrors.DecodeRedacted(tc.status, http.Header{}, []byte(tc.body), partialKey),
				apierrors.NewRedactor(partialKey).Decode(tc.status, http.Header{}, []byte(tc.body)),
			} {
				for _, s := range []string{e.Error(), e.Message, e.Reason, e.RawCode, string(e.Body)} {
					if run, ok := secretRun(s, partialKey); ok {
						t.Fatalf("holds %q of the key's secret: %s", run, s)
					}
				}
			}
		})
	}
}

// TestDecodeRedactedPartialEchoKeepsWords: what is removed is the piece of
// the secret; the public prefix, and text that merely looks like a key's
// prefix, stay, so that the message still reads.
func TestDecodeRedactedPartialEchoKeepsWords(t *testing.T) {
	r := apierrors.NewRedactor(partialKey)
	e := r.Decode(401, nil, []byte(`{"error":{"code":"unknown_key","message":"key hd_live_8K2nB7q4XwY1… is not known"}}`))
	if want := "key hd_live_REDACTED… is not known"; e.Message != want {
		t.Errorf("Message = %q, want %q", e.Message, want)
	}
	e = r.Decode(403, nil, []byte(`{"message":"hd_live_ keys cannot call /v1/test; use an hd_test_ key"}`))
	if want := "hd_live_ keys cannot call /v1/test; use an hd_test_ key"; e.Message != want {
		t.Errorf("Message = %q, want it untouched", e.Message)
	}
	// Seven characters of the secret are not a run.
	if got := r.Redact("hd_live_8K2nB7q…"); got != "hd_live_8K2nB7q…" {
		t.Errorf("Redact of 7 characters = %q, want it untouched", got)
	}
}

// TestFromResponsePartialEcho: FromResponse finds the key in the request and
// removes a partial echo of it too; a long query value that may not be a
// key (a URL) is removed only whole, so that its pieces ("https://") do not
// shred the message.
func TestFromResponsePartialEcho(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://api.example.com/v1/scrape?url="+url.QueryEscape("https://example.com/a/long/page"), nil)
	req.Header.Set("Authorization", "Bearer "+partialKey)
	err := apierrors.FromResponse(response(req, 401, `{"error":{"code":"unknown_key","message":"key hd_live_8K2nB7q4XwY1… is not known for https://example.com"}}`))
	if run, ok := secretRun(err.Error(), partialKey); ok {
		t.Fatalf("holds %q: %v", run, err)
	}
	if !strings.Contains(err.Error(), "for https://example.com") {
		t.Errorf("the URL in the message was shredded: %v", err)
	}
}
