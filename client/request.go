package client

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// RequestOption adjusts one call made with DoWith, Send or Stream. It is
// the same type as Option: the options with a per-call meaning are given
// to New for every call and to a call for that call alone (see Option).
type RequestOption = Option

// requestSettings is what the options given to one call fill in.
type requestSettings struct {
	idempotencyKey    string
	header            http.Header
	noRetry           bool
	key               *resolved // send with this key, not the client's (Rotate)
	streamIdle        time.Duration
	maxEvent          int
	maxRetries        int
	maxRetriesSet     bool
	attemptTimeout    time.Duration
	attemptTimeoutSet bool
	timeout           time.Duration
	timeoutSet        bool
	baseURL           string
	into              *Response
	middleware        []Middleware
}

// perCallOnly is the error of an option that means something for one call
// only, given to New.
func perCallOnly(name string) error {
	return fmt.Errorf("%s is an option of one call: give it to DoWith, Send or Stream, not to New", name)
}

// usingKey sends the request with r instead of the client's own key.
func usingKey(r *resolved) RequestOption {
	return func(o *settings) error {
		if o.call == nil {
			return perCallOnly("usingKey")
		}
		o.call.key = r
		return nil
	}
}

// WithIdempotencyKey sends an Idempotency-Key header, the same on every
// attempt, which makes a POST or PATCH safe to retry: the server applies it
// once. Pass "" to have the client generate a random key for each call the
// option is given to (one per logical request, reused by its retries).
func WithIdempotencyKey(key string) RequestOption {
	return func(o *settings) error {
		if o.call == nil {
			return perCallOnly("WithIdempotencyKey")
		}
		k := key // a fresh key per call: the option value may be reused, even concurrently
		if k == "" {
			k = newIdempotencyKey()
		}
		o.call.idempotencyKey = k
		return nil
	}
}

// WithHeader sets a header on the request, replacing any value the SDK
// would send (Accept, Content-Type, User-Agent); give it more than once for
// the same name to send several values. It cannot replace the header that
// carries the key. A name that is not a valid header name, or a value with a
// line break or other control character, fails the call before anything is
// sent. Given to New, the header goes with every call (a call's own
// WithHeader of the same name replaces it); New refuses a bad name or
// value.
func WithHeader(name, value string) RequestOption {
	return func(o *settings) error {
		h := &o.header
		if o.call != nil {
			h = &o.call.header
		} else if err := checkHeader(name, []string{value}); err != nil {
			return err
		}
		if *h == nil {
			*h = make(http.Header)
		}
		h.Add(name, value)
		return nil
	}
}

// WithoutRetry sends the request once, whatever the failure.
func WithoutRetry() RequestOption {
	return func(o *settings) error {
		if o.call == nil {
			return perCallOnly("WithoutRetry (the client-wide form is WithMaxRetries(0))")
		}
		o.call.noRetry = true
		return nil
	}
}

// WithStreamIdleTimeout makes a Stream treat a connection that brings no
// byte for d (no event, no comment) as cut, and reconnect (0, the default:
// no idle timeout). Use it with a
// server that sends heartbeats (comment lines) more often than d, so that a
// connection a proxy or the network silently dropped is noticed in d.
// Without it only TCP keepalive notices a dead peer (the default
// transport's probes take about two and a half minutes on Linux), and a
// connection a proxy holds open but silent is waited on for as long as the
// stream's context allows. Only Stream reads it.
func WithStreamIdleTimeout(d time.Duration) RequestOption {
	return func(o *settings) error {
		if o.call == nil {
			return perCallOnly("WithStreamIdleTimeout")
		}
		o.call.streamIdle = d
		return nil
	}
}

// WithMaxEventBytes bounds the data of one event of a Stream (default
// DefaultMaxEventBytes; 0 also means the default), so that a server cannot
// make the client buffer without end; a larger event ends the stream with an
// error. Only Stream reads it.
func WithMaxEventBytes(n int) RequestOption {
	return func(o *settings) error {
		if o.call == nil {
			return perCallOnly("WithMaxEventBytes")
		}
		o.call.maxEvent = n
		return nil
	}
}

// newIdempotencyKey returns a random UUIDv4.
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// idempotentMethod reports whether RFC 9110 makes method idempotent.
func idempotentMethod(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// check refuses headers net/http would reject only at send time, where the
// failure would look like a network error.
func (r *requestSettings) check() error {
	if r.streamIdle < 0 {
		return fmt.Errorf("WithStreamIdleTimeout(%s): the timeout is negative", r.streamIdle)
	}
	if r.maxEvent < 0 {
		return fmt.Errorf("WithMaxEventBytes(%d): the bound is negative", r.maxEvent)
	}
	for name, vs := range r.header {
		if err := checkHeader(name, vs); err != nil {
			return err
		}
	}
	return nil
}

// checkHeader refuses what WithHeader cannot send.
func checkHeader(name string, vs []string) error {
	if !validHeaderName(name) {
		return fmt.Errorf("WithHeader(%q, …): not a valid header name", name)
	}
	for _, v := range vs {
		if !validHeaderValue(v) {
			return fmt.Errorf("WithHeader(%q, …): the value holds a line break or another control character", name)
		}
	}
	return nil
}

// validHeaderValue reports whether v is a valid field value: no control
// characters but horizontal tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
