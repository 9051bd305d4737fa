package configfile

import (
	"bytes"
	"testing"
)

// FuzzParse feeds Parse arbitrary files: it must not panic, and whatever it
// accepts must survive an edit and a render, and parse again with the edit.
func FuzzParse(f *testing.F) {
	for _, s := range []string{userFile, "", "profiles:\n", "profiles: {default: {hypedata: {base_url: x}}}\n", "# c\n", "a: [\n", "profiles:\n  p:\n    s: ~\n", "- x\n", "profiles: &a {p: *a}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse(b)
		if err != nil {
			return
		}
		d.Set("default", "hypedata", "base_url", "https://fuzz.example")
		d.SetList("p", "s", "api_key_command", []string{"a", "b c"})
		out, err := d.Bytes()
		if err != nil {
			return // yaml.v3 cannot render some odd inputs (aliases); nothing is written then
		}
		d2, err := Parse(out)
		if err != nil {
			t.Fatalf("the rendered file does not parse: %v\n%s", err, out)
		}
		if v, ok := d2.Get("default", "hypedata", "base_url"); !ok || v.Scalar != "https://fuzz.example" {
			t.Fatalf("the edit was lost: %+v\n%s", v, out)
		}
		if v, ok := d2.Get("p", "s", "api_key_command"); !ok || !bytes.Equal([]byte(v.List[1]), []byte("b c")) {
			t.Fatalf("the list edit was lost: %+v\n%s", v, out)
		}
	})
}
