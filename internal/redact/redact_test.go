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

func TestSetRedactsEscapedForms(t *testing.T) {
	const key = "hd_live_a+b/c=d"
	in := "echo " + key + " and " + url.QueryEscape(key) + " and " + url.PathEscape(key)
	out := NewSet([]string{key}, nil).Redact(in)
	if strings.Contains(out, "a+b") || strings.Contains(out, "a%2Bb") || strings.Count(out, Placeholder) != 3 {
		t.Errorf("Redact = %q", out)
	}
	if NewSet([]string{""}, nil).Redact("x") != "x" {
		t.Error("empty secret changed text")
	}
}

// FuzzQuery checks Query's promise exactly: every '&'-separated piece of the
// query comes out as its name, "=" and Placeholder, or as Placeholder alone
// when its name does not unescape to safe text (no NUL, CR or LF). The name
// is the text before the piece's first '=' and is kept by design, so no
// other byte of the input may survive; the check compares with the input's
// own pieces, so it cannot trip on a value that happens to equal a name or
// the placeholder.
func FuzzQuery(f *testing.F) {
	f.Add("api_key=abc&x=1")
	f.Add("%zz=1&&=")
	f.Add("000000000=000000000")
	f.Add("a%0Ab=secret&REDACTED=REDACTED&k")
	f.Fuzz(func(t *testing.T, q string) {
		out := Query(q)
		in, got := strings.Split(q, "&"), strings.Split(out, "&")
		if len(got) != len(in) {
			t.Fatalf("Query(%q) = %q: %d pieces, want %d", q, out, len(got), len(in))
		}
		for i, piece := range in {
			name, _, _ := strings.Cut(piece, "=")
			if got[i] == Placeholder {
				continue
			}
			if got[i] != name+"="+Placeholder {
				t.Fatalf("Query(%q) = %q: piece %q became %q, want %q or %q", q, out, piece, got[i], name+"="+Placeholder, Placeholder)
			}
			if n, err := url.QueryUnescape(name); err != nil || strings.ContainsAny(n, "\x00\r\n") {
				t.Fatalf("Query(%q) = %q: kept the name %q, which is not safe text", q, out, name)
			}
		}
	})
}

// FuzzQueryFunc checks QueryFunc's promise: a piece whose value the
// predicate flags (or that does not unescape) comes out as its name, "=" and
// Placeholder; one whose name is not safe text comes out as Placeholder; any
// other piece comes out as it went in.
func FuzzQueryFunc(f *testing.F) {
	f.Add("api_key=abc&url=https%3A%2F%2Fexample.com&x")
	f.Add("%zz=1&&=&k=%zz")
	f.Add("a%0Ab=secret&secret=1")
	secret := func(name, value string) bool { return name == "secret" || len(value)%2 == 1 }
	f.Fuzz(func(t *testing.T, q string) {
		out := QueryFunc(q, secret)
		in, got := strings.Split(q, "&"), strings.Split(out, "&")
		if len(got) != len(in) {
			t.Fatalf("QueryFunc(%q) = %q: %d pieces, want %d", q, out, len(got), len(in))
		}
		for i, piece := range in {
			name, value, _ := strings.Cut(piece, "=")
			n, nerr := url.QueryUnescape(name)
			v, verr := url.QueryUnescape(value)
			var want string
			switch {
			case nerr != nil || strings.ContainsAny(n, "\x00\r\n"):
				want = Placeholder
			case verr != nil || secret(n, v):
				want = name + "=" + Placeholder
			default:
				want = piece
			}
			if got[i] != want {
				t.Fatalf("QueryFunc(%q) = %q: piece %q became %q, want %q", q, out, piece, got[i], want)
			}
		}
	})
}
