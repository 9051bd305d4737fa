package redact

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

const setKey = "hd_live_8K2nB7q4XwY1mZ5pR3tV9cJ6fH0sLdQa"

func TestPublicPrefix(t *testing.T) {
	for key, want := range map[string]int{
		setKey:                           len("hd_live_"),
		"hopx_test_AbCdEf123456.xyz":     len("hopx_test_"),
		"sk_live_x":                      len("sk_live_"),
		"live_abc":                       0, // no service name
		"HD_LIVE_abc":                    0,
		"6f1c2e9a-4b7d-4c1e-9f0a-1b2c":   0,
		"eyJhbGciOiJIUzI1NiJ9.e30.x":     0,
		"a_b_c_d_e_f_g_h_i_j_k_l_live_x": 0, // too long to be a prefix
		"":                               0,
	} {
		if got := PublicPrefix(key); got != want {
			t.Errorf("PublicPrefix(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestSetRedact(t *testing.T) {
	s := NewSet([]string{setKey}, nil)
	b64 := base64.StdEncoding.EncodeToString([]byte(setKey))
	for in, want := range map[string]string{
		"key " + setKey + " unknown":        "key REDACTED unknown",
		"key hd_live_8K2nB7q4XwY1… unknown": "key hd_live_REDACTED… unknown",
		"…B7q4XwY1 and …mZ5pR3tV":           "…REDACTED and …REDACTED",
		"…B7q4XwY1mZ5pR3tV…":                "…REDACTED…",      // touching runs: one placeholder
		"hd_live_8K2nB7q":                   "hd_live_8K2nB7q", // 7 characters are not a run
		"hd_live_ keys only":                "hd_live_ keys only",
		"basic " + b64:                      "basic REDACTED",
		"basic " + b64[10:30]:               "basic REDACTED",
		"q=" + url.QueryEscape(setKey):      "q=REDACTED",
		"end 0sLdQa":                        "end 0sLdQa",
		"end H0sLdQa!":                      "end H0sLdQa!",
		"end fH0sLdQa":                      "end REDACTED",
		"":                                  "",
	} {
		if got := s.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	if s.Redact("x 4XwY1mZ5 y") == "x 4XwY1mZ5 y" || s.Redact("nothing here") != "nothing here" {
		t.Error("a run of the secret was kept, or clean text changed")
	}
	var none *Set
	if none.Redact("x") != "x" || NewSet(nil, []string{""}) != nil {
		t.Error("a nil or empty Set changed text")
	}
}

// TestSetWholeOnly: a value given as whole is found whole, never by a run.
func TestSetWholeOnly(t *testing.T) {
	s := NewSet(nil, []string{"https://example.com/a/long/page"})
	if got := s.Redact("see https://example.com/a/long/page and https://example.com"); got != "see REDACTED and https://example.com" {
		t.Errorf("Redact = %q", got)
	}
}

func TestSetRedactDoesNotAllocateOnCleanText(t *testing.T) {
	s := NewSet([]string{setKey}, nil)
	text := `{"error":{"code":"rate_limited","message":"Too many requests, slow down.","retry_after":2}}`
	if n := testing.AllocsPerRun(100, func() { _ = s.Redact(text) }); n != 0 {
		t.Errorf("Redact of clean text: %v allocations, want 0", n)
	}
}

// FuzzSetRedact: whatever the text and the key (of lower-case letters and
// digits, so that no run can take in a piece of the upper-case placeholder),
// the result holds no run of MinRun bytes of the key's secret part, and text
// that held no piece of the key comes back unchanged.
func FuzzSetRedact(f *testing.F) {
	f.Add("key hd_live_8k2nb7q4xwy1… unknown", "hd_live_8k2nb7q4xwy1mz5pr3tv9cj6fh0sldqa")
	f.Add("aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaa")
	f.Add("hd_test_abc", "hd_test_abcdefgh")
	f.Fuzz(func(t *testing.T, text, key string) {
		for i := 0; i < len(key); i++ {
			if c := key[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
				return
			}
		}
		s := NewSet([]string{key}, nil)
		out := s.Redact(text)
		secret := key[PublicPrefix(key):]
		holds := func(v string) bool {
			for i := 0; i+MinRun <= len(secret); i++ {
				if strings.Contains(v, secret[i:i+MinRun]) {
					return true
				}
			}
			return key != "" && strings.Contains(v, key)
		}
		if holds(out) {
			t.Fatalf("Redact(%q) with key %q = %q: a run of the secret is left", text, key, out)
		}
		if !holds(text) && !strings.Contains(text, base64.RawStdEncoding.EncodeToString([]byte(key))[:min(len(key), 4)]) && out != text {
			// Only the base64 forms can match text that holds no raw run;
			// the check above skips texts that could hold one.
			t.Fatalf("Redact(%q) with key %q = %q, but the text held no piece of it", text, key, out)
		}
	})
}

func BenchmarkSetRedact(b *testing.B) {
	s := NewSet([]string{setKey}, nil)
	clean := `{"error":{"code":"rate_limited","message":"Too many requests, slow down.","retry_after":2}}`
	echo := `{"error":{"code":"unknown_key","message":"key hd_live_8K2nB7q4XwY1… is not known"}}`
	b.Run("clean", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = s.Redact(clean)
		}
	})
	b.Run("echo", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = s.Redact(echo)
		}
	})
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = NewSet([]string{setKey}, nil)
		}
	})
}
