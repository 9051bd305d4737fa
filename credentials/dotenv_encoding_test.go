package credentials

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
)

// utf16Text encodes s as UTF-16 in the given byte order, with a byte-order
// mark when bom is set: what PowerShell 5.1's `>` and Notepad's "Unicode"
// save as.
func utf16Text(s string, order binary.ByteOrder, bom bool) string {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	b := make([]byte, 2*len(units))
	for i, u := range units {
		order.PutUint16(b[2*i:], u)
	}
	return string(b)
}

// TestDotEnvWindowsEncodings: a .env saved by a Windows editor is read as
// the user wrote it: UTF-8 with a byte-order mark (Notepad), UTF-16 with
// one (PowerShell 5.1's `echo ... > .env`, Notepad's "Unicode"), CRLF line
// ends.
func TestDotEnvWindowsEncodings(t *testing.T) {
	const text = "# from Windows\r\nHYPEDATA_API_KEY=" + dotKey + "\r\nOTHER=é\r\n"
	cases := map[string]string{
		"UTF-8 with BOM (Notepad)":        "\ufeff" + text,
		"UTF-8 with BOM, key first":       "\ufeffHYPEDATA_API_KEY=" + dotKey + "\n",
		"UTF-16 LE with BOM (PowerShell)": utf16Text(text, binary.LittleEndian, true),
		"UTF-16 BE with BOM":              utf16Text(text, binary.BigEndian, true),
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			cred, err := dotEnvValue(t, content)
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if cred.Key.Reveal() != dotKey {
				t.Fatalf("key %v, want the file's", cred.Key)
			}
		})
	}
}

// TestDotEnvUnreadableEncodings: text the SDK cannot read as UTF-8 gets an
// error that names what the file looks like and the fix, never "not a
// NAME=value line", and never a byte of the file.
func TestDotEnvUnreadableEncodings(t *testing.T) {
	const text = "HYPEDATA_API_KEY=" + dotKey + "\r\n"
	cases := []struct{ name, content, want string }{
		{"UTF-16 LE without BOM", utf16Text(text, binary.LittleEndian, false), "UTF-16"},
		{"UTF-16 BE without BOM", utf16Text(text, binary.BigEndian, false), "UTF-16"},
		{"UTF-16 with BOM, odd length", utf16Text(text, binary.LittleEndian, true) + "x", "UTF-16"},
		{"UTF-32 LE with BOM", "\xff\xfe\x00\x00H\x00\x00\x00", "UTF-32"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dotEnvValue(t, tc.content)
			if err == nil {
				t.Fatal("Retrieve succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "UTF-8") {
				t.Errorf("error %q, want it to name %s and the fix (save as UTF-8)", msg, tc.want)
			}
			if strings.Contains(msg, "NAME=value") || strings.Contains(msg, dotKey[8:16]) {
				t.Errorf("error %q blames the syntax or quotes the file", msg)
			}
		})
	}
}

// TestDotEnvEncodingUTF8Unchanged: a plain UTF-8 file is passed on as it is.
func TestDotEnvEncodingUTF8Unchanged(t *testing.T) {
	in := []byte("A=é\nB=2\n")
	out, err := dotEnvText(in)
	if err != nil || string(out) != string(in) {
		t.Errorf("dotEnvText = %q, %v", out, err)
	}
	if _, err := DotEnv(writeFile(t, t.TempDir(), ".env", "\ufeff", 0o600), "X").Retrieve(context.Background()); err == nil {
		t.Error("a file holding only a BOM gave a key")
	}
}

// FuzzDotEnvText: decoding never panics; what it returns does not start
// with a BOM; text that does not start with one comes back unchanged or is
// refused as UTF-16.
func FuzzDotEnvText(f *testing.F) {
	f.Add([]byte("\ufeffA=1\n"))
	f.Add([]byte(utf16Text("A=1\r\n", binary.LittleEndian, true)))
	f.Add([]byte(utf16Text("A=1\r\n", binary.BigEndian, true)))
	f.Add([]byte("\xff\xfe\x00\xd8")) // an unpaired surrogate
	f.Add([]byte("A=\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := dotEnvText(in)
		if err != nil {
			return
		}
		s := string(out)
		if strings.HasPrefix(s, "\ufeff") {
			t.Fatalf("dotEnvText(%q) = %q: a BOM is left", in, out)
		}
		if plain := string(in); !strings.HasPrefix(plain, "\ufeff") && !strings.HasPrefix(plain, "\xff\xfe") && !strings.HasPrefix(plain, "\xfe\xff") && s != plain {
			t.Fatalf("dotEnvText(%q) = %q: UTF-8 text changed", in, out)
		}
	})
}
