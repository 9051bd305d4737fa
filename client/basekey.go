package client

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/internal/keyshape"
	"github.com/apikit/apikit-go/keys"
)

// ErrKeyInBaseURL matches (errors.Is) the error of a client, or a call,
// whose base URL holds its API key. The SDK sends the key in a header (or,
// with WithQueryAuth, in a query value it redacts wherever it shows it),
// never in the path, and it shows the base URL: in errors, in a
// Middleware's Call.BaseURL and so in otelapikit's url.full, in
// Client.BaseURL. A key written into the base URL would go wherever those
// go, so the client refuses it instead of sending it.
var ErrKeyInBaseURL = errors.New("the base URL holds the API key")

// keyInPath refuses a base URL whose path has a segment that holds a key,
// or looks like one: a key of a built-in format, a random-looking word
// (randomSegment: CamelCase words are not), or a key of format f when f is
// not Opaque (which every word fits). It never repeats the segment.
//
// A UUID is the exception unless f accepts it (HyperSync's keys are
// UUIDs, and so may a custom service's be): UUIDs are how most APIs name
// tenants, projects and accounts in a path, and the key itself is still
// looked for in the base URL once it is known (checkBaseKey).
func keyInPath(u *url.URL, f *keys.Format) error {
	for i, seg := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		if seg == "" {
			continue
		}
		ok := false
		if f != nil && f != keys.Opaque {
			_, err := keys.Parse(seg, f)
			ok = err == nil
		}
		if !ok && !isUUID(seg) {
			ok = keyshape.Known(seg) || randomSegment(seg)
		}
		if ok {
			return fmt.Errorf("%w: segment %d of its path looks like an API key, and the SDK shows the base URL in errors, logs and traces; "+
				"give the key with WithAPIKey or WithCredentials (it is sent in a header, or with WithQueryAuth in the query), "+
				"and if that segment is an id, not a secret, put it in each request's path instead", ErrKeyInBaseURL, i+1)
		}
	}
	return nil
}

// randomSegment reports whether a dot-separated part of seg looks random
// (keyshape.LooksRandom) and does not read as words written together:
// CamelCase names of services, sites and operations
// ("TripPinServiceRW", "reportingServiceV2Endpoint") change case as often
// as a secret does, but in words.
func randomSegment(seg string) bool {
	for _, part := range strings.Split(seg, ".") {
		if keyshape.LooksRandom(part) && !camelWords(part) {
			return true
		}
	}
	return false
}

// camelWords reports whether part (URL-safe characters) is words written
// together: lower-case words of 3 to 15 letters, capitalised words (an
// initial, then 2 to 14 lower-case letters), acronyms of up to 4 capitals
// (5 before a capitalised word: "XMLHttp"), and at most two numbers of up
// to 4 digits ("V2", "2024"), - and _ between them. A random secret of 16
// characters or more reads so rarely (about 1 in 40 at 16 base62
// characters, 1 in 2,300 at 32), and the key itself is still found in the
// base URL once it is known (checkBaseKey).
func camelWords(part string) bool {
	numbers := 0
	for i := 0; i < len(part); {
		start, c := i, charClass(part[i])
		for i < len(part) && charClass(part[i]) == c {
			i++
		}
		n := i - start
		switch c {
		case 'd':
			if numbers++; numbers > 2 || n > 4 {
				return false
			}
		case 'A':
			lower := 0
			for i < len(part) && charClass(part[i]) == 'a' {
				i++
				lower++
			}
			if lower == 0 && n > 4 || n > 5 || lower == 1 || lower > 14 {
				return false
			}
		case 'a':
			if n < 3 || n > 15 {
				return false
			}
		}
	}
	return true
}

// charClass is c's class: 'a' lower case, 'A' upper case, 'd' digit, '-'
// anything else (a separator).
func charClass(c byte) byte {
	switch {
	case 'a' <= c && c <= 'z':
		return 'a'
	case 'A' <= c && c <= 'Z':
		return 'A'
	case '0' <= c && c <= '9':
		return 'd'
	}
	return '-'
}

// isUUID reports whether seg is a UUID as APIs write them: 8-4-4-4-12
// hexadecimal digits.
func isUUID(seg string) bool {
	_, err := keys.Parse(seg, keys.HyperSync)
	return err == nil
}

// checkBaseKey refuses base when it holds r's key, whole or any run of
// MinRun (8) characters of its secret, in any form a URL may spell it
// (escaped for a path or a query, base64). The error shows base with the
// key redacted.
func checkBaseKey(r *resolved, base string) error {
	if r == nil || r.none || r.red == nil {
		return nil
	}
	if shown := r.red.Redact(base); shown != base {
		return &keyInBaseError{red: r.red, msg: fmt.Sprintf("%s: the base URL %s holds the key from %s, and the SDK shows the base URL in errors, logs and traces; "+
			"remove the key from the base URL: the client sends it itself, in a header (or with WithQueryAuth in the query)",
			ErrKeyInBaseURL, shown, r.cred.Source)}
	}
	return nil
}

// keyInBaseError is checkBaseKey's error. It keeps the key's redactor, so
// that a call that fails with it can still scrub the key from what it
// shows (a middleware's Call.Path).
type keyInBaseError struct {
	msg string
	red *apierrors.Redactor
}

func (e *keyInBaseError) Error() string { return e.msg }
func (e *keyInBaseError) Unwrap() error { return ErrKeyInBaseURL }

// Format prints the message alone, whatever the verb (%#v would print
// the redactor's fields).
func (e *keyInBaseError) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.msg) }
