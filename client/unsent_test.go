package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
)

// A middleware sees every well-formed call with its outcome, the ones that
// end before anything is sent too, with Attempts 0 (and so does
// WithResponseInto): a malformed key, a refusal by the key's pacer, a
// context already done. A malformed call is refused before it.
func TestMiddlewareSeesCallsThatSendNothing(t *testing.T) {
	type seen struct {
		call Call
		err  error
	}
	var calls []seen
	mw := func(ctx context.Context, call *Call, next func(context.Context) error) error {
		err := next(ctx)
		calls = append(calls, seen{*call, err})
		return err
	}
	srv := newScripted(t, reply(200, `{}`), reply(200, `{}`))
	c, _ := newTestClient(t, srv, WithMiddleware(mw), WithRateLimit(1, 1), WithMaxRetryAfter(100*time.Millisecond))
	bad, err := New(WithService(testService(srv.URL)), WithCredentials(credentials.Static("bad key")), WithMiddleware(mw))
	if err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Do(context.Background(), "GET", "/first", nil, nil); err != nil {
		t.Fatal(err)
	}
	calls = nil
	for _, tc := range []struct {
		name string
		c    *Client
		ctx  context.Context
		want func(error) bool
	}{
		{"malformed key", bad, context.Background(), func(err error) bool { return errors.Is(err, apierrors.ErrMalformedToken) }},
		{"pacer refusal", c, context.Background(), func(err error) bool {
			var ae *apierrors.Error
			return errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests && ae.Attempts == 0 && strings.Contains(err.Error(), "nothing was sent")
		}},
		{"context already done", c, done, func(err error) bool {
			var te *TransportError
			return errors.As(err, &te) && te.Attempts == 0 && errors.Is(err, context.Canceled) && strings.Contains(err.Error(), "nothing was sent")
		}},
	} {
		calls = nil
		r := Response{Attempts: 9}
		err := tc.c.DoWith(tc.ctx, "GET", "/x", nil, nil, WithResponseInto(&r))
		switch {
		case !tc.want(err):
			t.Errorf("%s: err %v", tc.name, err)
		case len(calls) != 1 || calls[0].err != err || calls[0].call.Attempts != 0:
			t.Errorf("%s: the middleware saw %+v", tc.name, calls)
		case r.Attempts != 0 || r.StatusCode != 0:
			t.Errorf("%s: Response %+v; want 0 attempts", tc.name, r)
		}
	}
	if n := len(srv.got()); n != 1 {
		t.Errorf("the server got %d requests; want the first call's only", n)
	}
	calls = nil
	if err := c.Do(context.Background(), "GET", "no-slash", nil, nil); err == nil || len(calls) != 0 {
		t.Errorf("a malformed call: err %v, the middleware saw %d calls; want it refused before the middleware", err, len(calls))
	}
}

// Without middleware, a call whose context is done before it starts still
// reports 0 attempts, and books nothing with the pacer.
func TestCancelledBeforeSendingCountsNoAttempt(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	c, fs := newTestClient(t, srv, WithRateLimit(1, 1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var r Response
	err := c.DoWith(ctx, "GET", "/x", nil, nil, WithResponseInto(&r))
	var te *TransportError
	if !errors.As(err, &te) || te.Attempts != 0 || r.Attempts != 0 || len(srv.got()) != 0 {
		t.Fatalf("err %v, Response %+v, %d sent", err, r, len(srv.got()))
	}
	// The slot of the rate limit (burst 1) is still free: the next call
	// goes without waiting for the pacer.
	if err := c.Do(context.Background(), "GET", "/x", nil, nil); err != nil || len(fs.got()) != 0 {
		t.Fatalf("next call: %v after waits %v", err, fs.got())
	}
}
