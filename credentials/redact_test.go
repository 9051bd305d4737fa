package credentials

import (
	"strings"
	"testing"
)

func TestRedactKeys(t *testing.T) {
	hidden := []string{
		envKey,                                   // a built-in format
		"hd_live_short",                          // a built-in prefix, malformed
		"hopx_live_AbCdEf123456.s3cr3t",          // HopX
		"123e4567-e89b-12d3-a456-426614174000",   // a UUID
		"Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",       // random, mixed case and digits
		"SECRETSECRETSECRETSECRET",               // one class, long
		"abcdefghijklmnopqrstuvwxyzabcdef",       // one class, long
		"9f86d081884c7d659a2feaa0c55ad015",       // hex
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.x", // a JWT-like word
	}
	for _, k := range hidden {
		got := redactKeys("before "+k+" after --token="+k, true)
		if strings.Contains(got, k) || got != "before [redacted] after --token=[redacted]" {
			t.Errorf("%s: %q", k, got)
		}
	}
	kept := []string{
		"op://prod/hypedata/key", "production-eu-west-1", "HYPEDATA_API_KEY", "my-project-1234567",
		"/tmp/config2138472389/vault-item", "hypedata-api-key", "not signed in: run op signin", "exit status 3",
	}
	for _, s := range kept {
		if got := redactKeys(s, true); got != s {
			t.Errorf("%q redacted: %q", s, got)
		}
	}
	// Without guessing, only certain keys go.
	if got := redactKeys("SECRETSECRETSECRETSECRET "+envKey, false); got != "SECRETSECRETSECRETSECRET [redacted]" {
		t.Errorf("no guessing: %q", got)
	}
}

func TestCutText(t *testing.T) {
	if got := cutText("ab…cd", 3); got != "ab…" {
		t.Errorf("cut inside a rune: %q", got)
	}
	if got := cutText("abc", 3); got != "abc" {
		t.Errorf("%q", got)
	}
}
