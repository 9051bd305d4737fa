package apierrors

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/apikit/apikit-go/internal/redact"
)

// scrubber removes secrets from the text Decode takes from a response: each
// whole, in its URL-encoded and base64 forms, and (for the secrets known to
// be credentials) any run of redact.MinRun bytes of one. Built once per
// Redactor; a nil scrubber removes nothing.
type scrubber = *redact.Set

// scrubbed scrubs v, then makes it one line of at most max bytes: scrubbing
// first means a cut can never leave part of a secret behind.
func scrubbed(s scrubber, v string, max int) string {
	return clean(s.Redact(v), max)
}

// Lengths below which a value found by its name alone (not by its place in
// the auth protocol) is not taken for a secret: shorter values are not keys,
// and scrubbing them would shred the server's message.
const (
	minNamedSecret   = 8  // a header or query parameter named like *key* or *token*
	minUnnamedSecret = 16 // any other query value
)

// requestSecrets collects the values of req that may be a credential:
// the credential of Authorization and Proxy-Authorization (Bearer or any
// other scheme; for Basic also the decoded user and password), X-API-Key,
// any header named like *key* or *token*, the URL's password, the query
// values of api_key, apikey, key, token and access_token and of any
// parameter named like *key* or *token* — all of which are scrubbed whole
// and by any run of redact.MinRun bytes — and any other query value of 16
// bytes or more, scrubbed only whole: it may be a credential, but it may as
// well be a URL whose every "https://" a run would remove.
func requestSecrets(req *http.Request) (creds, whole []string) {
	if req == nil {
		return nil, nil
	}
	add := func(v string, min int) {
		if v = strings.TrimSpace(v); len(v) >= min && len(v) > 0 {
			creds = append(creds, v)
		}
	}
	for name, values := range req.Header {
		lower := strings.ToLower(name)
		for _, v := range values {
			switch {
			case lower == "authorization" || lower == "proxy-authorization":
				creds = append(creds, authSecrets(v)...)
			case lower == "x-api-key":
				add(v, 1)
			case strings.Contains(lower, "key") || strings.Contains(lower, "token"):
				add(v, minNamedSecret)
			}
		}
	}
	if req.URL != nil {
		if p, ok := req.URL.User.Password(); ok {
			add(p, 1)
		}
		named, unnamed := querySecrets(req.URL.RawQuery)
		creds, whole = append(creds, named...), unnamed
	}
	return creds, whole
}

// authSecrets returns the credential of one Authorization value: what
// follows the scheme (or the whole value when it has no scheme), and for
// Basic also the decoded "user:password", and the user and the password
// each when it is long enough to be a key.
func authSecrets(v string) []string {
	v = strings.TrimSpace(v)
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok {
		if strings.EqualFold(v, "Bearer") || strings.EqualFold(v, "Basic") {
			return nil // a scheme without a credential
		}
		return []string{v} // a bare credential, as some APIs take it
	}
	cred = strings.TrimSpace(cred)
	out := []string{cred}
	if strings.EqualFold(scheme, "Basic") {
		if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
			out = append(out, string(dec))
			user, pass, _ := strings.Cut(string(dec), ":")
			for _, part := range [...]string{user, pass} {
				if len(part) >= minNamedSecret {
					out = append(out, part)
				}
			}
		}
	}
	return out
}

// querySecrets returns the values of a raw query that may be credentials,
// both decoded and as they were written, so that an echo of either form is
// found: named ones (api_key, token, *key*, …) and, apart, other values of
// 16 bytes or more.
func querySecrets(raw string) (named, unnamed []string) {
	for _, part := range strings.Split(raw, "&") {
		rawName, rawValue, _ := strings.Cut(part, "=")
		name, err1 := url.QueryUnescape(rawName)
		value, err2 := url.QueryUnescape(rawValue)
		if err1 != nil {
			name = rawName
		}
		if err2 != nil {
			value = rawValue
		}
		if value == "" {
			continue
		}
		lower := strings.ToLower(name)
		switch {
		case lower == "api_key" || lower == "apikey" || lower == "api-key" || lower == "key" || lower == "token" || lower == "access_token":
			named = append(named, value, rawValue)
		case strings.Contains(lower, "key") || strings.Contains(lower, "token"):
			if len(value) >= minNamedSecret {
				named = append(named, value, rawValue)
			}
		case len(value) >= minUnnamedSecret:
			unnamed = append(unnamed, value, rawValue)
		}
	}
	return named, unnamed
}
