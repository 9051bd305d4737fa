package client

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

const (
	hopxDefault = "hopx_live_AAAAAAAAAAAA.defaultsecret"
	hopxStaging = "hopx_live_BBBBBBBBBBBB.stagingsecret"
)

// writeConfig writes a chmod 600 config file and points APIKIT_CONFIG_FILE
// at it; the working directory moves to an empty folder (no .env).
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("APIKIT_CONFIG_FILE", path)
	t.Chdir(dir)
	return path
}

// TestServiceProfileVariable: HOPX_PROFILE picks the config profile for
// HopX, before APIKIT_PROFILE, for the key and for base_url alike.
func TestServiceProfileVariable(t *testing.T) {
	writeConfig(t, "profiles:\n"+
		"  default:\n    hopx: { api_key: "+hopxDefault+", base_url: \"https://default.example\" }\n"+
		"  staging:\n    hopx: { api_key: "+hopxStaging+", base_url: \"https://staging.example\" }\n")
	t.Setenv("HOPX_API_KEY", "")
	t.Setenv("HOPX_BASE_URL", "")
	t.Setenv("APIKIT_PROFILE", "default")
	t.Setenv("HOPX_PROFILE", "staging")
	c, err := New(WithService(HopX))
	if err != nil {
		t.Fatal(err)
	}
	cred, err := c.Credential(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cred.Key.Reveal() != hopxStaging || !strings.Contains(cred.Source.String(), `profile "staging"`) {
		t.Errorf("key from %s, want the staging profile", cred.Source)
	}
	if c.BaseURL() != "https://staging.example" {
		t.Errorf("base URL %s, want the staging profile's", c.BaseURL())
	}
	t.Setenv("HOPX_PROFILE", "")
	c, _ = New(WithService(HopX))
	if cred, _ := c.Credential(context.Background()); cred.Key.Reveal() != hopxDefault {
		t.Errorf("without HOPX_PROFILE the key came from %s", cred.Source)
	}
}

// TestDiagnoseShowsWhatAnExplicitKeyShadows: with WithAPIKey, Diagnose
// still lists the default sources, so a key in the env var that is being
// ignored shows up as shadowed.
func TestDiagnoseShowsWhatAnExplicitKeyShadows(t *testing.T) {
	writeConfig(t, "")
	t.Setenv("HOPX_API_KEY", hopxDefault)
	c, err := New(WithService(HopX), WithAPIKey(hopxStaging))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Diagnose(context.Background())
	if len(r.Entries) != 4 || !r.Entries[0].Wins || r.Entries[0].Source.Kind != credentials.KindExplicit {
		t.Fatalf("report:\n%s", r)
	}
	if e := r.Entries[1]; !e.Found || e.ShadowedBy == "" || e.Source.Kind != credentials.KindEnv {
		t.Errorf("the env var's key is not reported as shadowed:\n%s", r)
	}
	if strings.Contains(r.String(), hopxDefault) || strings.Contains(r.String(), hopxStaging) {
		t.Error("the report shows a secret")
	}
}

func TestDefaultSourcesOrder(t *testing.T) {
	var kinds []string
	for _, p := range DefaultSources(Hypedata) {
		_, err := p.Retrieve(context.Background())
		var nf *credentials.NotFoundError
		if errors.As(err, &nf) && len(nf.Tried) > 0 {
			kinds = append(kinds, nf.Tried[0].Source.Kind)
		}
	}
	if got := strings.Join(kinds, ", "); got != "env, .env file, config file" {
		t.Errorf("kinds %q", got)
	}
}

func TestOptionConflictsAndImpossibleRequests(t *testing.T) {
	for name, opts := range map[string][]Option{
		"key and provider":         {WithService(Hypedata), WithAPIKey("hd_test_" + strings.Repeat("a", 32)), WithCredentials(credentials.Env("X"))},
		"env on env-less keys":     {WithService(HyperSync), WithRequireEnv(keys.EnvLive)},
		"Host carries the key":     {WithService(Hypedata), WithHeaderAuth("Host")},
		"Cookie carries the key":   {WithService(Hypedata), WithHeaderAuth("cookie")},
		"proxy header carries key": {WithService(Hypedata), WithHeaderAuth("Proxy-Authorization")},
	} {
		if _, err := New(opts...); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	if _, err := New(WithService(testService("https://api.example.com")), WithAPIKey(testKey), WithHeaderAuth("X-Api-Token")); err != nil {
		t.Errorf("X-Api-Token: %v", err)
	}
}

// TestBadKeyNamesItsSourceAsAValue: a malformed key from the environment is
// a *credentials.SourceError naming where it came from.
func TestBadKeyNamesItsSourceAsAValue(t *testing.T) {
	writeConfig(t, "")
	t.Setenv("HYPEDATA_API_KEY", "hd_live_short")
	c, err := New(WithService(Hypedata))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Credential(context.Background())
	var se *credentials.SourceError
	if !errors.As(err, &se) || se.Source.Kind != credentials.KindEnv || se.Source.Detail != "HYPEDATA_API_KEY" {
		t.Fatalf("err = %v; want a SourceError for env HYPEDATA_API_KEY", err)
	}
	if !strings.HasPrefix(err.Error(), "env HYPEDATA_API_KEY: ") {
		t.Errorf("text %q", err)
	}
}

func TestEmptyExplicitKeyIsMissingCredentials(t *testing.T) {
	_, err := New(WithService(Hypedata), WithAPIKey(""))
	if !errors.Is(err, apierrors.ErrMissingCredentials) {
		t.Errorf("err = %v; want ErrMissingCredentials", err)
	}
}
