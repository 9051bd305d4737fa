package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestKeyNeverPrintsItsSecret prints a Key every way a program might and
// searches the output for the secret and its hex and base64 forms.
func TestKeyNeverPrintsItsSecret(t *testing.T) {
	k, err := Parse(hdLive, Hypedata)
	if err != nil {
		t.Fatal(err)
	}
	type holder struct {
		Name string
		Key  Key
		Ptr  *Key
	}
	h := holder{"svc", k, &k}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%T %v"} {
		outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h), fmt.Sprintf(verb, []Key{k}),
			fmt.Sprintf(verb, map[string]Key{"a": k}), fmt.Sprintf(verb, &k))
	}
	outs = append(outs, fmt.Sprint(k), fmt.Sprintln(h), k.String(), k.GoString())
	for _, v := range []any{k, &k, h, &h, []Key{k}, map[string]Key{"k": k}, map[Key]int{k: 1}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json %T: %v", v, err)
		}
		outs = append(outs, string(b))
	}
	var buf bytes.Buffer
	for _, hd := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		l := slog.New(hd)
		l.Info("key", "key", k, "ptr", &k, "holder", h, slog.Any("any", k))
	}
	outs = append(outs, buf.String())
	forms := []string{k.Reveal(), k.Reveal()[8:], hex.EncodeToString([]byte(k.Reveal())),
		base64.StdEncoding.EncodeToString([]byte(k.Reveal())), strings.ToUpper(hex.EncodeToString([]byte(k.Reveal())))}
	for _, out := range outs {
		for _, f := range forms {
			if strings.Contains(out, f) {
				t.Errorf("output holds the secret: %s", out)
			}
		}
	}
	if !strings.Contains(fmt.Sprintf("%#v", h), `keys.Key("hd_live_…Xy4z")`) {
		t.Errorf("%%#v of a struct = %s", fmt.Sprintf("%#v", h))
	}
}

func TestFingerprint(t *testing.T) {
	a, _ := Parse(hdLive, Hypedata)
	a2, _ := Parse(hdLive, Hypedata)
	b, _ := Parse("hd_live_"+strings.Repeat("Z", 32), Hypedata)
	if a.Fingerprint() != a2.Fingerprint() || a.Fingerprint() == b.Fingerprint() {
		t.Error("fingerprint not stable or not distinct")
	}
	if fp := a.Fingerprint(); len(fp) != 15 || !strings.HasPrefix(fp, "fp_") || strings.Contains(hdLive, fp[3:]) {
		t.Errorf("fingerprint %q", fp)
	}
	if (Key{}).Fingerprint() != "" || (Key{}).String() != "<no key>" || !(Key{}).IsZero() {
		t.Error("zero key")
	}
}
