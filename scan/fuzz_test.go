package scan

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/apikit/apikit-go/keys"
)

// FuzzScan: on any input the scanner does not panic; every finding is a
// key its format parses, written at the offset, line and column reported;
// and the findings are the same whatever the chunk size and read sizes.
func FuzzScan(f *testing.F) {
	c := newBuilder(9)
	for _, fm := range []*keys.Format{keys.Hypedata, keys.Hypersave, keys.HopX, keys.Web3Storage, acme} {
		k := c.key(f, fm).Reveal()
		f.Add([]byte("KEY="+k+"\n"), uint16(7))
		f.Add([]byte("x: "+base64.StdEncoding.EncodeToString([]byte("\x01 "+k+"\n"))), uint16(33))
	}
	u := c.key(f, keys.HyperSync).Reveal()
	f.Add([]byte("ENVIO_API_TOKEN="+u), uint16(1))
	f.Add([]byte("# hypersync\nt: "+base64.RawURLEncoding.EncodeToString([]byte(u))), uint16(64))
	f.Add([]byte("hd_live_\nhs_test_eyJ\xff\x00envio-"), uint16(2))
	f.Add([]byte("ENV: "+base64.StdEncoding.EncodeToString([]byte("A=1\nENVIO_API_TOKEN="+u+"\n"))), uint16(40))
	hd := c.key(f, keys.Hypedata).Reveal()
	f.Add([]byte("x="+hex.EncodeToString([]byte(hd))+" %68%64%5F%6c"), uint16(5))
	f.Add([]byte(`{"a": "\u0068\u0064\u005f`+hd[3:]+`\nhd_\x68\x64\x5f"}`), uint16(9))
	f.Add(gzipOf(f, "a.env", []byte("K="+hd+"\n")), uint16(3))
	f.Add(zipOf(f, map[string][]byte{"a.env": []byte("K=" + hd + "\n"), "b.gz": gzipOf(f, "", []byte(hd))}), uint16(11))
	f.Add(utf16Of("K="+hd+"\n\U0001F600", true, true), uint16(6))
	f.Add([]byte("data: |\n    "+wrap(base64.StdEncoding.EncodeToString([]byte("# x\nK="+hd+"\n")), 8, "\r\n", "    ")), uint16(13))
	base, err := New(WithFormats(acme), WithKeys(), WithExamples())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		ctx := context.Background()
		want, err := base.All(ctx, bytes.NewReader(data))
		if err != nil && !Decodable(data) {
			t.Fatal(err) // only a container (a corrupt gzip, say) may fail to read
		}
		for _, fd := range want {
			k := fd.Key()
			if _, err := k.Spec().Parse(k.Reveal()); err != nil {
				t.Fatalf("%v does not parse as %s: %v", fd, k.Spec().Name, err)
			}
			if inContainer(fd.Chain) {
				continue // its position is in the decoded text
			}
			if fd.Offset < 0 || fd.Offset >= int64(len(data)) {
				t.Fatalf("%v: offset outside the input", fd)
			}
			before := data[:fd.Offset]
			if line := bytes.Count(before, []byte{'\n'}) + 1; line != fd.Line {
				t.Fatalf("%v: line %d, want %d", fd, fd.Line, line)
			}
			if col := int(fd.Offset) - bytes.LastIndexByte(before, '\n'); col != fd.Column {
				t.Fatalf("%v: column %d, want %d", fd, fd.Column, col)
			}
			switch fd.Chain {
			case "raw":
				if !bytes.HasPrefix(data[fd.Offset:], []byte(k.Reveal())) {
					t.Fatalf("%v: the key is not at its offset", fd)
				}
			case "hex", "percent", "unicode-escape", "hex-escape":
				if !bytes.HasPrefix(data[fd.Offset:], []byte(k.Reveal())) && !textEncodedAt(data, int(fd.Offset), k.Reveal()) {
					t.Fatalf("%v: the encoded key is not at its offset", fd)
				}
			case "base64", "base64url":
				if !encodedAt(data, int(fd.Offset), k.Reveal()) && !bytes.Contains(data[fd.Offset:], []byte("\n")) && !bytes.Contains(data[fd.Offset:], []byte("\\/")) {
					t.Fatalf("%v: the encoded key is not at its offset", fd)
				}
			}
		}
		s, err := New(WithFormats(acme), WithKeys(), WithExamples(), WithChunkSize(1+int(chunk)%2048))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.All(ctx, iotest.HalfReader(bytes.NewReader(data)))
		if err != nil && !Decodable(data) {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(views(got), views(want)) {
			t.Fatalf("chunk size %d found %v, the default %v", 1+int(chunk)%2048, got, want)
		}
		// The one-pass (SWAR) prefilter and one IndexByte pass per anchor
		// byte find the same.
		s.swar.ok = false
		got, err = s.All(ctx, bytes.NewReader(data))
		if err != nil && !Decodable(data) {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(views(got), views(want)) {
			t.Fatalf("IndexByte passes found %v, the SWAR pass %v", got, want)
		}
	})
}

func views(fs []Finding) []findingView {
	out := make([]findingView, len(fs))
	for i, f := range fs {
		out[i] = f.view()
	}
	return out
}

// encodedAt reports whether the base64 text starting at data[off] (the
// character holding the key's first bits, in some alignment) encodes key.
func encodedAt(data []byte, off int, key string) bool {
	for skip := 0; skip < 3; skip++ {
		start := off - (4*skip)/3
		if start < 0 {
			continue
		}
		d := decodeB64(nil, data[start:])
		if len(d) >= skip+len(key) && string(d[skip:skip+len(key)]) == key {
			return true
		}
	}
	return false
}

// FuzzCustomFormat: whatever format a user declares, New accepts it or
// says why, and scanning with it neither panics nor reports a key its
// format does not parse.
func FuzzCustomFormat(f *testing.F) {
	f.Add("acme_", "abc123", uint8(8), uint8(8), uint8(0), "", []byte("x acme_abc123ab y"))
	f.Add("k_", "", uint8(1), uint8(0), uint8(4), ".", []byte("k_abcd.zz\n"+base64.StdEncoding.EncodeToString([]byte("k_abcd.zz"))))
	f.Add("\x00\xff", "\n", uint8(0), uint8(3), uint8(2), "-", []byte("\x00\xff\n\n"))
	f.Fuzz(func(t *testing.T, prefix, charset string, minLen, maxLen, idLen uint8, sep string, data []byte) {
		idCharset := keys.Charset("")
		if idLen > 0 {
			idCharset = keys.Alphanumeric
		}
		fm := &keys.Format{Name: "Fuzz", Prefixes: []keys.Prefix{{Text: prefix, Env: keys.EnvLive}}, Charset: keys.Charset(charset),
			MinLength: int(minLen), MaxLength: int(maxLen), IDLength: int(idLen), IDCharset: idCharset, Separator: sep}
		s, err := New(WithoutBuiltins(), WithFormats(fm), WithKeys())
		if err != nil {
			return
		}
		got, err := s.All(context.Background(), bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range got {
			if _, err := fm.Parse(fd.Key().Reveal()); err != nil {
				t.Fatalf("%v does not parse: %v", fd, err)
			}
		}
	})
}

// inContainer reports a chain that starts in a container (gzip, zip,
// UTF-16): the finding's position is in the decoded text.
func inContainer(chain string) bool {
	for _, c := range []string{"gzip", "zip:", "utf16"} {
		if strings.HasPrefix(chain, c) {
			return true
		}
	}
	return false
}

// textEncodedAt reports whether key is written at data[off:] in one of the
// text encodings (hex, percent, \u, \x).
func textEncodedAt(data []byte, off int, key string) bool {
	for _, e := range []textEncoding{encHex, encPercent, encUnicode, encHexEsc} {
		if string(decodeText(nil, data[off:], e, len(key))) == key {
			return true
		}
	}
	return false
}
