package errors

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/apikit/apikit-go/internal/redact"
)

// scrubber removes secrets from the text Decode takes from a response.
type scrubber []string // distinct, non-empty, longest first

// newScrubber keeps the non-empty secrets, each once, longest first, so that
// a secret that holds another is removed whole before the shorter one could
// leave a piece of it behind.
func newScrubber(secrets []string) scrubber {
	if len(secrets) <= 1 { // the client's case: one key, no map or sort needed
		if len(secrets) == 1 && secrets[0] != "" {
			return scrubber(secrets)
		}
		return nil
	}
	seen := make(map[string]bool, len(secrets))
	var s scrubber
	for _, v := range secrets {
		if v != "" && !seen[v] {
			seen[v] = true
			s = append(s, v)
		}
	}
	sort.SliceStable(s, func(i, j int) bool { return len(s[i]) > len(s[j]) })
	return s
}

// scrub replaces every secret in v, and its URL-encoded forms, with
// redact.Placeholder.
func (s scrubber) scrub(v string) string {
	for _, secret := range s {
		v = redact.Secret(v, secret)
	}
	return v
}

// text scrubs v, then makes it one line of at most max bytes: scrubbing
// first means a cut can never leave part of a secret behind.
func (s scrubber) text(v string, max int) string {
	return clean(s.scrub(v), max)
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
// values of api_key, apikey, key, token and access_token, of any parameter
// named like *key* or *token*, and any query value of 16 bytes or more.
func requestSecrets(req *http.Request) []string {
	if req == nil {
		return nil
	}
	var out []string
	add := func(v string, min int) {
		if v = strings.TrimSpace(v); len(v) >= min && len(v) > 0 {
			out = append(out, v)
		}
	}
	for name, values := range req.Header {
		lower := strings.ToLower(name)
		for _, v := range values {
			switch {
			case lower == "authorization" || lower == "proxy-authorization":
				out = append(out, authSecrets(v)...)
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
		out = append(out, querySecrets(req.URL.RawQuery)...)
	}
	return out
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
// found.
func querySecrets(raw string) []string {
	var out []string
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
		lower := strings.ToLower(name)
		min := minUnnamedSecret
		switch {
		case lower == "api_key" || lower == "apikey" || lower == "api-key" || lower == "key" || lower == "token" || lower == "access_token":
			min = 1
		case strings.Contains(lower, "key") || strings.Contains(lower, "token"):
			min = minNamedSecret
		}
		if len(value) >= min && value != "" {
			out = append(out, value, rawValue)
		}
	}
	return out
}
