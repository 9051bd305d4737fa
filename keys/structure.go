package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// checkUUID checks the canonical 8-4-4-4-12 form (any case).
func checkUUID(s string) error {
	groups := strings.Split(s, "-")
	want := [...]int{8, 4, 4, 4, 12}
	if len(groups) != len(want) {
		return fmt.Errorf("has %d dash-separated groups, want 5 (8-4-4-4-12 hex digits)", len(groups))
	}
	for i, g := range groups {
		if len(g) != want[i] {
			return fmt.Errorf("group %d has %d characters, want %d", i+1, len(g), want[i])
		}
		if j := Hex.firstBad(g); j >= 0 {
			return fmt.Errorf("group %d has %s; want hex digits", i+1, describe(g[j]))
		}
	}
	return nil
}

// checkJWT checks a JWT's structure and expiry and returns its exp (zero
// when it has none). Only the claims that matter here are read; the
// signature is the server's business.
func checkJWT(s string, now time.Time) (time.Time, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return time.Time{}, fmt.Errorf("has %d dot-separated parts, want 3 (header.payload.signature)", len(parts))
	}
	names := [...]string{"header", "payload", "signature"}
	var decoded [2][]byte
	for i, p := range parts {
		if p == "" {
			return time.Time{}, fmt.Errorf("the %s part is empty", names[i])
		}
		if strings.HasSuffix(p, "=") {
			return time.Time{}, fmt.Errorf("the %s part has base64 padding (=), which JWTs omit", names[i])
		}
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return time.Time{}, fmt.Errorf("the %s part is not base64url", names[i])
		}
		if i < 2 {
			decoded[i] = b
		}
	}
	var header struct {
		Alg any `json:"alg"`
	}
	if err := decodeObject(decoded[0], &header); err != nil {
		return time.Time{}, fmt.Errorf("the header is not a JSON object")
	}
	if alg, ok := header.Alg.(string); !ok || alg == "" {
		return time.Time{}, errors.New(`the header has no "alg"`)
	}
	var payload struct {
		Exp *json.Number `json:"exp"`
	}
	if err := decodeObject(decoded[1], &payload); err != nil {
		return time.Time{}, fmt.Errorf("the payload is not a JSON object")
	}
	var expires time.Time
	if payload.Exp != nil {
		exp, err := payload.Exp.Float64()
		if err != nil || math.IsNaN(exp) || math.IsInf(exp, 0) {
			return time.Time{}, errors.New(`the payload's "exp" is not a number`)
		}
		if exp > 1e12 { // milliseconds, as some issuers write
			exp /= 1000
		}
		if exp < 1e11 {
			at := time.Unix(int64(exp), 0).UTC()
			if !now.Before(at) {
				return time.Time{}, &ParseError{Problem: fmt.Sprintf("expired at %s; create a new token", at.Format(time.RFC3339)),
					Expired: true, ExpiredAt: at, prefixMatched: true}
			}
			expires = at
		}
	}
	return expires, nil
}

// decodeObject decodes b, which must be one JSON object, into v.
func decodeObject(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return errors.New("not an object")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}
