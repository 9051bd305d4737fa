package keys

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// defaultGeneratedLength is the secret length for formats without a fixed one.
const defaultGeneratedLength = 32

func (f *Format) generate(env Env, r io.Reader) (Key, error) {
	if f == nil {
		return Key{}, errors.New("keys: Generate on a nil *Format")
	}
	if r == nil {
		r = rand.Reader
	}
	if err := f.validate(); err != nil {
		return Key{}, err
	}
	var raw string
	switch f.kind {
	case kindUUID:
		var b [16]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Key{}, fmt.Errorf("keys: generating a %s key: %w", f.name(), err)
		}
		b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
		raw = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	case kindJWT:
		tok, err := testJWT(r, f.now())
		if err != nil {
			return Key{}, fmt.Errorf("keys: generating a %s key: %w", f.name(), err)
		}
		raw = tok
	default:
		prefix := ""
		if len(f.Prefixes) > 0 {
			found := false
			for _, p := range f.Prefixes {
				if p.Env == env || env == EnvUnknown {
					prefix, found = p.Text, true
					break
				}
			}
			if !found {
				return Key{}, fmt.Errorf("keys: %s has no prefix for %s keys", f.name(), env)
			}
		}
		body := ""
		if f.IDLength > 0 {
			id, err := randomString(r, f.IDCharset, f.IDLength)
			if err != nil {
				return Key{}, err
			}
			body = id + f.Separator
		}
		n := f.MinLength
		if n < defaultGeneratedLength && (f.MaxLength == 0 || f.MaxLength >= defaultGeneratedLength) {
			n = defaultGeneratedLength
		} else if n == 0 {
			n = f.MaxLength
		}
		cs := f.Charset
		if cs == "" {
			cs = Alphanumeric
		}
		secret, err := randomString(r, cs, n)
		if err != nil {
			return Key{}, err
		}
		raw = prefix + body + secret
	}
	k, err := f.Parse(raw)
	if err != nil {
		return Key{}, fmt.Errorf("keys: %s cannot generate a key that passes its own checks (has it a Check func?): %w", f.name(), err)
	}
	return k, nil
}

// randomString draws n characters of cs uniformly (rejection sampling).
// A character listed twice in cs is drawn as often as any other, and a cs
// longer than 256 bytes (which can only repeat bytes) cannot stall the loop.
func randomString(r io.Reader, cs Charset, n int) (string, error) {
	cs = cs.unique()
	if cs == "" {
		cs = Alphanumeric
	}
	limit := 256 - 256%len(cs)
	out := make([]byte, 0, n)
	buf := make([]byte, n+16)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("keys: reading randomness: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, cs[int(b)%len(cs)])
			}
		}
	}
	return string(out), nil
}

// testJWT makes a well-formed, unverifiable HS256 JWT for tests: iat in
// milliseconds, iss and a did: subject as web3.storage writes them, a
// random subject and signature.
func testJWT(r io.Reader, now time.Time) (string, error) {
	var sub, sig [32]byte
	if _, err := io.ReadFull(r, sub[:]); err != nil {
		return "", err
	}
	if _, err := io.ReadFull(r, sig[:]); err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	payload, _ := json.Marshal(map[string]any{
		"sub": "did:key:z" + enc.EncodeToString(sub[:16]), "iss": "web3-storage", "iat": now.UnixMilli(),
	})
	return header + "." + enc.EncodeToString(payload) + "." + enc.EncodeToString(sig[:]), nil
}
