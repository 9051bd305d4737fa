package keys_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/keys"
)

const structSecret = "hd_live_" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"

// userConfig is how a program holds a key: in unexported fields, which fmt
// cannot call Key's methods on, directly and through pointers, slices, maps
// and nested structs.
type userConfig struct {
	Name   string
	key    keys.Key
	ptr    *keys.Key
	list   []keys.Key
	byName map[string]keys.Key
	nested *nestedConfig
}

type nestedConfig struct {
	k   keys.Key
	pp  **keys.Key
	arr [1]keys.Key
	any any
}

// secretForms are the ways a printer may spell the secret: as is, its part
// after the public prefix, hex either case, base64.
func secretForms(secret string) []string {
	return []string{secret, secret[len("hd_live_"):], hex.EncodeToString([]byte(secret)),
		strings.ToUpper(hex.EncodeToString([]byte(secret))), base64.StdEncoding.EncodeToString([]byte(secret)),
		hex.EncodeToString([]byte(secret[len("hd_live_"):]))}
}

func TestKeyInUnexportedFieldNeverPrintsItsSecret(t *testing.T) {
	k, err := keys.Parse(structSecret, keys.Hypedata)
	if err != nil {
		t.Fatal(err)
	}
	p := &k
	cfg := userConfig{
		Name: "svc", key: k, ptr: &k, list: []keys.Key{k, k}, byName: map[string]keys.Key{"a": k},
		nested: &nestedConfig{k: k, pp: &p, arr: [1]keys.Key{k}, any: k},
	}
	values := map[string]any{"struct": cfg, "pointer": &cfg, "slice": []userConfig{cfg}, "map": map[string]userConfig{"x": cfg},
		"nested": cfg.nested, "anonymous": struct{ k keys.Key }{k}}

	var outs []string
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d", "%T %v"} {
			outs = append(outs, name+" "+verb+": "+fmt.Sprintf(verb, v))
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%s): %v", name, err)
		}
		outs = append(outs, name+" json: "+string(b))
		for _, h := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		} {
			var buf bytes.Buffer
			slog.New(h(&buf)).Info("config", "cfg", v, slog.Any("any", v), slog.Group("g", "cfg", v))
			outs = append(outs, name+" slog: "+buf.String())
		}
	}
	for _, out := range outs {
		for _, form := range secretForms(k.Reveal()) {
			if strings.Contains(out, form) {
				t.Errorf("output holds the secret (as %.12s…):\n%s", form, out)
			}
		}
	}
}

func TestKeyEqualityAndZero(t *testing.T) {
	a, err := keys.Parse(structSecret, keys.Hypedata)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := keys.Parse(structSecret, keys.Hypedata)
	other, _ := keys.Parse("hd_live_"+strings.Repeat("Z", 32), keys.Hypedata)
	opaque, _ := keys.Parse(structSecret, keys.Opaque)
	c := a
	if a != c {
		t.Error("a Key differs from its copy under ==")
	}
	if !a.Equal(b) || !a.Equal(c) || !a.Equal(opaque) {
		t.Error("Equal is false for two Keys with the same secret")
	}
	if a.Equal(other) || a.Equal(keys.Key{}) || (keys.Key{}).Equal(a) {
		t.Error("Equal is true for different secrets")
	}
	var z keys.Key
	if !z.Equal(keys.Key{}) || !z.IsZero() || z.Reveal() != "" || z.Env() != keys.EnvUnknown || z.ID() != "" ||
		z.Spec() != nil || z.String() != "<no key>" || z.Fingerprint() != "" {
		t.Errorf("zero Key not usable: %q %v %q", z.Reveal(), z.Env(), z.String())
	}
	if got := fmt.Sprintf("%v|%+v|%#v", z, z, z); got != `<no key>|<no key>|keys.Key("<no key>")` {
		t.Errorf("zero Key prints %s", got)
	}
	if a.IsZero() || a.Reveal() != structSecret {
		t.Error("parsed Key lost its secret")
	}
}
