package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestDoNonJSONAnswerIsADecodeError: a 2xx answer Do cannot decode into out
// is a *DecodeError naming the status and the content type (it was an
// untyped fmt.wrapError); its text holds no byte of the body, which here
// echoes the key.
func TestDoNonJSONAnswerIsADecodeError(t *testing.T) {
	html := "<html>Welcome to the hotel Wi-Fi, " + testKey + "</html>"
	for _, tc := range []struct {
		name    string
		step    http.HandlerFunc
		out     any
		ct      string
		reasons []string
	}{
		{"HTML page", reply(200, html, "Content-Type", "text/html; charset=utf-8"), &struct{ Content string }{}, "text/html",
			[]string{"the 200 answer (81 bytes) is text/html, not JSON", "invalid JSON at byte 1", "check the base URL"}},
		{"no content type", func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = nil // no sniffing either
			_, _ = w.Write([]byte(testKey))
		}, &struct{ Content string }{}, "",
			[]string{"has no Content-Type and is not JSON"}},
		{"JSON of another shape", reply(200, `{"content": 12345, "echo": "`+testKey+`"}`), &struct{ Content string }{}, "application/json",
			[]string{"200 application/json answer", "a JSON number where string was expected at .Content"}},
		{"a map keyed by the key", reply(201, `{"M": {"`+testKey+`": "x"}}`), &struct{ M map[string]int }{}, "application/json",
			[]string{"201 application/json answer", "a JSON string where int was expected"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newScripted(t, tc.step)
			c, _ := newTestClient(t, srv)
			err := c.Do(context.Background(), "GET", "/v1/page?url=x", nil, tc.out)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (%T), want a *DecodeError", err, err)
			}
			if de.ContentType != tc.ct || de.Method != "GET" || de.Path != "/v1/page" || de.Target != fmt.Sprintf("%T", tc.out) {
				t.Errorf("DecodeError %+v", de)
			}
			for _, want := range tc.reasons {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %q, want it to say %q", err, want)
				}
			}
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				if strings.Contains(s, testKey[8:16]) || strings.Contains(s, "hotel") || strings.Contains(s, "12345") {
					t.Errorf("the error quotes the body: %s", s)
				}
			}
			if errors.Unwrap(err) != nil {
				t.Errorf("it wraps %v: the decoder's errors quote the body", errors.Unwrap(err))
			}
		})
	}
}

// deadTransport fails every request without an answer (and without naming
// the URL, so only TransportError's own URL is judged).
type deadTransport struct{}

func (deadTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused")
}

// TestTransportErrorSaysWhichURL: the URL in a TransportError keeps the
// query values that are not credentials (it replaced every value with
// REDACTED, so the error did not say which URL failed), and redacts the
// key's own parameter, credential-named parameters, key-shaped values and
// the key wherever it is.
func TestTransportErrorSaysWhichURL(t *testing.T) {
	other := "hd_live_" + strings.Repeat("Zq9", 10) + "xy" // another key, key-shaped
	c, err := New(WithService(testService("https://api.example.com")), WithAPIKey(testKey), WithMaxRetries(0),
		WithHTTPClient(&http.Client{Transport: deadTransport{}}))
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/scrape?url=https%3A%2F%2Fexample.com%2Fpage&page=2&access_token=tok123&id=" + other + "&echo=" + testKey + "&q=go+tips"
	err = c.Do(context.Background(), "GET", path, nil, nil)
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a *TransportError", err)
	}
	want := "https://api.example.com/v1/scrape?url=https%3A%2F%2Fexample.com%2Fpage&page=2&access_token=REDACTED&id=REDACTED&echo=REDACTED&q=go+tips"
	if te.URL != want {
		t.Errorf("URL = %s\nwant  %s", te.URL, want)
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err)} {
		if strings.Contains(s, testKey[8:16]) || strings.Contains(s, other[8:16]) || strings.Contains(s, "tok123") {
			t.Errorf("the error holds a secret: %s", s)
		}
	}

	// With the key in the query, its parameter is redacted whatever its name.
	qsvc := testService("https://api.example.com")
	qsvc.Auth, qsvc.QueryParam = AuthQuery, "k"
	c, err = New(WithService(qsvc), WithAPIKey(testKey), WithQueryAuth(""), WithMaxRetries(0),
		WithHTTPClient(&http.Client{Transport: deadTransport{}}))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(context.Background(), "GET", "/v1/x?k=abc&page=3", nil, nil)
	if !errors.As(err, &te) || te.URL != "https://api.example.com/v1/x?k=REDACTED&page=3" {
		t.Errorf("query auth: err = %v", err)
	}
}
