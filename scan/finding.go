package scan

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/apikit/apikit-go/keys"
)

// Encoding says how a key was written where it was found.
type Encoding int

// The encodings the scanner decodes.
const (
	// Raw: the key as it is, e.g. HYPEDATA_API_KEY=hd_live_….
	Raw Encoding = iota
	// Base64: inside standard base64 (+ and /), padded or not, or in a run
	// whose characters are common to both alphabets.
	Base64
	// Base64URL: inside URL-safe base64 (- and _), padded or not.
	Base64URL
)

// String returns "raw", "base64" or "base64url".
func (e Encoding) String() string {
	switch e {
	case Raw:
		return "raw"
	case Base64:
		return "base64"
	case Base64URL:
		return "base64url"
	}
	return "Encoding(" + strconv.Itoa(int(e)) + ")"
}

// MarshalText writes the encoding's name, so JSON says "base64", not 1.
func (e Encoding) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// Finding is one key found in the input. It never holds the secret: every
// way of printing it (String, fmt's verbs including %+v and %#v, and
// encoding/json) shows only the fields below, and the key only redacted.
type Finding struct {
	// Line and Column locate the key's first character (for an encoded key,
	// the first character of its encoded form), both 1-based. Column counts
	// bytes, as Go's compiler does.
	Line, Column int
	// Offset is the byte offset of that character from the start of the
	// input, 0-based.
	Offset int64
	// Service is the name of the key's format, e.g. "Hypedata".
	Service string
	// Env is the environment the key's prefix names (live or test), where
	// the format has one.
	Env keys.Env
	// Encoding says whether the key was written raw or base64-encoded.
	Encoding Encoding
	// Redacted is the key as [keys.Key.String] shows it, e.g. "hd_live_…9fQx".
	Redacted string
	// Fingerprint is the key's [keys.Key.Fingerprint]: the same key found in
	// two places (or in your secrets store) has the same fingerprint.
	Fingerprint string
	// Chain says how the key was written, outermost first, ">" between
	// steps: "raw", "base64", "base64url", "hex", "percent",
	// "unicode-escape" (\u0068…), "hex-escape" (\x68…), "base64>base64";
	// inside a container, its name first: "gzip", "zip:config/app.env",
	// "utf16le>base64". Line and Column are then in the decoded text.
	Chain string
	// Example is set for a key published in its vendor's documentation as an
	// example; such keys are reported only with [WithExamples].
	Example bool

	key keys.Key
}

// Key returns the key found, when the scanner was made [WithKeys]; the zero
// Key otherwise. The Key redacts itself in turn; [keys.Key.Reveal] is the
// one way to its secret.
func (f Finding) Key() keys.Key { return f.key }

// String returns "line:col: <service> <redacted key> (<fingerprint>)", with
// the encoding chain (when not raw) and an example mark when they apply,
// e.g. "3:18: Hypedata hd_live_…9fQx (fp_Zk3…) base64".
func (f Finding) String() string {
	s := fmt.Sprintf("%d:%d: %s %s (%s)", f.Line, f.Column, f.Service, f.Redacted, f.Fingerprint)
	switch {
	case f.Chain != "" && f.Chain != "raw":
		s += " " + f.Chain
	case f.Chain == "" && f.Encoding != Raw:
		s += " " + f.Encoding.String()
	}
	if f.Example {
		s += " example"
	}
	return s
}

// findingView is what a Finding shows of itself: everything but the Key.
type findingView struct {
	Line        int      `json:"line"`
	Column      int      `json:"column"`
	Offset      int64    `json:"offset"`
	Service     string   `json:"service"`
	Env         string   `json:"env,omitempty"`
	Encoding    Encoding `json:"encoding"`
	Redacted    string   `json:"redacted"`
	Fingerprint string   `json:"fingerprint"`
	Chain       string   `json:"chain,omitempty"`
	Example     bool     `json:"example,omitempty"`
}

func (f Finding) view() findingView {
	v := findingView{Line: f.Line, Column: f.Column, Offset: f.Offset, Service: f.Service, Encoding: f.Encoding,
		Redacted: f.Redacted, Fingerprint: f.Fingerprint, Chain: f.Chain, Example: f.Example}
	if f.Env != keys.EnvUnknown {
		v.Env = f.Env.String()
	}
	return v
}

// MarshalJSON writes the Finding's public fields (line, column, offset,
// service, env, encoding, redacted, fingerprint, chain, example), never the
// key.
func (f Finding) MarshalJSON() ([]byte, error) { return json.Marshal(f.view()) }

// Format implements fmt.Formatter: %v and %s print String, %+v and %#v the
// fields by name; the key is only ever shown redacted.
func (f Finding) Format(s fmt.State, verb rune) {
	switch {
	case verb == 'v' && s.Flag('#'):
		fmt.Fprintf(s, "scan.Finding%+v", f.view())
	case verb == 'v' && s.Flag('+'):
		fmt.Fprintf(s, "%+v", f.view())
	case verb == 'q':
		fmt.Fprintf(s, "%q", f.String())
	default:
		fmt.Fprint(s, f.String())
	}
}

// GoString is the %#v form.
func (f Finding) GoString() string { return fmt.Sprintf("%#v", f) }
