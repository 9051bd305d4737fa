package apierrors

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/apikit/apikit-go/internal/retryafter"
)

// fields is what Decode collects from a body, first value wins. The strings
// are as the server sent them, neither scrubbed nor cut: Decode scrubs
// secrets from them before it bounds them, so that no cut can leave part of
// a secret behind.
type fields struct {
	code, message, requestID, reason, scope string
	errString                               string // "error" given as a string (or a list of strings)
	problemType                             string // RFC 9457 "type"
	retryAfter                              time.Duration
	hasHint                                 bool
	revokedAt                               time.Time
}

// object is one JSON object with its members still raw, so that each is read
// on its own and one member of an unexpected type spoils only itself.
type object struct {
	members map[string]json.RawMessage
	folded  map[string]string // lower-cased name → the member it stands for
}

// parseObject reads b as one JSON object; false for anything else.
func parseObject(b []byte) (object, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return object{}, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return object{}, false
	}
	folded := make(map[string]string, len(m))
	for k := range m {
		l := strings.ToLower(k)
		if prev, ok := folded[l]; !ok || k < prev {
			folded[l] = k
		}
	}
	return object{members: m, folded: folded}, true
}

// get returns the member called name. Like encoding/json, it falls back to a
// case-insensitive match ("Message" for "message"); when several members
// match that way, the first in sorted order is taken, so the answer never
// depends on map order.
func (o object) get(name string) json.RawMessage {
	if v, ok := o.members[name]; ok {
		return v
	}
	// At most one folded name matches: comparing in place costs no
	// allocation, where lower-casing name would cost one per lookup.
	for l, k := range o.folded {
		if strings.EqualFold(l, name) {
			return o.members[k]
		}
	}
	return nil
}

// without returns o less the member called name, in any case.
func (o object) without(name string) object {
	m := make(map[string]json.RawMessage, len(o.members))
	folded := make(map[string]string, len(o.folded))
	for k, v := range o.members {
		if !strings.EqualFold(k, name) {
			m[k] = v
		}
	}
	for l, k := range o.folded {
		if _, ok := m[k]; ok {
			folded[l] = k
		}
	}
	return object{members: m, folded: folded}
}

// first returns the first of names that reads as a non-empty value with
// read.
func (o object) first(read func(json.RawMessage) (string, bool), names ...string) string {
	for _, n := range names {
		if s, ok := read(o.get(n)); ok {
			return s
		}
	}
	return ""
}

// collect takes the fields of o (and of its nested "error" and "details"
// objects, which are more specific and win over the outer level) into f.
// A member whose type is not one the field can take is skipped.
func (f *fields) collect(o object, depth int) {
	if depth > 2 {
		return
	}
	if inner, ok := parseObject(o.get("error")); ok {
		f.collect(inner, depth+1)
	} else if s, ok := jsonText(o.get("error")); ok && f.errString == "" {
		f.errString = s
	}
	setIfEmpty(&f.code, o.first(jsonString, "code"))
	setIfEmpty(&f.message, o.first(jsonText, "message", "detail", "error_description", "title"))
	setIfEmpty(&f.requestID, o.first(jsonID, "request_id", "requestId"))
	setIfEmpty(&f.reason, o.first(jsonText, "reason", "revoked_reason", "revokedReason"))
	setIfEmpty(&f.scope, o.first(jsonScope, "required_scope", "requiredScope"))
	setIfEmpty(&f.problemType, o.first(jsonString, "type"))
	for _, n := range [...]string{"revoked_at", "revokedAt"} {
		if t, ok := jsonTime(o.get(n)); ok && f.revokedAt.IsZero() {
			f.revokedAt = t
		}
	}
	for _, n := range [...]string{"retryAfter", "retry_after", "retry_after_seconds"} {
		if d, ok := jsonSeconds(o.get(n)); ok && !f.hasHint {
			f.retryAfter, f.hasHint = d, true
		}
	}
	if d, ok := parseObject(o.get("details")); ok {
		f.collect(d.without("error"), depth+1) // details never nest an error
	}
}

// scrub removes the secrets from every string of f, before Decode reads
// anything out of them (the last segment of a problem type could otherwise
// be the tail of a secret that holds a '/').
func (f *fields) scrub(s scrubber) {
	for _, p := range [...]*string{&f.code, &f.message, &f.requestID, &f.reason, &f.scope, &f.errString, &f.problemType} {
		*p = s.Redact(*p)
	}
}

func setIfEmpty(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// jsonString returns raw as a string if it is a non-empty JSON string.
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, s != ""
}

// jsonText reads a message: a string, or a list whose strings are joined
// with "; " (some servers send one message per problem). Other types are
// not text.
func jsonText(raw json.RawMessage) (string, bool) {
	return jsonJoined(raw, "; ")
}

// jsonScope reads a scope: a string, or a list of scopes joined with a
// space, as RFC 6750 writes several.
func jsonScope(raw json.RawMessage) (string, bool) {
	return jsonJoined(raw, " ")
}

func jsonJoined(raw json.RawMessage, sep string) (string, bool) {
	if s, ok := jsonString(raw); ok {
		return s, true
	}
	if len(raw) == 0 || raw[0] != '[' {
		return "", false
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return "", false
	}
	var parts []string
	for _, it := range items {
		if s, ok := jsonString(it); ok {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, sep), len(parts) > 0
}

// jsonID reads an identifier: a string, or a number written as it was sent
// (request_id: 12345).
func jsonID(raw json.RawMessage) (string, bool) {
	if s, ok := jsonString(raw); ok {
		return s, true
	}
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return "", false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return "", false
	}
	return n.String(), true
}

// jsonSeconds reads a wait in seconds given as a number or a numeric string.
func jsonSeconds(raw json.RawMessage) (time.Duration, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	s := string(raw)
	if str, ok := jsonString(raw); ok {
		s = str
	}
	return retryafter.ParseSeconds(s)
}

// jsonTime reads a time: an RFC 3339 string, a plain date ("2026-01-02",
// midnight UTC), or a Unix time in seconds or, when it is too large to be
// seconds of this era, in milliseconds, as a number or a numeric string.
func jsonTime(raw json.RawMessage) (time.Time, bool) {
	s := string(raw)
	if str, ok := jsonString(raw); ok {
		if t, err := time.Parse(time.RFC3339, str); err == nil {
			return t, true
		}
		if t, err := time.Parse(time.DateOnly, str); err == nil {
			return t, true
		}
		s = str
	}
	s = strings.TrimSpace(s)
	if s == "" || s[0] < '0' || s[0] > '9' || strings.Trim(s, "0123456789.eE+-") != "" {
		return time.Time{}, false // not a plain decimal number (no Inf, NaN or hex)
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	if n >= 1e12 { // milliseconds: 1e12 seconds is the year 33658
		n /= 1000
	}
	if n >= 1<<40 {
		return time.Time{}, false
	}
	sec := int64(n)
	return time.Unix(sec, int64((n-float64(sec))*1e9)).UTC(), true
}

// problemCode is the code an RFC 9457 "type" stands for: its fragment when
// it has one ("https://api.example.com/errors#UNPROCESSABLE_ENTITY" →
// "UNPROCESSABLE_ENTITY": one page documents every code, each at its own
// anchor), else its last path segment ("https://example.com/probs/out-of-credit"
// → "out-of-credit"), or the whole value when it is a plain word.
// "about:blank", the default type, says nothing.
func problemCode(t string) string {
	t = strings.TrimSpace(t)
	if base, frag, ok := strings.Cut(t, "#"); ok {
		if frag = strings.TrimSpace(frag); frag != "" {
			return frag
		}
		t = base
	}
	if i := strings.IndexByte(t, '?'); i >= 0 {
		t = t[:i]
	}
	t = strings.TrimRight(t, "/")
	if strings.EqualFold(t, "about:blank") {
		return ""
	}
	if i := strings.LastIndexAny(t, "/:"); i >= 0 {
		t = t[i+1:]
	}
	return t
}
