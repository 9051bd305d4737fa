package apierrors

import (
	"net/http"
	"strings"
)

// canonical maps a raw code (and, for dialects that only say
// "UNAUTHORIZED", the message) to the canonical Code for the status.
func canonical(status int, raw, message string) Code {
	r := strings.ToLower(raw)
	if strings.HasPrefix(r, "error_") && r != "error_no_token" && r != "error_token_not_found" {
		r = strings.TrimPrefix(r, "error_") // web3 spells every code ERROR_<CODE>
	}
	switch status {
	case http.StatusUnauthorized:
		switch r {
		case "missing_credentials", "error_no_token", "missing_token", "no_token", "missing_api_key":
			return CodeMissingCredentials
		case "malformed_token", "malformed_key", "invalid_key_format":
			return CodeMalformedToken
		case "unknown_key", "error_token_not_found", "invalid_api_key", "key_not_found":
			return CodeUnknownKey
		case "revoked", "key_revoked", "token_revoked":
			return CodeRevoked
		case "expired", "key_expired", "token_expired":
			return CodeExpired
		}
		return unauthorizedPhrase(message)
	case http.StatusForbidden:
		switch r {
		case "unauthorized_ip", "ip_not_allowed", "ip_not_allowlisted":
			return CodeUnauthorizedIP
		case "insufficient_scope", "missing_scope", "scope_required":
			return CodeInsufficientScope
		}
		return CodePermissionDenied
	case http.StatusPaymentRequired:
		switch r {
		case "key_ceiling_exceeded", "credit_ceiling_exceeded":
			return CodeKeyCeilingExceeded
		case "workspace_balance", "insufficient_balance", "insufficient_credits":
			return CodeWorkspaceBalance
		}
		return CodePaymentRequired
	}
	return genericCode(status)
}

// unauthorizedPhrase reads the code of a 401 from its message, for dialects
// whose code says only "UNAUTHORIZED" (Hypersave) or "invalid_token" (RFC
// 6750). It knows only whole documented phrases — Hypersave's "No API key
// provided…", "Invalid API key provided", "API key has expired", "API key
// has been revoked", and their plain variants ("The access token expired")
// — at the start of the message, ending it or followed by punctuation
// ("Invalid API key provided: hs_live_…"), so that a message that merely
// mentions a word ("Token is not yet valid (not expired)") is not taken for
// what it denies.
//
// A plain-text answer may lead with its code ("unknown_key: Invalid API key
// provided"); the phrase after such a lead is what is matched.
func unauthorizedPhrase(message string) Code {
	m := strings.ToLower(strings.TrimSpace(message))
	if lead, rest, ok := strings.Cut(m, ": "); ok && isIdentifier(lead) {
		m = strings.TrimSpace(rest)
	}
	m = strings.TrimPrefix(m, "the ")
	for _, p := range [...]struct {
		text string
		code Code
	}{
		{"no api key provided", CodeMissingCredentials}, {"no api key", CodeMissingCredentials},
		{"missing api key", CodeMissingCredentials},
		{"invalid api key provided", CodeUnknownKey}, {"invalid api key", CodeUnknownKey},
	} {
		if startsPhrase(m, p.text) {
			return p.code
		}
	}
	for _, subject := range [...]string{"api key ", "access token ", "token ", "key "} {
		rest, ok := strings.CutPrefix(m, subject)
		if !ok {
			continue
		}
		for _, verb := range [...]string{"has expired", "is expired", "expired"} {
			if startsPhrase(rest, verb) {
				return CodeExpired
			}
		}
		for _, verb := range [...]string{"has been revoked", "was revoked", "is revoked", "revoked"} {
			if startsPhrase(rest, verb) {
				return CodeRevoked
			}
		}
	}
	return CodeUnauthenticated
}

// startsPhrase reports whether m is phrase, or starts with it followed by
// punctuation that ends a clause.
func startsPhrase(m, phrase string) bool {
	if !strings.HasPrefix(m, phrase) {
		return false
	}
	return len(m) == len(phrase) || strings.IndexByte(".:;,!(", m[len(phrase)]) >= 0
}

// isIdentifier reports whether s is a snake_case word: lower-case letters,
// digits and underscores.
func isIdentifier(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
