package keys

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "github.com/apikit/apikit-go/errors"
)

const (
	hdLive = "hd_live_" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
	hsTest = "hs_test_" + "q7W-e9R_t2Y4u6I8"
	hopx   = "hopx_live_" + "AbCd12345678" + "." + "s3cr3t_-Value"
	uuid   = "3f2b8c1e-9a4d-4b7e-8c21-5d6f7a8b9c0d"
)

func jwt(t testing.TB, header, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString([]byte("signature-bytes"))
}

func TestParseValid(t *testing.T) {
	web3 := jwt(t, `{"alg":"HS256","typ":"JWT"}`, `{"sub":"did:key:z6Mk","iss":"web3-storage","iat":1700000000000}`)
	cases := []struct {
		name, raw string
		format    *Format
		env       Env
		id        string
		str       string
	}{
		{"hypedata live", hdLive, Hypedata, EnvLive, "", "hd_live_…Xy4z"},
		{"hypersave test", hsTest, Hypersave, EnvTest, "", "hs_test_…u6I8"},
		{"hopx", hopx, HopX, EnvLive, "AbCd12345678", "hopx_live_…alue"},
		{"hypersync", uuid, HyperSync, EnvUnknown, "", "…9c0d"},
		{"hypersync upper", strings.ToUpper(uuid), HyperSync, EnvUnknown, "", "…9C0D"},
		{"web3 jwt iat in ms", web3, Web3Storage, EnvUnknown, "", ""},
		{"opaque", "anything-goes.123", Opaque, EnvUnknown, "", "….123"},
		{"autodetect hypedata", hdLive, nil, EnvLive, "", "hd_live_…Xy4z"},
		{"autodetect hopx", hopx, nil, EnvLive, "AbCd12345678", ""},
		{"autodetect uuid", uuid, nil, EnvUnknown, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var k Key
			var err error
			if tc.format == nil {
				k, err = Parse(tc.raw)
			} else {
				k, err = Parse(tc.raw, tc.format)
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if k.Reveal() != tc.raw || k.Env() != tc.env || k.ID() != tc.id {
				t.Errorf("got env %v id %q", k.Env(), k.ID())
			}
			if tc.str != "" && k.String() != tc.str {
				t.Errorf("String() = %q, want %q", k.String(), tc.str)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	web3 := *Web3Storage
	web3.Now = func() time.Time { return now }
	cases := []struct {
		name   string
		raw    string
		format *Format
		want   string // substring of the error
		pos    int
	}{
		{"empty", "", Hypedata, "is empty", 0},
		{"trailing newline", hdLive + "\n", Hypedata, "trailing newline", 0},
		{"trailing CRLF", hdLive + "\r\n", Hypedata, "CR LF", 0},
		{"leading space", " " + hdLive, Hypedata, "leading whitespace", 1},
		{"trailing space", hdLive + " ", Hypedata, "trailing whitespace", 41},
		{"BOM", "\ufeff" + hdLive, Hypedata, "byte-order mark", 1},
		{"NBSP inside", hdLive[:16] + "\u00a0" + hdLive[17:], Hypedata, "non-breaking space (U+00A0) at position 17", 17},
		{"zero-width space", hdLive[:20] + "\u200b" + hdLive[20:], Hypedata, "zero-width space", 21},
		{"cyrillic a", "hd_live_" + "\u0430" + hdLive[9:], Hypedata, "Cyrillic letter (U+0430)", 9},
		{"NUL", hdLive[:10] + "\x00" + hdLive[11:], Hypedata, "control character U+0000", 11},
		{"ellipsis: redacted form pasted", "hd_live_…Xy4z", Hypedata, "redacted form", 9},
		{"wrong prefix", "hd_prod_" + hdLive[8:], Hypedata, "does not start with hd_live_ or hd_test_", 0},
		{"short", hdLive[:39], Hypedata, "is 31 characters, want 32", 0},
		{"long", hdLive + "a", Hypedata, "is 33 characters, want 32", 0},
		{"bad char", hdLive[:30] + "+" + hdLive[31:], Hypedata, `"+" at position 31`, 31},
		{"hypersave short", "hs_live_abc", Hypersave, "at least 12", 0},
		{"hopx no separator", "hopx_live_AbCd12345678s3cr3t", HopX, `missing the "." separator`, 0},
		{"hopx short id", "hopx_live_AbCd.secret", HopX, "key id is 4 characters, want 12", 0},
		{"hopx id bad char", "hopx_live_AbCd1234567_.secret", HopX, "key id has", 22},
		{"uuid group", "3f2b8c1e-9a4d-4b7e-8c2-15d6f7a8b9c0d", HyperSync, "group 4 has 3 characters", 0},
		{"uuid not hex", "3f2b8c1e-9a4d-4b7e-8c21-5d6f7a8b9c0g", HyperSync, "position 36", 36},
		{"jwt two parts", "abc.def", &web3, "2 dot-separated parts", 0},
		{"jwt header not json", "YWJj.e30.c2ln", &web3, "header is not a JSON object", 0},
		{"jwt no alg", jwt(t, `{"typ":"JWT"}`, `{}`), &web3, `no "alg"`, 0},
		{"jwt padding", "eyJhbGciOiJIUzI1NiJ9.e30=.c2ln", &web3, `"=" at position 25`, 25},
		{"opaque space", "abc def", Opaque, "a space at position 4", 4},
		{"none of the built-ins", "sk_live_1234567890", nil, "matches none of the formats", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.format == nil {
				_, err = Parse(tc.raw)
			} else {
				_, err = tc.format.Parse(tc.raw)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			if !errors.Is(err, apierrors.ErrMalformedToken) || !errors.Is(err, apierrors.ErrAuthentication) {
				t.Errorf("error does not match ErrMalformedToken and ErrAuthentication: %v", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Position != tc.pos {
				t.Errorf("ParseError position = %+v, want %d", pe, tc.pos)
			}
			assertNoSecret(t, err.Error(), tc.raw)
		})
	}
}

// assertNoSecret fails if out holds raw's secret part (beyond a public
// prefix) or any 8-character run of it.
func assertNoSecret(t *testing.T, out, raw string) {
	t.Helper()
	secret := raw
	for _, p := range []string{"hd_live_", "hd_test_", "hs_live_", "hs_test_", "hopx_live_"} {
		secret = strings.TrimPrefix(secret, p)
	}
	for i := 0; i+8 <= len(secret); i++ {
		if strings.Contains(out, secret[i:i+8]) {
			t.Fatalf("output %q contains part of the key (%q)", out, secret[i:i+8])
		}
	}
}

func TestParsePrefersTheFormatWhosePrefixMatches(t *testing.T) {
	_, err := Parse("hd_live_short")
	if err == nil || !strings.Contains(err.Error(), "Hypedata key:") || !strings.Contains(err.Error(), "is 5 characters, want 32") {
		t.Fatalf("err = %v", err)
	}
	_, err = Parse("xx_" + hdLive)
	if err == nil || !strings.Contains(err.Error(), "hd_live_") || !strings.Contains(err.Error(), "hopx_live_") {
		t.Fatalf("err = %v", err)
	}
}

func TestJWTExpiry(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	f := *Web3Storage
	f.Now = func() time.Time { return now }
	past := jwt(t, `{"alg":"HS256"}`, `{"exp":1700000000,"iat":1690000000000}`)
	_, err := f.Parse(past)
	if !errors.Is(err, apierrors.ErrExpired) || errors.Is(err, apierrors.ErrMalformedToken) {
		t.Fatalf("err = %v, want ErrExpired only", err)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || !pe.Expired || pe.ExpiredAt.Unix() != 1700000000 || !strings.Contains(err.Error(), "2023-11-14T22:13:20Z") {
		t.Errorf("ParseError = %+v", pe)
	}
	future := jwt(t, `{"alg":"HS256"}`, `{"exp":1900000000}`)
	k, err := f.Parse(future)
	if err != nil {
		t.Errorf("future exp: %v", err)
	}
	if at, ok := k.ExpiresAt(); !ok || at.Unix() != 1900000000 {
		t.Errorf("ExpiresAt = %v, %v; want the exp claim", at, ok)
	}
	k, _ = f.Parse(jwt(t, `{"alg":"HS256"}`, `{"sub":"x"}`))
	if _, ok := k.ExpiresAt(); ok {
		t.Error("a JWT without exp says it expires")
	}
}

func TestCustomFormat(t *testing.T) {
	acme := &Format{
		Name:     "Acme",
		Prefixes: []Prefix{{"acme_live_", EnvLive}, {"acme_test_", EnvTest}},
		Charset:  Alphanumeric, MinLength: 24, MaxLength: 24,
		Check: func(key string) error {
			if strings.HasSuffix(key, "0000") {
				return errors.New("ends in 0000, which Acme never issues")
			}
			return nil
		},
	}
	k, err := acme.Generate(EnvTest, nil)
	if err != nil || k.Env() != EnvTest || len(k.Reveal()) != len("acme_test_")+24 {
		t.Fatalf("Generate: %v %v", k, err)
	}
	if _, err := acme.Parse("acme_live_" + strings.Repeat("a", 20) + "0000"); err == nil || !strings.Contains(err.Error(), "never issues") {
		t.Errorf("Check not applied: %v", err)
	}
	bad := &Format{Name: "Bad", MinLength: 10, MaxLength: 5}
	if _, err := bad.Parse("whatever"); err == nil || !strings.Contains(err.Error(), "MinLength 10 > MaxLength 5") {
		t.Errorf("invalid format not reported: %v", err)
	}
}

func TestGenerateBuiltins(t *testing.T) {
	for _, f := range append(builtins(), Opaque) {
		for _, env := range []Env{EnvLive, EnvTest} {
			if len(f.Prefixes) == 0 && env == EnvTest {
				continue
			}
			k, err := f.Generate(env, nil)
			if err != nil {
				t.Fatalf("%s %v: %v", f.Name, env, err)
			}
			if len(f.Prefixes) > 0 && k.Env() != env {
				t.Errorf("%s: env %v, want %v", f.Name, k.Env(), env)
			}
			if _, err := Parse(k.Reveal(), f); err != nil {
				t.Errorf("%s: generated key does not parse: %v", f.Name, err)
			}
			k2, _ := f.Generate(env, nil)
			if k2.Reveal() == k.Reveal() {
				t.Errorf("%s: two generated keys are equal", f.Name)
			}
		}
	}
}
