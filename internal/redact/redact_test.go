package redact

import (
	"net/url"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	u, _ := url.Parse("https://user:pw@api.example.com/v1/x?api_key=hd_live_SECRET&page=2#frag")
	got := URL(u)
	if got != "https://api.example.com/v1/x?api_key=REDACTED&page=REDACTED" {
		t.Errorf("URL = %q", got)
	}
	if URL(nil) != "" {
		t.Error("nil URL")
	}
}

func TestSecret(t *testing.T) {
	const key = "hd_live_a+b/c=d"
	in := "echo " + key + " and " + url.QueryEscape(key) + " and " + url.PathEscape(key)
	out := Secret(in, key)
	if strings.Contains(out, "a+b") || strings.Contains(out, "a%2Bb") || strings.Count(out, Placeholder) != 3 {
		t.Errorf("Secret = %q", out)
	}
	if Secret("x", "") != "x" {
		t.Error("empty secret changed text")
	}
}

func FuzzQuery(f *testing.F) {
	f.Add("api_key=abc&x=1")
	f.Add("%zz=1&&=")
	f.Fuzz(func(t *testing.T, q string) {
		out := Query(q)
		for _, part := range strings.Split(out, "&") {
			if part != Placeholder && !strings.HasSuffix(part, "="+Placeholder) {
				t.Fatalf("part %q of %q keeps a value", part, out)
			}
		}
	})
}
