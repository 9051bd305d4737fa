package keys

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
)

// Env is the environment a key belongs to, as its prefix says.
type Env int

// The environments a key can belong to.
const (
	EnvUnknown Env = iota // the format has no notion of environment
	EnvLive               // a production key: requests are real and billed
	EnvTest               // a test key: requests are free and not real
)

// String returns "live", "test" or "unknown".
func (e Env) String() string {
	switch e {
	case EnvLive:
		return "live"
	case EnvTest:
		return "test"
	}
	return "unknown"
}

// Key is an API key that has passed validation. It is a value: copy it freely.
//
// A Key never shows its secret by accident. String, every fmt verb (%v, %+v,
// %#v, %s, %q, %x, …), log/slog, encoding/json and encoding.TextMarshaler all
// give the redacted form, also when the Key sits inside another struct.
// [Key.Reveal] is the one way to get the secret back, for the moment it goes
// on the wire.
//
// The zero Key holds no secret; [Key.IsZero] reports it.
type Key struct {
	secret string
	format *Format
	env    Env
	id     string
}

// Reveal returns the secret, exactly as it was parsed. Call it only to put the
// key on the wire; never log or print what it returns.
func (k Key) Reveal() string { return k.secret }

// IsZero reports whether k holds no key.
func (k Key) IsZero() bool { return k.secret == "" }

// Env returns the environment the key's prefix names.
func (k Key) Env() Env { return k.env }

// ID returns the key's public identifier where the format has one (HopX's
// keyId), else "".
func (k Key) ID() string { return k.id }

// Spec returns the format the key was validated against; nil for the zero Key.
func (k Key) Spec() *Format { return k.format }

// String returns the redacted key: its public prefix, an ellipsis and the last
// four characters, e.g. "hd_live_…9fQx". Keys too short to spare four
// characters show none of the secret.
func (k Key) String() string {
	if k.secret == "" {
		return "<no key>"
	}
	prefix := ""
	if k.format != nil {
		prefix = k.format.publicPrefix(k.secret)
	}
	rest := k.secret[len(prefix):]
	if len(rest) < 16 {
		return prefix + "…"
	}
	return prefix + "…" + rest[len(rest)-4:]
}

// Fingerprint returns a short, stable, one-way identifier of the key
// ("fp_" and 12 base64url characters of its SHA-256), so that logs can tell
// keys apart without holding them.
func (k Key) Fingerprint() string {
	if k.secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(k.secret))
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
// environment prefix, or for formats without one, nothing.
func (f *Format) publicPrefix(secret string) string {
	for _, p := range f.Prefixes {
		if strings.HasPrefix(secret, p.Text) {
			return p.Text
		}
	}
	return ""
}
