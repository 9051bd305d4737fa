package credentials

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyPassedAsANameIsNotShown: a key given where a name belongs (an env
// var name, a profile, a service section) never comes back in a message,
// a Source or a Diagnose report.
func TestKeyPassedAsANameIsNotShown(t *testing.T) {
	const key = "hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte("profiles:\n  default:\n    hypedata: { api_key: hd_test_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("APIKIT_CONFIG_FILE", config)
	t.Setenv("APIKIT_PROFILE", key)
	for name, p := range map[string]Provider{
		"Env(key)":            Env(key),
		"DotEnv(path, key)":   DotEnv(filepath.Join(dir, ".env"), key),
		"ConfigFile profile":  ConfigFile(config, "", "hypedata"),
		"ConfigFile section":  ConfigFile(config, "default", key),
		"ConfigFile explicit": ConfigFile(config, key, "hypedata"),
	} {
		_, err := p.Retrieve(context.Background())
		if err == nil {
			t.Errorf("%s: found a key", name)
			continue
		}
		report := Diagnose(context.Background(), nil, p).String()
		for _, out := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), report} {
			if strings.Contains(out, key) {
				t.Errorf("%s: the key is shown: %s", name, out)
			}
		}
	}
}
