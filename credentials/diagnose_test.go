package credentials

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/keys"
)

func TestDiagnoseShowsShadowing(t *testing.T) {
	dir := isolate(t)
	writeFile(t, dir, "config.yaml", "profiles:\n  default:\n    hypedata: { api_key: "+fileKey+" }\n", 0o600)
	t.Setenv("HYPEDATA_API_KEY", envKey)
	r := Diagnose(context.Background(), keys.Hypedata, Chain(Env("HYPEDATA_API_KEY"), DotEnv("", "HYPEDATA_API_KEY")), ConfigFile("", "", "hypedata"))
	if len(r.Entries) != 3 || r.Winner != 0 {
		t.Fatalf("report %+v", r)
	}
	if !r.Entries[0].Wins || r.Entries[2].ShadowedBy != "env HYPEDATA_API_KEY" || r.Entries[1].Found {
		t.Errorf("entries %+v", r.Entries)
	}
	out := r.String()
	for _, want := range []string{"1. env HYPEDATA_API_KEY: hd_live_…EEEE", "<- used", "no such file", "shadowed by env HYPEDATA_API_KEY"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, k := range []string{envKey, fileKey} {
		if strings.Contains(out, k) || strings.Contains(fmt.Sprintf("%+v %#v", r, r), k) {
			t.Errorf("report shows a secret")
		}
	}
}

// A source that errors is shown under its own name, in the list and in
// "shadowed by".
func TestDiagnoseNamesFailingSources(t *testing.T) {
	dir := isolate(t)
	t.Setenv("HYPEDATA_API_KEY", envKey+"\n")
	writeFile(t, dir, ".env", "HYPEDATA_API_KEY="+dotKey+"\n", 0o600)
	r := Diagnose(context.Background(), keys.Hypedata, defaultChain())
	out := r.String()
	for _, want := range []string{
		"1. env HYPEDATA_API_KEY: error: API key: has a trailing newline",
		"2. .env file " + filepath.Join(dir, ".env") + " (HYPEDATA_API_KEY): hd_live_…DDDD",
		"(shadowed by env HYPEDATA_API_KEY)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "source:") || strings.Contains(out, "by source") {
		t.Errorf("a source without its name:\n%s", out)
	}
	// A custom provider's plain error: named by its place and type.
	r = Diagnose(context.Background(), nil, Env("UNSET_VAR_FOR_TEST"), ProviderFunc(func(context.Context) (Credential, error) {
		return Credential{}, errors.New("vault sealed")
	}))
	if out := r.String(); !strings.Contains(out, "2. provider 2 (credentials.ProviderFunc): error: vault sealed  <- used") {
		t.Errorf("custom provider:\n%s", out)
	}
}

// With no key anywhere, the report ends with what to set.
func TestDiagnoseNothingFoundSaysWhatToSet(t *testing.T) {
	dir := isolate(t)
	out := Diagnose(context.Background(), keys.Hypedata, defaultChain()).String()
	want := "no source holds a key — to fix: set HYPEDATA_API_KEY, or add HYPEDATA_API_KEY=… to " + filepath.Join(dir, ".env") +
		", or add api_key under profiles.default.hypedata in " + filepath.Join(dir, "config.yaml") + "\n"
	if !strings.HasSuffix(out, want) {
		t.Errorf("got:\n%s\nwant it to end with:\n%s", out, want)
	}
}
