package keys_test

import (
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// TestParseAllFormatsNamesTheResembledFormat: Parse over every built-in, on
// prefix-less input shaped like a UUID or a JWT, says what is wrong with it
// as that format rather than "matches none of the formats".
func TestParseAllFormatsNamesTheResembledFormat(t *testing.T) {
	cases := []struct{ name, raw, want string }{
		{"uuid one short", "3f2b8c1e-9a4d-4b7e-8c21-5d6f7a8b9c0", "HyperSync key: key is 35 characters, want 36"},
		{"uuid bad group", "3f2b8c1e-9a4d-4b7e-8c215-d6f7a8b9c0d", "HyperSync key: not a UUID: group 4 has 5 characters, want 4"},
		{"uuid without dashes", "3f2b8c1e9a4d4b7e8c215d6f7a8b9c0d", "HyperSync key: key is 32 characters, want 36"},
		{"jwt two parts", "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9", "web3.storage key: not a JWT: has 2 dot-separated parts"},
		{"jwt bad part", "abc.d*f.ghi", `web3.storage key: "*" at position 6`},
		{"nothing alike", "just-some-words", "matches none of the formats"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keys.Parse(tc.raw)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse(%q) = %v, want %q", tc.raw, err, tc.want)
			}
			if !errors.Is(err, apierrors.ErrMalformedToken) {
				t.Errorf("%v is not ErrMalformedToken", err)
			}
		})
	}
}

func TestSeparatorWithoutIDLengthIsRejected(t *testing.T) {
	for _, f := range []*keys.Format{
		{Name: "Dot", Separator: ".", MinLength: 1},
		{Name: "Dot", IDCharset: keys.Alphanumeric, MinLength: 1},
	} {
		_, err := f.Parse("abc.def")
		if err == nil || !strings.Contains(err.Error(), "invalid format") || !strings.Contains(err.Error(), "without IDLength") {
			t.Errorf("Parse with %+v = %v, want an invalid-format error naming IDLength", *f, err)
		}
		if _, err := f.Generate(keys.EnvUnknown, nil); err == nil {
			t.Errorf("Generate with %+v succeeded", *f)
		}
	}
}

func TestLongestPrefixWins(t *testing.T) {
	body := strings.Repeat("a", 24)
	for _, order := range [][]keys.Prefix{
		{{Text: "sk_", Env: keys.EnvLive}, {Text: "sk_test_", Env: keys.EnvTest}},
		{{Text: "sk_test_", Env: keys.EnvTest}, {Text: "sk_", Env: keys.EnvLive}},
	} {
		f := &keys.Format{Name: "SK", Prefixes: order, Charset: keys.Alphanumeric, MinLength: 24, MaxLength: 24}
		k, err := f.Parse("sk_test_" + body)
		if err != nil || k.Env() != keys.EnvTest || !strings.HasPrefix(k.String(), "sk_test_…") {
			t.Errorf("prefixes %v: key %v env %v err %v; want a test key", order, k, k.Env(), err)
		}
		k, err = f.Parse("sk_" + body)
		if err != nil || k.Env() != keys.EnvLive {
			t.Errorf("prefixes %v: sk_ key env %v err %v; want live", order, k.Env(), err)
		}
	}

	// Across formats: the format with the longest matching prefix is the one
	// meant, whatever order the formats come in.
	live := &keys.Format{Name: "Live", Prefixes: []keys.Prefix{{Text: "sk_", Env: keys.EnvLive}}, MinLength: 1}
	test := &keys.Format{Name: "Test", Prefixes: []keys.Prefix{{Text: "sk_test_", Env: keys.EnvTest}},
		Charset: keys.Alphanumeric, MinLength: 24, MaxLength: 24}
	for _, formats := range [][]*keys.Format{{live, test}, {test, live}} {
		k, err := keys.Parse("sk_test_"+body, formats...)
		if err != nil || k.Spec() != test || k.Env() != keys.EnvTest {
			t.Errorf("formats %s,%s: spec %v err %v; want Test", formats[0].Name, formats[1].Name, k.Spec(), err)
		}
		_, err = keys.Parse("sk_test_short", formats...)
		if err == nil || !strings.HasPrefix(err.Error(), "Test key:") {
			t.Errorf("formats %s,%s: short sk_test_ key: %v; want the Test format's error", formats[0].Name, formats[1].Name, err)
		}
	}
}

func TestEmptyFormatNameSaysAPI(t *testing.T) {
	f := &keys.Format{MinLength: 5}
	for _, raw := range []string{"", "abc", "abc def"} {
		if _, err := f.Parse(raw); err == nil || !strings.HasPrefix(err.Error(), "API key: ") {
			t.Errorf("Parse(%q) = %v, want an error starting with \"API key: \"", raw, err)
		}
	}
	if _, err := (&keys.Format{MinLength: 3, MaxLength: 1}).Parse("ab"); err == nil || !strings.HasPrefix(err.Error(), "API key: ") {
		t.Errorf("invalid format error %v, want it to start with \"API key: \"", err)
	}
}

// TestGenerateLongCharset: a Charset of more than 256 bytes (it can only
// repeat bytes) once made the rejection sampler accept nothing and read
// randomness for ever; with a bounded reader that showed as a read error.
func TestGenerateLongCharset(t *testing.T) {
	f := &keys.Format{Name: "Long", Charset: keys.Charset(strings.Repeat(string(keys.Alphanumeric), 5)), MinLength: 32, MaxLength: 32}
	k, err := f.Generate(keys.EnvUnknown, io.LimitReader(rand.Reader, 4096))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if len(k.Reveal()) != 32 {
		t.Errorf("generated %d characters, want 32", len(k.Reveal()))
	}
}

func TestBlankKeySaysBlank(t *testing.T) {
	for _, raw := range []string{" ", " \t\n", "\r\n"} {
		_, err := keys.Parse(raw)
		if err == nil || !strings.Contains(err.Error(), "is blank") {
			t.Errorf("Parse(%q) = %v; want it called blank", raw, err)
		}
	}
}
