package keys

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Format describes one service's key shape declaratively: the prefixes and
// the environment each means, the characters and length of what follows, an
// optional public key id before a separator, and an optional Check for
// anything else. Zero fields mean "no constraint". Declare your own for a
// service the SDK does not know:
//
//	acme := &keys.Format{
//		Name:      "Acme",
//		Prefixes:  []keys.Prefix{{Text: "acme_live_", Env: keys.EnvLive}, {Text: "acme_test_", Env: keys.EnvTest}},
//		Charset:   keys.Alphanumeric,
//		MinLength: 24, MaxLength: 24,
//	}
//
// A Format is read-only once in use; copy it to change it.
type Format struct {
	// Name names the format in error messages, e.g. "Hypedata"; "API"
	// when empty.
	Name string
	// Prefixes are the accepted prefixes with the environment each one
	// means. None: the key has no prefix and its Env is EnvUnknown. When
	// several match a key, the longest wins, so {"sk_", EnvLive} and
	// {"sk_test_", EnvTest} work in either order.
	Prefixes []Prefix
	// IDLength, when positive, says the body starts with a public key id of
	// exactly IDLength characters of IDCharset, followed by Separator and
	// the secret (HopX: "hopx_live_" + 12 alphanumerics + "." + secret).
	// Separator or IDCharset without IDLength is an invalid Format: Parse
	// and Generate say so rather than ignore them.
	IDLength  int
	IDCharset Charset
	Separator string
	// Charset is the characters the secret may hold; the zero Charset allows
	// printable ASCII except space.
	Charset Charset
	// MinLength and MaxLength bound the secret's length (after the prefix
	// and any key id); 0 means no bound.
	MinLength, MaxLength int
	// Check, when set, runs after the declarative checks on the whole key.
	// Its error message is shown to the user, so it must not quote the key.
	Check func(key string) error
	// Now is the clock for expiry checks (JWT exp); nil means time.Now.
	Now func() time.Time

	kind kind // built-in structural checks beyond the declarative ones
}

type kind int

const (
	kindPlain kind = iota
	kindUUID
	kindJWT
)

// Prefix is one accepted key prefix and the environment it denotes.
type Prefix struct {
	Text string
	Env  Env
}

// maxKeyBytes bounds every key: nothing longer is a key.
const maxKeyBytes = 4096

// Built-in formats.
var (
	// Hypedata: hd_live_ or hd_test_ and exactly 32 URL-safe characters.
	Hypedata = &Format{
		Name:     "Hypedata",
		Prefixes: []Prefix{{"hd_live_", EnvLive}, {"hd_test_", EnvTest}},
		Charset:  URLSafe, MinLength: 32, MaxLength: 32,
	}
	// Hypersave: hs_live_ or hs_test_ and at least 12 URL-safe characters.
	Hypersave = &Format{
		Name:     "Hypersave",
		Prefixes: []Prefix{{"hs_live_", EnvLive}, {"hs_test_", EnvTest}},
		Charset:  URLSafe, MinLength: 12, MaxLength: 256,
	}
	// HopX: hopx_live_ (or hopx_test_), a 12-character alphanumeric key id,
	// ".", and a secret of URL-safe characters. Key.ID returns the key id.
	HopX = &Format{
		Name:     "HopX",
		Prefixes: []Prefix{{"hopx_live_", EnvLive}, {"hopx_test_", EnvTest}},
		IDLength: 12, IDCharset: Alphanumeric, Separator: ".",
		Charset: URLSafe, MinLength: 1, MaxLength: 256,
	}
	// HyperSync: an Envio API token, a UUID (8-4-4-4-12 hex digits).
	HyperSync = &Format{Name: "HyperSync", Charset: Hex + "-", MinLength: 36, MaxLength: 36, kind: kindUUID}
	// Web3Storage: a JWT (three base64url parts; header and payload JSON
	// objects). A past exp is ErrExpired; iat in milliseconds, as
	// web3.storage issues it, is accepted.
	Web3Storage = &Format{Name: "web3.storage", Charset: URLSafe + ".", MinLength: 5, MaxLength: maxKeyBytes, kind: kindJWT}
)

// Opaque accepts any key of printable ASCII without whitespace (1-4096
// bytes): for providers that do not know the service, and for custom
// services without a declared format.
var Opaque = &Format{Name: "API", MinLength: 1, MaxLength: maxKeyBytes}

// builtins is every built-in format but Opaque, in the order Parse tries them.
func builtins() []*Format { return []*Format{Hypedata, Hypersave, HopX, HyperSync, Web3Storage} }

// Parse validates raw against formats (every built-in but Opaque when none
// are given) and returns the Key. When several formats are given, the one
// whose prefix raw starts with is the one meant, and its error is returned;
// when the prefixes of several formats match, the longest prefix wins
// ("sk_test_" over "sk_"). Input without a known prefix that looks like a
// UUID (hex digits and dashes) or a JWT (two dots, or "eyJ" at the start) gets
// the UUID or JWT format's own precise error; otherwise the error lists the
// prefixes expected. Errors satisfy errors.Is(err, apierrors.ErrMalformedToken)
// (ErrExpired for an expired JWT) and are *ParseError; they never contain the
// key.
func Parse(raw string, formats ...*Format) (Key, error) {
	if len(formats) == 0 {
		formats = builtins()
	}
	if len(formats) == 1 {
		return formats[0].Parse(raw)
	}
	candidates := byPrefixMatch(raw, formats)
	if len(candidates) == 0 {
		return Key{}, &ParseError{Format: "API", Problem: "no key format given"}
	}
	errs := make([]error, len(candidates))
	for i, f := range candidates {
		k, err := f.Parse(raw)
		if err == nil {
			return k, nil
		}
		var pe *ParseError
		if errors.As(err, &pe) && pe.prefixMatched {
			return Key{}, err
		}
		errs[i] = err
	}
	if p := commonProblem(raw); p != nil {
		return Key{}, p
	}
	for i, f := range candidates {
		if f.resembles(raw) {
			return Key{}, errs[i]
		}
	}
	var names, prefixes []string
	for _, f := range formats {
		if f == nil {
			continue
		}
		names = append(names, f.name())
		prefixes = append(prefixes, f.prefixes()...)
	}
	problem := fmt.Sprintf("matches none of the formats %s", strings.Join(names, ", "))
	if len(prefixes) > 0 {
		problem += fmt.Sprintf(" (prefixes %s)", strings.Join(prefixes, ", "))
	}
	return Key{}, &ParseError{Format: strings.Join(names, "/"), Problem: problem}
}

// byPrefixMatch returns the non-nil formats in the order Parse tries them:
// those with a prefix raw starts with first, the longest match first, then
// the others in the order given.
func byPrefixMatch(raw string, formats []*Format) []*Format {
	out := make([]*Format, 0, len(formats))
	for _, f := range formats {
		if f != nil {
			out = append(out, f)
		}
	}
	matchLen := func(f *Format) int {
		p, _ := f.matchPrefix(raw)
		return len(p.Text)
	}
	sort.SliceStable(out, func(i, j int) bool { return matchLen(out[i]) > matchLen(out[j]) })
	return out
}

// resembles reports whether raw, which starts with none of the formats'
// prefixes, looks enough like f's built-in structure (a UUID, a JWT) that f's
// own error says more than "matches none of the formats".
func (f *Format) resembles(raw string) bool {
	switch f.kind {
	case kindUUID:
		if (Hex + "-").firstBad(raw) >= 0 {
			return false
		}
		return strings.Contains(raw, "-") && len(raw) >= 8 || len(raw) >= 32
	case kindJWT:
		return strings.HasPrefix(raw, "eyJ") || strings.Count(raw, ".") == 2
	}
	return false
}

// Parse validates raw against f and returns the Key.
func (f *Format) Parse(raw string) (Key, error) {
	if f == nil {
		return Key{}, &ParseError{Format: "API", Problem: "no key format given (nil *keys.Format)"}
	}
	if err := f.validate(); err != nil {
		return Key{}, err
	}
	name := f.name()
	fail := func(pos int, format string, args ...any) (Key, error) {
		return Key{}, &ParseError{Format: name, Problem: fmt.Sprintf(format, args...), Position: pos}
	}
	if p := commonProblem(raw); p != nil {
		p.Format = name
		return Key{}, p
	}
	k := content{secret: raw, format: f}
	body, offset := raw, 0
	matched := false
	if len(f.Prefixes) > 0 {
		p, ok := f.matchPrefix(raw)
		if !ok {
			return Key{}, &ParseError{Format: name, Problem: fmt.Sprintf("does not start with %s", orList(f.prefixes()))}
		}
		k.env, body, offset, matched = p.Env, raw[len(p.Text):], len(p.Text), true
	}
	wrap := func(k Key, err error) (Key, error) {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.prefixMatched = matched
		}
		return k, err
	}
	if f.IDLength > 0 {
		id, rest, ok := strings.Cut(body, f.Separator)
		if !ok {
			return wrap(fail(0, "missing the %q separator between the %d-character key id and the secret", f.Separator, f.IDLength))
		}
		if len(id) != f.IDLength {
			return wrap(fail(0, "key id is %d characters, want %d", len(id), f.IDLength))
		}
		if i := f.IDCharset.firstBad(id); i >= 0 {
			return wrap(fail(offset+i+1, "key id has %s at position %d; want %s", describe(id[i]), offset+i+1, f.IDCharset.describe()))
		}
		k.id = id
		offset += len(id) + len(f.Separator)
		body = rest
	}
	n := len(body)
	switch {
	case f.MinLength > 0 && f.MinLength == f.MaxLength && n != f.MinLength:
		return wrap(fail(0, "%s is %d characters, want %d", f.partName(), n, f.MinLength))
	case f.MinLength > 0 && n < f.MinLength:
		return wrap(fail(0, "%s is %d characters, want at least %d", f.partName(), n, f.MinLength))
	case f.MaxLength > 0 && n > f.MaxLength:
		return wrap(fail(0, "%s is %d characters, want at most %d", f.partName(), n, f.MaxLength))
	}
	if i := f.Charset.firstBad(body); i >= 0 {
		return wrap(fail(offset+i+1, "%s at position %d; want %s", describe(body[i]), offset+i+1, f.Charset.describe()))
	}
	switch f.kind {
	case kindUUID:
		if err := checkUUID(body); err != nil {
			return fail(0, "not a UUID: %s", err)
		}
	case kindJWT:
		exp, err := checkJWT(body, f.now())
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.Format = name
				return Key{}, pe
			}
			return fail(0, "not a JWT: %s", err)
		}
		k.expires = exp
	}
	if f.Check != nil {
		if err := f.Check(raw); err != nil {
			return wrap(Key{}, &ParseError{Format: name, Problem: err.Error(), err: err})
		}
	}
	return newKey(k), nil
}

// Generate makes a new random key of this format for env, reading
// randomness from r (crypto/rand.Reader when nil). The in-memory test server
// uses it to issue keys. A Web3Storage key is a well-formed HS256 JWT with a
// random signature, good for tests only. A Format with neither a charset
// nor a length cannot generate and says so.
func (f *Format) Generate(env Env, r io.Reader) (Key, error) {
	return f.generate(env, r)
}

// validate reports a Format that cannot work, instead of misbehaving.
func (f *Format) validate() error {
	bad := func(msg string) error { return &ParseError{Format: f.name(), Problem: "invalid format: " + msg} }
	switch {
	case f.MinLength < 0 || f.MaxLength < 0:
		return bad("negative length")
	case f.MaxLength > 0 && f.MinLength > f.MaxLength:
		return bad(fmt.Sprintf("MinLength %d > MaxLength %d", f.MinLength, f.MaxLength))
	case f.IDLength < 0:
		return bad("negative IDLength")
	case f.IDLength > 0 && f.Separator == "":
		return bad("IDLength without a Separator")
	case f.IDLength == 0 && f.Separator != "":
		return bad(fmt.Sprintf("Separator %q without IDLength: set IDLength to the length of the key id before the separator, or leave Separator empty", f.Separator))
	case f.IDLength == 0 && f.IDCharset != "":
		return bad("IDCharset without IDLength: set IDLength to the length of the key id, or leave IDCharset empty")
	}
	for _, p := range f.Prefixes {
		if p.Text == "" {
			return bad("an empty prefix")
		}
	}
	return nil
}

// name is the format's name for messages: Name, or "API" when it is empty.
func (f *Format) name() string {
	if f.Name == "" {
		return "API"
	}
	return f.Name
}

func (f *Format) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Format) partName() string {
	if f.IDLength > 0 {
		return "secret"
	}
	if len(f.Prefixes) > 0 {
		return "the part after the prefix"
	}
	return "key"
}

func (f *Format) prefixes() []string {
	out := make([]string, 0, len(f.Prefixes))
	for _, p := range f.Prefixes {
		out = append(out, p.Text)
	}
	return out
}

// orList renders "a", "a or b", "a, b or c".
func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
