package keys

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Key is an API key that has passed validation. It is a small handle: copy
// it freely; copies share the same immutable data.
//
// A Key never shows its secret by accident. String, every fmt verb (%v, %+v,
// %#v, %s, %q, %x, …), log/slog, encoding/json and encoding.TextMarshaler all
// give the redacted form, also when the Key sits inside another struct. The
// secret lives behind pointers, so that even where fmt cannot call the Key's
// methods (a Key in an unexported field of your struct) it prints only an
// address, never the secret, under every verb. [Key.Reveal] is the one way
// to get the secret back, for the moment it goes on the wire.
//
// The zero Key holds no secret; [Key.IsZero] reports it, and its methods
// return empty values.
//
// Comparing Keys with == compares identity: a Key equals its copies, but two
// Keys parsed from the same text are different values. Use [Key.Equal] to
// ask whether two Keys hold the same secret.
type Key struct {
	d *keyData // nil for the zero Key
}

// keyData is a Key's content. It is reached only through a pointer, which
// fmt prints as an address when it cannot call Key's methods. The secret
// sits behind a second pointer: for a verb that does not suit a pointer (%s,
// %q), fmt reports the bad verb by printing the pointer's target once with
// %v, which shows a struct's fields but prints a *string as an address.
type keyData struct {
	secret  *string
	format  *Format
	env     Env
	id      string
	expires time.Time
}

// content is a Key's content in plain form, for the package's own use.
type content struct {
	secret  string
	format  *Format
	env     Env
	id      string
	expires time.Time // a JWT's exp; zero when the key does not say
}

// data returns k's content, or an empty one for the zero Key, so that every
// method works on the zero Key.
func (k Key) data() content {
	if k.d == nil || k.d.secret == nil {
		return content{}
	}
	return content{secret: *k.d.secret, format: k.d.format, env: k.d.env, id: k.d.id, expires: k.d.expires}
}

// newKey makes the Key that holds c.
func newKey(c content) Key {
	secret := c.secret
	return Key{d: &keyData{secret: &secret, format: c.format, env: c.env, id: c.id, expires: c.expires}}
}

// Reveal returns the secret, exactly as it was parsed; "" for the zero Key.
// Call it only to put the key on the wire; never log or print what it
// returns.
func (k Key) Reveal() string { return k.data().secret }

// IsZero reports whether k holds no key.
func (k Key) IsZero() bool { return k.data().secret == "" }

// Equal reports whether k and other hold the same secret, whatever format
// they were parsed with. It compares in constant time, so that how long it
// takes says nothing about the secret's content. Two zero Keys are equal.
func (k Key) Equal(other Key) bool {
	return subtle.ConstantTimeCompare([]byte(k.data().secret), []byte(other.data().secret)) == 1
}

// ExpiresAt returns when the key stops working, if the key itself says so
// (a JWT's exp claim); a client holding the key refuses to send it after
// that. Most keys do not say, and the service alone knows.
func (k Key) ExpiresAt() (time.Time, bool) {
	at := k.data().expires
	return at, !at.IsZero()
}

// Env returns the environment the key's prefix names.
func (k Key) Env() Env { return k.data().env }

// ID returns the key's public identifier where the format has one (HopX's
// keyId), else "".
func (k Key) ID() string { return k.data().id }

// Spec returns the format the key was validated against; nil for the zero Key.
func (k Key) Spec() *Format { return k.data().format }

// String returns the redacted key: its public prefix, an ellipsis and the last
// four characters, e.g. "hd_live_…9fQx". Keys too short to spare four
// characters show none of the secret.
func (k Key) String() string {
	d := k.data()
	if d.secret == "" {
		return "<no key>"
	}
	prefix := ""
	if d.format != nil {
		prefix = d.format.publicPrefix(d.secret)
	}
	rest := d.secret[len(prefix):]
	if len(rest) < 16 {
		return prefix + "…"
	}
	return prefix + "…" + rest[len(rest)-4:]
}

// Fingerprint returns a short, stable, one-way identifier of the key
// ("fp_" and 12 base64url characters of its SHA-256), so that logs can tell
// keys apart without holding them.
func (k Key) Fingerprint() string {
	secret := k.data().secret
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(secret))
	return "fp_" + base64.RawURLEncoding.EncodeToString(sum[:9])
}

// Format implements fmt.Formatter so that every verb, %#v and %x included,
// prints the redacted form.
func (k Key) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", k.String())
	case 'v':
		if f.Flag('#') {
			fmt.Fprintf(f, "keys.Key(%q)", k.String())
			return
		}
		fallthrough
	default:
		_, _ = f.Write([]byte(k.String()))
	}
}

// GoString returns the redacted form for %#v.
func (k Key) GoString() string { return fmt.Sprintf("keys.Key(%q)", k.String()) }

// LogValue makes log/slog record the redacted form.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalText returns the redacted form, so encoding/json and other encoders
// never write the secret.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// publicPrefix is the part of secret that is safe to show: the matched
// environment prefix (the longest, when several match), or for formats
// without one, nothing.
func (f *Format) publicPrefix(secret string) string {
	if p, ok := f.matchPrefix(secret); ok {
		return p.Text
	}
	return ""
}

// matchPrefix returns the longest of f's prefixes that secret starts with, so
// that "sk_test_" wins over "sk_" whatever order they are declared in.
func (f *Format) matchPrefix(secret string) (Prefix, bool) {
	var best Prefix
	found := false
	for _, p := range f.Prefixes {
		if strings.HasPrefix(secret, p.Text) && (!found || len(p.Text) > len(best.Text)) {
			best, found = p, true
		}
	}
	return best, found
}
