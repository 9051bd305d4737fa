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
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.Fragment = ""
	c.RawFragment = ""
	if c.RawQuery != "" {
		c.RawQuery = Query(c.RawQuery)
	}
	return c.String()
}

// Query returns the raw query with every value replaced by Placeholder.
// Unparseable pieces are replaced whole.
func Query(raw string) string {
	var b strings.Builder
	for i, part := range strings.Split(raw, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err != nil || strings.ContainsAny(n, "\x00\r\n") {
			b.WriteString(Placeholder)
			continue
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(Placeholder)
	}
	return b.String()
}
