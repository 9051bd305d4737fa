// Package redact removes secrets from text the SDK prints: URLs whose query
// may carry a key, and strings a server echoed back.
package redact

import (
	"net/url"
	"strings"
)

// Placeholder replaces a removed value.
const Placeholder = "REDACTED"

// URL renders u without user info and with every query value replaced by
// Placeholder, so that a key sent as ?api_key=… never reaches a log line or
// an error text. The names of the query parameters are kept: they help a
// person see which request it was.
func URL(u *url.URL) string { return URLFunc(u, every) }

// URLFunc renders u without user info or fragment, with the value of each
// query parameter for which secret(name, value) is true (both unescaped)
// replaced by Placeholder; see QueryFunc.
func URLFunc(u *url.URL, secret func(name, value string) bool) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.Fragment = ""
	c.RawFragment = ""
	if c.RawQuery != "" {
		c.RawQuery = QueryFunc(c.RawQuery, secret)
	}
	return c.String()
}

// Query returns the raw query with every value replaced by Placeholder.
// Unparseable pieces are replaced whole.
func Query(raw string) string { return QueryFunc(raw, every) }

// every flags every value.
func every(string, string) bool { return true }

// QueryFunc returns the raw query with the value of each parameter for
// which secret(name, value) is true replaced by Placeholder, and the others
// as they were. A piece whose name does not unescape to safe text (no NUL,
// CR or LF) is replaced whole; a value that does not unescape is replaced.
func QueryFunc(raw string, secret func(name, value string) bool) string {
	var b strings.Builder
	for i, part := range strings.Split(raw, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		name, value, _ := strings.Cut(part, "=")
		n, err := url.QueryUnescape(name)
		if err != nil || strings.ContainsAny(n, "\x00\r\n") {
			b.WriteString(Placeholder)
			continue
		}
		if v, err := url.QueryUnescape(value); err == nil && !secret(n, v) {
			b.WriteString(part)
			continue
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(Placeholder)
	}
	return b.String()
}
