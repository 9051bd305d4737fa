package credentials

import (
	"context"
	"errors"
	"strings"
	"testing"

	apierrors "github.com/apikit/apikit-go/errors"
)

// dotEnvValue reads HYPEDATA_API_KEY from a .env file holding content.
func dotEnvValue(t *testing.T, content string) (Credential, error) {
	t.Helper()
	p := writeFile(t, t.TempDir(), ".env", content, 0o600)
	return DotEnv(p, "HYPEDATA_API_KEY").Retrieve(context.Background())
}

// The $ rule: a value godotenv changed by expanding a name the file does
// not define above it is an error; everything godotenv reads as the writer
// meant is not.
func TestDotEnvDollar(t *testing.T) {
	const key = "hd_live_abc$DEFghiJKLMNOPQRSTUVWXYZ0123456" // 32 after the prefix, with a $
	ok := []struct{ name, file, want string }{
		{"interpolation, braces", "HD_KEY=" + dotKey + "\nHYPEDATA_API_KEY=${HD_KEY}\n", dotKey},
		{"interpolation, bare", "HD_KEY=" + dotKey + "\nHYPEDATA_API_KEY=$HD_KEY\n", dotKey},
		{"interpolation, double quotes", "export HD_KEY=" + dotKey + "\nHYPEDATA_API_KEY=\"${HD_KEY}\" # from above\n", dotKey},
		{"single quotes, trailing comment", "HYPEDATA_API_KEY='" + key + "' # prod key\n", key},
		{"single quotes", "HYPEDATA_API_KEY='" + key + "'\n", key},
		{"escaped, unquoted", "HYPEDATA_API_KEY=hd_live_abc\\$DEFghiJKLMNOPQRSTUVWXYZ0123456\n", key},
		{"escaped, double quotes", "HYPEDATA_API_KEY=\"hd_live_abc\\$DEFghiJKLMNOPQRSTUVWXYZ0123456\"\n", key},
		{"lower-case after $ is never expanded", "HYPEDATA_API_KEY=hd_live_abc$defghiJKLMNOPQRSTUVWXYZ0123456\n", "hd_live_abc$defghiJKLMNOPQRSTUVWXYZ0123456"},
		{"a $ in another variable", "OTHER=a$B\nHYPEDATA_API_KEY=" + dotKey + "\n", dotKey},
		{"CRLF", "HD_KEY=" + dotKey + "\r\nHYPEDATA_API_KEY=${HD_KEY}\r\n", dotKey},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			cred, err := dotEnvValue(t, tc.file)
			if err != nil || cred.Key.Reveal() != tc.want {
				t.Fatalf("got %v, %v", cred.Key, err)
			}
		})
	}
	damaged := []struct{ name, file, want, notWant string }{
		{"unquoted, undefined name", "HYPEDATA_API_KEY=" + key + "\n", "quote the value with single quotes", ""},
		{"double quotes, undefined name", "HYPEDATA_API_KEY=\"" + key + "\"\n", "quote the value with single quotes", ""},
		{"defined only below", "HYPEDATA_API_KEY=${HD_KEY}\nHD_KEY=" + dotKey + "\n", "the value is ${HD_KEY}, but HD_KEY is not defined above it", "single quotes"},
		{"whole value, bare", "HYPEDATA_API_KEY=$HD_KEY\n", "a $ reference to a variable that is not defined above it", "single quotes"},
		{"from the environment", "HYPEDATA_API_KEY=${HOME_KEY}\n", "never the process environment", "single quotes"},
	}
	for _, tc := range damaged {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HOME_KEY", dotKey) // godotenv never reads it
			_, err := dotEnvValue(t, tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, apierrors.ErrMalformedToken) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.notWant != "" && strings.Contains(err.Error(), tc.notWant) {
				t.Errorf("wrong advice %q: %v", tc.notWant, err)
			}
			var se *SourceError
			if !errors.As(err, &se) || se.Source.Kind != KindDotEnv || !strings.HasSuffix(se.Source.Detail, "(HYPEDATA_API_KEY)") {
				t.Errorf("source: %v", err)
			}
			noPartOf(t, "error", err.Error(), key[8:])
		})
	}
}

func TestDotEnvPitfalls(t *testing.T) {
	secret := "hd_live_SECRETSECRETSECRETSECRETSECRETSE"
	_, err := dotEnvValue(t, "A=\"unterminated\nHYPEDATA_API_KEY="+secret+"\n")
	if err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "not a valid .env file") {
		t.Fatalf("err = %v", err)
	}
	if cred, err := dotEnvValue(t, "# comment\nexport HYPEDATA_API_KEY=\""+dotKey+"\" # trailing\n"); err != nil || cred.Key.Reveal() != dotKey {
		t.Fatalf("export form: %v %v", cred, err)
	}
	if cred, err := dotEnvValue(t, "HYPEDATA_API_KEY="+dotKey+"\r\nOTHER=1\r\n"); err != nil || cred.Key.Reveal() != dotKey {
		t.Fatalf("CRLF file: %v %v", cred, err)
	}
}

// Parse errors give the line, and nothing of the file's text.
func TestDotEnvParseErrorLine(t *testing.T) {
	secret := "hd_live_SECRETSECRETSECRETSECRETSECRETSE"
	cases := []struct{ file, want string }{
		{"A=1\nB=2\nC=\"unterminated\nHYPEDATA_API_KEY=" + secret + "\n", "line 3: a quoted value is not closed"},
		{"A=1\r\nB='x'\r\nC='open\r\nHYPEDATA_API_KEY=" + secret + "\r\n", "line 3: a quoted value is not closed"},
		{"A=\"it's \\\" fine\"\nB=\"x\"\nC=\"open \\\"\nD=x\n", "line 3: a quoted value is not closed"},
		{"A=1\n\n# c\nnot a line " + secret + "\nHYPEDATA_API_KEY=x\n", "line 4: not a NAME=value line"},
		{"  export  B!=" + secret + "\n", "line 1: not a NAME=value line"},
	}
	for _, tc := range cases {
		_, err := dotEnvValue(t, tc.file)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%q: err = %v, want %q", tc.file, err, tc.want)
		}
	}
}
