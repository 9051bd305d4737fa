package client

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
)

// RequestOption adjusts one call made with DoWith or Send.
type RequestOption func(*requestSettings)

type requestSettings struct {
	idempotencyKey string
	header         http.Header
	noRetry        bool
}

// WithIdempotencyKey sends an Idempotency-Key header, the same on every
// attempt, which makes a POST or PATCH safe to retry: the server applies it
// once. Pass "" to have the client generate a random key for this call.
func WithIdempotencyKey(key string) RequestOption {
	return func(r *requestSettings) {
		if key == "" {
			key = newIdempotencyKey()
		}
		r.idempotencyKey = key
	}
}

// WithHeader adds a header to the request. It cannot replace the header
// that carries the key.
func WithHeader(name, value string) RequestOption {
	return func(r *requestSettings) {
		if r.header == nil {
			r.header = make(http.Header)
		}
		r.header.Add(name, value)
	}
}

// WithoutRetry sends the request once, whatever the failure.
func WithoutRetry() RequestOption {
	return func(r *requestSettings) { r.noRetry = true }
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
