package client

import (
	"net/url"
	"strings"

	"github.com/apikit/apikit-go/internal/keyshape"
	"github.com/apikit/apikit-go/internal/redact"
)

// shownURL renders u for an error: without user info or fragment, with
// REDACTED for the value of every query parameter that carries the key (the
// client's query-auth parameter), names a credential (api_key, token,
// secret, password, signature, ...) or holds a key-shaped value, and with
// the key itself scrubbed wherever else it appears. Every other value stays,
// so that the error says which URL failed (?url=https://example.com).
func (k *call) shownURL(u *url.URL) string {
	s := redact.URLFunc(u, func(name, value string) bool {
		return (k.c.queryParam != "" && strings.EqualFold(name, k.c.queryParam)) || credentialParam(name) || keyShapedValue(value)
	})
	if k.key != nil {
		s = k.key.red.Redact(s)
	}
	return s
}

// credentialParam reports whether a query parameter's name says it holds a
// credential.
func credentialParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"key", "token", "secret", "pass", "pwd", "auth", "sig", "cred", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// keyShapedValue reports whether a query value holds a word that could be
// a key (keyshape.Word); words are runs of URL-safe characters and dots.
func keyShapedValue(v string) bool {
	for _, w := range strings.FieldsFunc(v, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-' || r == '.')
	}) {
		if keyshape.Word(w) {
			return true
		}
	}
	return false
}
