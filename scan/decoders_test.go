package scan

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/apikit/apikit-go/keys"
)

// percentAll writes every byte of s as %XX.
func percentAll(s string, upper bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		f := "%%%02x"
		if upper {
			f = "%%%02X"
		}
		fmt.Fprintf(&b, f, s[i])
	}
	return b.String()
}

func escapeAll(s, esc string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if esc == `\u` {
			fmt.Fprintf(&b, `\u%04x`, s[i])
		} else {
			fmt.Fprintf(&b, `\x%02x`, s[i])
		}
	}
	return b.String()
}

// TestTextEncodings: a key written in hex, percent-encoding, \u or \x
// escapes, or raw right after a JSON escape or a percent-encoded
// character, is found, with its chain.
func TestTextEncodings(t *testing.T) {
	c := newBuilder(7)
	for _, f := range []*keys.Format{keys.Hypedata, keys.Hypersave, keys.HopX} {
		key := c.key(t, f)
		k := key.Reveal()
		for text, chain := range map[string]string{
			"dump: " + hex.EncodeToString([]byte(k)) + "\n":                             "hex",
			"DUMP=" + strings.ToUpper(hex.EncodeToString([]byte("KEY="+k+"\n"))) + "\n": "hex",
			"u=" + percentAll(k, true) + "&x=1":                                         "percent",
			"u=" + percentAll(k, false):                                                 "percent",
			"q=" + url.QueryEscape("token="+k):                                          "percent",
			"GET /cb?auth=Bearer%20" + k + "%26next HTTP/1.1":                           "percent",
			`{"k": "` + escapeAll(k, `\u`) + `"}`:                                       "unicode-escape",
			`s = "` + escapeAll(k, `\x`) + `"`:                                          "hex-escape",
			`{"env": "A=1\nHYPE_KEY=` + k + `\nB=2"}`:                                   "raw",
			`{"env": "A=1\n` + k + `\tB"}`:                                              "raw",
		} {
			s, _ := New()
			got, err := s.All(context.Background(), strings.NewReader(text))
			if err != nil || len(got) != 1 || got[0].Chain != chain || got[0].Fingerprint != key.Fingerprint() {
				t.Errorf("%s in %q: %v, %v; want one finding, chain %s", f.Name, text, got, err, chain)
			}
		}
	}
	// Not keys: the prefix inside a longer encoded word, a placeholder.
	s, _ := New()
	for _, text := range []string{
		hex.EncodeToString([]byte("xhd_live_Q7w2Ls9XkR4vN1pZ8cT3yB6mH0dJ5fGa")),
		percentAll("hd_live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", true),
		"68645f6c6976655f", "%68%64%5F%6C%69%76%65%5F", `\u0068\u0064\u005f`,
	} {
		if got, _ := s.All(context.Background(), strings.NewReader(text)); len(got) != 0 {
			t.Errorf("%q: %v; want no finding", text, got)
		}
	}
}

func gzipOf(t testing.TB, name string, b []byte) []byte {
	var w bytes.Buffer
	gz := gzip.NewWriter(&w)
	gz.Name = name
	if _, err := gz.Write(b); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	return w.Bytes()
}

func zipOf(t testing.TB, members map[string][]byte) []byte {
	var w bytes.Buffer
	z := zip.NewWriter(&w)
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f, err := z.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(members[n])
	}
	z.Close()
	return w.Bytes()
}

func utf16Of(s string, le, bom bool) []byte {
	var out []byte
	u := utf16.Encode([]rune(s))
	if bom {
		u = append([]uint16{0xfeff}, u...)
	}
	for _, c := range u {
		if le {
			out = append(out, byte(c), byte(c>>8))
		} else {
			out = append(out, byte(c>>8), byte(c))
		}
	}
	return out
}

// TestContainers: a key in a gzip stream, a zip member (and a .gz inside a
// zip), or a UTF-16 file is found, its chain naming the container, its
// line in the decoded text; a decompression bomb stops at the bound, with
// ErrDecodeLimit, after what came before it is scanned.
func TestContainers(t *testing.T) {
	c := newBuilder(9)
	key := c.key(t, keys.Hypedata)
	env := []byte("# app\nAPI_URL=https://x\nHYPEDATA_API_KEY=" + key.Reveal() + "\n")
	cases := []struct {
		name  string
		input []byte
		chain string
		line  int
	}{
		{"gzip", gzipOf(t, "", env), "gzip", 3},
		{"gzip named", gzipOf(t, "member.env", env), "gzip:member.env", 3},
		{"zip", zipOf(t, map[string][]byte{"a/logo.png": {0x89, 'P', 'N', 'G', 0, 0, 1}, "a/app.env": env}), "zip:a/app.env", 3},
		{"zip of gzip", zipOf(t, map[string][]byte{"b.env.gz": gzipOf(t, "", env)}), "zip:b.env.gz>gzip", 3},
		{"utf16le bom", utf16Of("héllo\r\n"+string(env), true, true), "utf16le", 4},
		{"utf16le", utf16Of(string(env), true, false), "utf16le", 3},
		{"utf16be bom", utf16Of(string(env), false, true), "utf16be", 3},
		{"gzip base64", gzipOf(t, "", []byte("k: "+base64.StdEncoding.EncodeToString([]byte(key.Reveal()))+"\n")), "gzip>base64", 1},
		{"zip evil name", zipOf(t, map[string][]byte{"x\x1b]0;t\a\n.env": env}), `zip:"x\x1b]0;t\a\n.env"`, 3},
	}
	s, _ := New()
	for _, tc := range cases {
		got, err := s.All(context.Background(), bytes.NewReader(tc.input))
		if err != nil || len(got) != 1 || got[0].Chain != tc.chain || got[0].Line != tc.line || got[0].Fingerprint != key.Fingerprint() {
			t.Errorf("%s: %v, %v; want one finding on line %d, chain %s", tc.name, got, err, tc.line, tc.chain)
		}
	}

	// A bomb: 64 MiB of one letter compress to some 64 KiB.
	bomb := append(append([]byte("A="+key.Reveal()+"\n"), bytes.Repeat([]byte("a"), 64<<20)...), env...)
	got, err := s.All(context.Background(), bytes.NewReader(gzipOf(t, "", bomb)))
	if !errors.Is(err, ErrDecodeLimit) || len(got) != 1 || got[0].Line != 1 {
		t.Errorf("gzip bomb: %v, %v; want the first key, then ErrDecodeLimit", got, err)
	}
	// Not a container after all: the magic bytes, then text.
	if got, err := s.All(context.Background(), strings.NewReader("PK\x03\x04 "+string(env))); err != nil || len(got) != 1 {
		t.Errorf("a text starting PK\\3\\4: %v, %v", got, err)
	}
}

// wrap breaks s into lines of n characters, ending each with eol and
// starting each with indent.
func wrap(s string, n int, eol, indent string) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(indent + s[:n] + eol)
		s = s[n:]
	}
	b.WriteString(indent + s + eol)
	return b.String()
}

// TestBase64Forms: base64 wrapped at 64 or 76 columns (\n, \r\n, a JSON
// "\n", indented YAML), with the key across a wrap; base64 of base64 (and
// a Kubernetes .dockerconfigjson); base64 with JSON's \/ escapes: each
// found, with its chain.
func TestBase64Forms(t *testing.T) {
	c := newBuilder(11)
	s, _ := New()
	missed := map[string]int{}
	total := map[string]int{}
	for i := 0; i < 60; i++ {
		f := []*keys.Format{keys.Hypedata, keys.Hypersave, keys.HopX}[i%3]
		key := c.key(t, f)
		k := key.Reveal()
		// Enough text before the key to put it across a wrap, at every
		// offset.
		pad := strings.Repeat("x", i*7%97)
		doc := "-----BEGIN CONFIG-----\n" + "# " + pad + "\nAPI_KEY=" + k + "\n"
		enc := base64.StdEncoding.EncodeToString([]byte(doc))
		inner := base64.StdEncoding.EncodeToString([]byte("user:" + k))
		docker := `{"auths":{"registry.example.com":{"username":"user","password":"` + pad[:min(len(pad), 9)] +
			`","auth":"` + inner + `"}}}`
		forms := map[string]struct {
			text, chain string
		}{
			"wrap64 lf":     {wrap(enc, 64, "\n", ""), "base64"},
			"wrap76 crlf":   {wrap(enc, 76, "\r\n", ""), "base64"},
			"wrap76 json":   {`{"pem": "` + wrap(enc, 76, `\n`, "") + `"}`, "base64"},
			"wrap64 yaml":   {"data: |\n" + wrap(enc, 64, "\n", "    "), "base64"},
			"base64>base64": {"blob: " + base64.StdEncoding.EncodeToString([]byte("config: "+pad+" "+base64.StdEncoding.EncodeToString([]byte(k))+"\n")), "base64>base64"},
			"dockerconfigjson": {"data:\n  .dockerconfigjson: " + base64.StdEncoding.EncodeToString([]byte(docker)) + "\n",
				"base64>base64"},
			"json slash": {`{"v": "` + strings.ReplaceAll(base64.StdEncoding.EncodeToString([]byte("a"+pad+"="+k)), "/", `\/`) + `"}`, "base64"},
		}
		for name, fm := range forms {
			total[name]++
			got, err := s.All(context.Background(), strings.NewReader(fm.text))
			if err != nil || len(got) != 1 || got[0].Chain != fm.chain || got[0].Fingerprint != key.Fingerprint() {
				missed[name]++
				if missed[name] <= 2 {
					t.Errorf("%s %d (%s): %v, %v; want one finding, chain %s\n%s", name, i, f.Name, got, err, fm.chain, fm.text)
				}
			}
		}
	}
	for name, n := range total {
		t.Logf("%-18s %d/%d found", name, n-missed[name], n)
	}
}
