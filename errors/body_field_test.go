package apierrors

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestBodyKeptScrubbed: the body is there for details the SDK does not
// model (a 422's field errors), with the key removed, and bounded.
func TestBodyKeptScrubbed(t *testing.T) {
	const key = "hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
	body := `{"error":{"code":"invalid","message":"bad input","fields":{"email":"missing"}},"echo":"` + key + `","enc":"` + url.QueryEscape(key) + `"}`
	e := DecodeRedacted(422, http.Header{}, []byte(body), key)
	if !strings.Contains(string(e.Body), `"fields":{"email":"missing"}`) {
		t.Errorf("Body %s lacks the field errors", e.Body)
	}
	if strings.Contains(string(e.Body), key) || strings.Contains(string(e.Body), url.QueryEscape(key)) {
		t.Errorf("Body holds the key: %s", e.Body)
	}
	if strings.Contains(e.Error(), "fields") {
		t.Errorf("Error() prints the body: %s", e)
	}
	if e := Decode(500, nil, []byte(strings.Repeat("x", MaxBodyBytes+10))); len(e.Body) != MaxBodyBytes {
		t.Errorf("Body is %d bytes, want the %d bound", len(e.Body), MaxBodyBytes)
	}
	if e := Decode(503, nil, nil); e.Body != nil {
		t.Errorf("an empty answer has Body %q", e.Body)
	}
}
