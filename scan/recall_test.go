package scan

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/keys"
)

// recallForms are the shapes leaks take in the wild (issue 23's table and
// more), each a function writing key k into a document; the chain the
// finding must carry.
var recallForms = []struct {
	name, chain string
	write       func(t testing.TB, k, pad string) []byte
}{
	{"raw .env", "raw", func(_ testing.TB, k, pad string) []byte { return []byte("# " + pad + "\nAPI_KEY=" + k + "\n") }},
	{"base64 (k8s secret)", "base64", func(_ testing.TB, k, _ string) []byte {
		return []byte("data:\n  key: " + base64.StdEncoding.EncodeToString([]byte(k)) + "\n")
	}},
	{"base64 of a .env", "base64", func(_ testing.TB, k, pad string) []byte {
		return []byte("ENV: " + base64.StdEncoding.EncodeToString([]byte("# "+pad+"\nAPI_KEY="+k+"\n")))
	}},
	{"base64 wrapped 64, LF", "base64", func(_ testing.TB, k, pad string) []byte {
		return []byte(wrap(base64.StdEncoding.EncodeToString([]byte("# "+pad+"\nAPI_KEY="+k+"\n")), 64, "\n", ""))
	}},
	{"base64 wrapped 76, CRLF", "base64", func(_ testing.TB, k, pad string) []byte {
		return []byte(wrap(base64.StdEncoding.EncodeToString([]byte("# "+pad+"\nAPI_KEY="+k+"\n")), 76, "\r\n", ""))
	}},
	{"base64 wrapped 76, JSON \\n", "base64", func(_ testing.TB, k, pad string) []byte {
		return []byte(`{"pem": "` + wrap(base64.StdEncoding.EncodeToString([]byte("# "+pad+"\nAPI_KEY="+k+"\n")), 76, `\n`, "") + `"}`)
	}},
	{"base64 of base64", "base64>base64", func(_ testing.TB, k, pad string) []byte {
		return []byte("blob: " + base64.StdEncoding.EncodeToString([]byte("v: "+pad+" "+base64.StdEncoding.EncodeToString([]byte(k))+"\n")))
	}},
	{".dockerconfigjson", "base64>base64", func(_ testing.TB, k, pad string) []byte {
		auth := base64.StdEncoding.EncodeToString([]byte(pad[:min(len(pad), 7)] + ":" + k))
		return []byte("  .dockerconfigjson: " + base64.StdEncoding.EncodeToString([]byte(`{"auths":{"r.example":{"auth":"`+auth+`"}}}`)) + "\n")
	}},
	{"percent, every byte", "percent", func(_ testing.TB, k, _ string) []byte { return []byte("u=" + percentAll(k, true) + "&x=1") }},
	{"percent, key%3D…", "percent", func(_ testing.TB, k, _ string) []byte { return []byte("q=" + url.QueryEscape("token="+k)) }},
	{"percent, Bearer%20…", "percent", func(_ testing.TB, k, _ string) []byte { return []byte("h=Bearer%20" + k + "%0A") }},
	{"hex", "hex", func(_ testing.TB, k, pad string) []byte {
		return []byte("dump: " + hex.EncodeToString([]byte(pad[:min(len(pad), 3)]+"\nKEY="+k)) + "\n")
	}},
	{"JSON \\u escapes", "unicode-escape", func(_ testing.TB, k, _ string) []byte { return []byte(`{"k": "` + escapeAll(k, `\u`) + `"}`) }},
	{"\\x escapes", "hex-escape", func(_ testing.TB, k, _ string) []byte { return []byte(`s = b"` + escapeAll(k, `\x`) + `"`) }},
	{"after a JSON \\n", "raw", func(_ testing.TB, k, _ string) []byte { return []byte(`{"env": "A=1\n` + k + `\nB=2"}`) }},
	{"after a JSON \\t", "raw", func(_ testing.TB, k, _ string) []byte { return []byte(`{"tsv": "id\t` + k + `\tx"}`) }},
	{"gzip (.env.gz)", "gzip", func(t testing.TB, k, pad string) []byte { return gzipOf(t, "", []byte("# "+pad+"\nAPI_KEY="+k+"\n")) }},
	{"zip member", "zip:config/app.env", func(t testing.TB, k, pad string) []byte {
		return zipOf(t, map[string][]byte{"config/app.env": []byte("# " + pad + "\nAPI_KEY=" + k + "\n")})
	}},
	{"UTF-16LE, BOM (PowerShell >)", "utf16le", func(_ testing.TB, k, pad string) []byte {
		return utf16Of("# "+pad+"\r\nAPI_KEY="+k+"\r\n", true, true)
	}},
	{"UTF-16BE, no BOM", "utf16be", func(_ testing.TB, k, pad string) []byte {
		return utf16Of("# "+pad+"\nAPI_KEY="+k+"\n", false, false)
	}},
}

// TestRecallByForm plants keys of every prefixed format in every form, at
// varied offsets, and prints the recall per form; every form must find all.
// (UUIDs and JWTs have forms of their own in TestServiceWords, TestJWTClaims
// and the accuracy corpus.)
func TestRecallByForm(t *testing.T) {
	c := newBuilder(23)
	s, _ := New()
	const per = 30
	var rows []string
	for _, form := range recallForms {
		found := 0
		for i := 0; i < per; i++ {
			f := []*keys.Format{keys.Hypedata, keys.Hypersave, keys.HopX}[i%3]
			key := c.key(t, f)
			doc := form.write(t, key.Reveal(), strings.Repeat("x", (i*13)%89+1))
			got, err := s.All(context.Background(), bytes.NewReader(doc))
			if err == nil && len(got) == 1 && got[0].Fingerprint == key.Fingerprint() && got[0].Chain == form.chain {
				found++
			} else if found == i {
				t.Errorf("%s, %s: %v, %v; want one finding, chain %s", form.name, f.Name, got, err, form.chain)
			}
		}
		rows = append(rows, fmt.Sprintf("| %-30s | %-20s | %2d/%d |", form.name, "`"+form.chain+"`", found, per))
	}
	// UUIDs on the line below their key name, with CRLF line ends.
	found := 0
	for i := 0; i < per; i++ {
		key := c.key(t, keys.HyperSync)
		got, err := s.All(context.Background(), strings.NewReader("ENVIO_API_TOKEN:\r\n  "+key.Reveal()+"\r\n"))
		if err == nil && len(got) == 1 && got[0].Fingerprint == key.Fingerprint() {
			found++
		}
	}
	rows = append(rows, fmt.Sprintf("| %-30s | %-20s | %2d/%d |", "Envio UUID, next line, CRLF", "`raw`", found, per))
	if found != per {
		t.Errorf("Envio UUID on the next line, CRLF: %d/%d", found, per)
	}
	t.Logf("recall by form:\n| form | chain | found |\n|---|---|---|\n%s", strings.Join(rows, "\n"))
}
