// Package wwwauth parses WWW-Authenticate headers (RFC 9110 section 11.6.1,
// RFC 6750 for Bearer): several challenges per header line and across
// lines, auth-params whose values are tokens or quoted strings with
// backslash escapes, and token68. It never panics and bounds what it keeps.
package wwwauth

import "strings"

// Challenge is one authentication challenge.
type Challenge struct {
	Scheme  string            // as sent; compare with strings.EqualFold
	Token68 string            // the token68 form, when the challenge has one
	Params  map[string]string // auth-params, names lower-cased; the first of a repeated name wins
}

// Param returns the named auth-param (case-insensitive) and whether it was
// present.
func (c Challenge) Param(name string) (string, bool) {
	v, ok := c.Params[strings.ToLower(name)]
	return v, ok
}

// Limits on what a hostile header can make the parser keep.
const (
	maxChallenges = 16
	maxParams     = 32
	maxValueBytes = 1024
)

// Parse parses every value of a WWW-Authenticate header.
func Parse(values []string) []Challenge {
	var out []Challenge
	for _, v := range values {
		out = parseLine(v, out)
		if len(out) >= maxChallenges {
			return out[:maxChallenges]
		}
	}
	return out
}

// Bearer returns the first Bearer challenge.
func Bearer(challenges []Challenge) (Challenge, bool) {
	for _, c := range challenges {
		if strings.EqualFold(c.Scheme, "Bearer") {
			return c, true
		}
	}
	return Challenge{}, false
}

type parser struct {
	s string
	i int
}

func (p *parser) skipWS() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) token() string {
	start := p.i
	for p.i < len(p.s) && isTChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// quoted reads a quoted-string starting at '"', unescaping \x.
func (p *parser) quoted() string {
	p.i++ // the opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\' && p.i+1 < len(p.s):
			c = p.s[p.i+1]
			p.i += 2
		case c == '"':
			p.i++
			return b.String()
		default:
			p.i++
		}
		if b.Len() < maxValueBytes {
			b.WriteByte(c)
		}
	}
	return b.String() // unterminated: keep what there was
}

// token68 reads a token68 at the current position if one stands alone there
// (followed by the end, a comma, or whitespace then a comma or the end).
func (p *parser) token68() (string, bool) {
	j := p.i
	for j < len(p.s) && isToken68Char(p.s[j]) {
		j++
	}
	if j == p.i {
		return "", false
	}
	for j < len(p.s) && p.s[j] == '=' {
		j++
	}
	k := j
	for k < len(p.s) && (p.s[k] == ' ' || p.s[k] == '\t') {
		k++
	}
	if k < len(p.s) && p.s[k] != ',' {
		return "", false
	}
	t := p.s[p.i:j]
	p.i = j
	return t, true
}

func parseLine(s string, out []Challenge) []Challenge {
	p := &parser{s: s}
	for p.i < len(s) && len(out) < maxChallenges {
		p.skipWS()
		if p.peek() == ',' {
			p.i++
			continue
		}
		scheme := p.token()
		if scheme == "" {
			p.i++ // not a token character: skip it
			continue
		}
		ch := Challenge{Scheme: scheme, Params: map[string]string{}}
		p.skipWS()
		if t, ok := p.token68(); ok {
			if !looksLikeParam(t) {
				ch.Token68 = t
				out = append(out, ch)
				continue
			}
			p.i -= len(t) // it was "name=" with an empty value; read it as a param
		}
		p.params(&ch)
		out = append(out, ch)
	}
	return out
}

// looksLikeParam reports whether t (token68 chars then '='s) is better read
// as "name=" than as token68: a plain token before a single '='.
func looksLikeParam(t string) bool {
	name := strings.TrimRight(t, "=")
	if len(t)-len(name) != 1 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isTChar(name[i]) {
			return false
		}
	}
	return true
}

// params reads auth-params until the next challenge or the end.
func (p *parser) params(ch *Challenge) {
	for p.i < len(p.s) {
		p.skipWS()
		if p.peek() == ',' {
			p.i++
			continue
		}
		start := p.i
		name := p.token()
		if name == "" {
			if p.i < len(p.s) {
				p.i++ // junk
			}
			continue
		}
		p.skipWS()
		if p.peek() != '=' {
			p.i = start // a new challenge's scheme
			return
		}
		p.i++
		p.skipWS()
		var val string
		if p.peek() == '"' {
			val = p.quoted()
		} else {
			val = p.token()
			if len(val) > maxValueBytes {
				val = val[:maxValueBytes]
			}
		}
		key := strings.ToLower(name)
		if _, dup := ch.Params[key]; !dup && len(ch.Params) < maxParams {
			ch.Params[key] = val
		}
	}
}

func isTChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken68Char(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}
