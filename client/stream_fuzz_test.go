package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	apierrors "github.com/apikit/apikit-go/errors"
)

// FuzzStream feeds any bytes to a Stream as the body of its first
// connection ("$K" and "$Q" in it stand for the key and its query-escaped
// form, so that the fuzzer can make the server echo the key into event
// names, data and auth events; every reconnection is answered 503). It
// checks that the Stream never panics, delivers only events within the
// bound with a type, always ends, and ends with an error that is one line
// holding no piece of the key — an auth event's error an *apierrors.Error
// of an auth class.
func FuzzStream(f *testing.F) {
	f.Add([]byte("id: 1\ndata: {\"seq\":1}\n\nevent: auth_revoked\ndata: {\"error\":{\"code\":\"revoked\",\"message\":\"$K\",\"revoked_at\":\"2026-11-27T10:00:00Z\",\"reason\":\"$Q\"}}\n\n"))
	f.Add([]byte("event: auth_$K\ndata: {\"error\":{\"code\":\"$K\",\"request_id\":\"$K\"}}\n\n"))
	f.Add([]byte("\ufeffretry: 10\r\nid: $K\r\ndata: a\r\rdata: b\n: c\n\nid: 2\x00\ndata"))
	f.Add([]byte("event: auth_key_ceiling_exceeded\ndata: \n\nevent: auth_unauthorized_ip\ndata: x\n\n"))
	f.Add([]byte("data: " + strings.Repeat("y", 300) + "\n\n"))
	const maxEvent = 256
	f.Fuzz(func(t *testing.T, body []byte) {
		body = bytes.ReplaceAll(body, []byte("$K"), []byte(testKey))
		body = bytes.ReplaceAll(body, []byte("$Q"), []byte(url.QueryEscape(testKey)))
		var n atomic.Int32
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			h := http.Header{"Content-Type": {"text/event-stream"}}
			if n.Add(1) > 1 {
				h.Set("Content-Type", "application/json")
				return &http.Response{StatusCode: 503, Header: h, Body: io.NopCloser(strings.NewReader(`{"error":"busy"}`)), Request: r}, nil
			}
			return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
		})
		var logs logBuffer
		fs := &fakeSleep{}
		c, err := New(WithService(testService("https://api.example.com")), WithAPIKey(testKey), withSleeper(fs.sleep),
			WithHTTPClient(&http.Client{Transport: rt}), WithMaxRetries(1), WithLogger(logs.logger()))
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Stream(context.Background(), "/v1/stream", WithMaxEventBytes(maxEvent))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer s.Close()
		events := 0
		for s.Next() {
			ev := s.Event()
			if ev.Type == "" || len(ev.Data) > maxEvent || strings.HasPrefix(ev.Type, "auth_") {
				t.Fatalf("event %+v", ev)
			}
			if events++; events > len(body) {
				t.Fatalf("%d events from %d bytes", events, len(body))
			}
		}
		err = s.Err()
		if err == nil {
			t.Fatal("the stream ended without an error (every reconnection is refused)")
		}
		text := err.Error()
		var ae *apierrors.Error
		if errors.As(err, &ae) {
			text += fmt.Sprintf(" %+v %#v %s %s", ae, ae, ae.Body, ae.Reason)
			if ae.StatusCode != 503 && !errors.Is(err, apierrors.ErrAuthentication) && !errors.Is(err, apierrors.ErrPermission) && !errors.Is(err, apierrors.ErrPayment) {
				t.Errorf("an auth event's error of no auth class: %v", err)
			}
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("Err is not one line: %q", err.Error())
		}
		for _, out := range []string{text, logs.String()} {
			for i := 0; i+16 <= len(testKey); i++ {
				if strings.Contains(out, testKey[i:i+16]) {
					t.Fatalf("a piece of the key %q in %q", testKey[i:i+16], out)
				}
			}
		}
	})
}
