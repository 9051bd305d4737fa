package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text, café 東京 ✓", "plain text, café 東京 ✓"},
		{`C:\Users\me`, `C:\Users\me`},
		{"a\x1b]0;pwned\x07b", `a\x1b]0;pwned\ab`},
		{"line\nforged.go:1:1: hypedata", `line\nforged.go:1:1: hypedata`},
		{"cr\rtab\t", `cr\rtab\t`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b31m", `c1\u009b31m`},
		{"bidi\u202eexe.txt", `bidi\u202eexe.txt`},
		{"zw\u200bj", `zw\u200bj`},
		{"ls\u2028ps\u2029", `ls\u2028ps\u2029`},
		{"bad\xffutf8\xc3", `bad\xffutf8\xc3`},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLines(t *testing.T) {
	in := "ID\tNAME\nk_1\tci\x1b]0;x\x07\r\u202e\nend\n"
	want := "ID\tNAME\nk_1\tci\\x1b]0;x\\a\\r\\u202e\nend\n"
	if got := Lines(in); got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	if s := "plain\ttext\n"; Lines(s) != s {
		t.Error("safe text changed")
	}
}

func TestPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"src/main.go", "src/main.go"},
		{"dir with space/ü.txt", "dir with space/ü.txt"},
		{"evil\n.go", `"evil\n.go"`},
		{"a\x1b[2Jb", `"a\x1b[2Jb"`},
		{`say "hi".txt`, `"say \"hi\".txt"`},
		{"\xff", `"\xff"`},
	} {
		if got := Path(tc.in); got != tc.want {
			t.Errorf("Path(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzText: whatever goes in, what comes out is safe to print, and text
// that was safe comes out unchanged.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "ok", "a\x1bb", "\u202e", "\xff\xfe", "\u0085", `"q"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Text(s), Path(s)} {
			if !Safe(out) || !utf8.ValidString(out) {
				t.Fatalf("unsafe output %q for %q", out, s)
			}
			if strings.ContainsAny(out, "\x1b\n\r\x07") {
				t.Fatalf("control character in %q", out)
			}
		}
		if Safe(s) && Text(s) != s {
			t.Fatalf("safe %q changed to %q", s, Text(s))
		}
	})
}
