package client

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestNoKeyInAnyOutput runs the client's failure and success scenarios with
// a debug logger and searches every log line, error text and %+v/%#v of
// what came back for the key in any form.
func TestNoKeyInAnyOutput(t *testing.T) {
	var logs logBuffer
	var outputs []string
	record := func(vs ...any) {
		for _, v := range vs {
			outputs = append(outputs, fmt.Sprintf("%v | %+v | %#v", v, v, v))
			if err, ok := v.(error); ok && err != nil {
				outputs = append(outputs, err.Error())
			}
		}
	}
	echo := func(w http.ResponseWriter, r *http.Request) {
		// A hostile or careless server echoes the key back everywhere.
		k := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if k == "" {
			k = r.Header.Get("X-Api-Key") + r.URL.Query().Get("api_key")
		}
		w.Header().Set("X-Request-ID", "req_"+k)
		w.Header().Set("Retry-After", "1")
		reply(503, fmt.Sprintf(`{"error":{"code":"unavailable_%s","message":"bad key %s","reason":"%s"}}`, k, k, k))(w, r)
	}
	styles := [][]Option{nil, {WithHeaderAuth("")}, {WithQueryAuth("")}}
	for _, style := range styles {
		opts := append([]Option{WithLogger(logs.logger())}, style...)
		srv := newScripted(t, echo)
		c, _ := newTestClient(t, srv, opts...)
		record(c.Do(context.Background(), "GET", "/v1/x?page=1", nil, nil))
		record(c.DoWith(context.Background(), "POST", "/v1/jobs", map[string]string{"a": "b"}, nil, WithIdempotencyKey("")))

		revoked := newScripted(t, reply(401, `{"error":{"code":"revoked","message":"revoked `+testKey+`","reason":"`+url.QueryEscape(testKey)+`"}}`))
		c2, _ := newTestClient(t, revoked, opts...)
		record(c2.Do(context.Background(), "GET", "/", nil, nil))

		capSrv := newScripted(t, reply(429, `{"error":{"code":"rate_limited"}}`, "Retry-After", "3600"))
		c3, _ := newTestClient(t, capSrv, opts...)
		record(c3.Do(context.Background(), "GET", "/", nil, nil))

		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		c4, err := New(append([]Option{WithService(testService("http://" + addr)), WithAPIKey(testKey), withSleeper((&fakeSleep{}).sleep)}, opts...)...)
		record(err, c4)
		record(c4.Do(context.Background(), "GET", "/v1/x", nil, nil))
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		record(c4.Do(ctx, "GET", "/v1/x", nil, nil))
		cancel()
		cred, err := c4.Credential(context.Background())
		record(cred, err, c4.Diagnose(context.Background()))

		other := newScripted(t, reply(200, `{}`))
		redir := newScripted(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, other.URL, http.StatusFound) })
		c5, _ := newTestClient(t, redir, opts...)
		record(c5.Do(context.Background(), "GET", "/", nil, nil))
	}
	_, err := New(WithService(testService("https://x.example")), WithAPIKey(testKey+"\n"), WithLogger(logs.logger()))
	record(err)
	_, err = New(WithService(testService("http://x.example/?api_key="+testKey)), WithAPIKey(testKey))
	record(err)

	all := strings.Join(outputs, "\n") + "\n" + logs.String()
	if !strings.Contains(logs.String(), "apikit: retrying") || !strings.Contains(logs.String(), "apikit: attempt") {
		t.Fatalf("the scenarios did not log (test is not exercising the logger):\n%s", logs.String())
	}
	for _, form := range []string{testKey, url.QueryEscape(testKey), base64.StdEncoding.EncodeToString([]byte(testKey)),
		base64.RawURLEncoding.EncodeToString([]byte(testKey)), testKey[8:]} {
		if i := strings.Index(all, form); i >= 0 {
			t.Errorf("the key (%q form) appears in output: …%s…", form[:6], all[max(0, i-80):min(len(all), i+len(form)+20)])
		}
	}
}
