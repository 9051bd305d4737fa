package credentials

import (
	"strings"
	"testing"
)

// FuzzParseConfig: any bytes give a Config or an error that quotes nothing
// from the file beyond short field names.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"profiles:\n  default:\n    hypedata: { api_key: hd_live_x }\n",
		"profiles:\n  p:\n    s:\n      api_key_command: [op, read, x]\n      base_url: https://x\n",
		"profiles: [", "a: b", "profiles:\n  x:\n    y:\n      api_key_command: SECRETSECRETSECRET\n", "- - -", "&a [*a]", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := parseConfig(b, "/tmp/config.yaml")
		if err == nil {
			return
		}
		msg := err.Error()
		if strings.Contains(string(b), "SECRETSECRET") && strings.Contains(msg, "SECRETSECRET") {
			t.Fatalf("error quotes the file: %q", msg)
		}
		if len(msg) > 4096 {
			t.Fatalf("error too long: %d", len(msg))
		}
	})
}

// FuzzDotEnv: the .env path never panics and never quotes the file.
func FuzzDotEnv(f *testing.F) {
	for _, s := range []string{"A=1\nHYPEDATA_API_KEY=hd_live_x\n", "A=\"unterminated\nK=SECRETSECRETSECRET", "export K='a$B'", "K=a$B #c", "=x", "\x00=\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		vars, err := parseDotEnv(b)
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Fatalf("error quotes the file: %v", err)
		}
		for name := range vars {
			_, _ = rawDotEnvValue(b, name)
		}
	})
}
