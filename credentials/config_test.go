package credentials

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// loadYAML parses content as a config file and returns the error text.
func loadYAML(t *testing.T, content string) string {
	t.Helper()
	p := writeFile(t, t.TempDir(), "config.yaml", content, 0o600)
	_, err := LoadConfig(p)
	if err == nil {
		return ""
	}
	return err.Error()
}

// An unknown field is named only when it is a short identifier that is not
// a key: a key put where a field name goes must not be printed.
func TestConfigUnknownFieldNeverPrintsAKey(t *testing.T) {
	cases := []struct{ name, yaml, want, notWant string }{
		{"a Hypersave key as a field", "profiles:\n  default:\n    hypersave: { hs_live_abcdefghijkl }\n",
			"line 3: an unknown field (known per service: api_key, api_key_command, base_url)", "abcdefgh"},
		{"a malformed key as a field", "profiles:\n  default:\n    hypedata:\n      hd_live_abc: x\n",
			"line 4: an unknown field", "hd_live_abc"},
		{"a long name", "profiles:\n  default:\n    hypedata:\n      averyveryverylongfieldnamethatgoeson: x\n",
			"line 4: an unknown field", "averyvery"},
		{"an opaque key", "profiles:\n  default:\n    hypedata:\n      Zq8vLm2pXr5tWc9yBn4k: x\n",
			"line 4: an unknown field", "Zq8vLm"},
		{"a near miss", "profiles:\n  default:\n    hypedata:\n      apikey: x\n",
			"line 4: unknown field apikey; did you mean api_key? (known per service", ""},
		{"another near miss", "profiles:\n  default:\n    hypedata:\n      base_ulr: x\n",
			"line 4: unknown field base_ulr; did you mean base_url?", ""},
		{"no near miss", "profiles:\n  default:\n    hypedata:\n      region: x\n",
			"line 4: unknown field region (known per service", "did you mean"},
		{"top level", "profile:\n  default: {}\n",
			"line 1: unknown field profile; did you mean profiles? (known at the top: profiles)", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := loadYAML(t, tc.yaml)
			if !strings.Contains(msg, tc.want) || tc.notWant != "" && strings.Contains(msg, tc.notWant) {
				t.Errorf("got  %s\nwant %q, without %q", msg, tc.want, tc.notWant)
			}
		})
	}
}

// Names of profiles are listed in messages only when they cannot be keys.
func TestConfigProfileNamesNotShownWhenKeyShaped(t *testing.T) {
	p := writeFile(t, t.TempDir(), "config.yaml", "profiles:\n  prod-eu-1: {}\n  "+fileKey+": {}\n", 0o600)
	_, err := ConfigFile(p, "default", "hypedata").Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "profiles: (a name not shown: it looks like a key), prod-eu-1)") {
		t.Fatalf("err = %v", err)
	}
	noPartOf(t, "error", err.Error(), fileKey[8:])
	p = writeFile(t, t.TempDir(), "config.yaml", "profiles:\n  "+fileKey+":\n    hypedata: { api_key: x, api_key_command: [a] }\n", 0o600)
	_, err = LoadConfig(p)
	if err == nil || !strings.Contains(err.Error(), "both api_key and api_key_command") {
		t.Fatalf("err = %v", err)
	}
	noPartOf(t, "error", err.Error(), fileKey[8:])
}

// A second YAML document would be ignored: it is an error.
func TestConfigSecondDocument(t *testing.T) {
	msg := loadYAML(t, "profiles:\n  default: {}\n---\nprofiles:\n  prod: {}\n")
	if !strings.Contains(msg, "line 3: the config file holds more than one YAML document") {
		t.Errorf("err = %s", msg)
	}
	for _, ok := range []string{"---\nprofiles: {}\n", "profiles: {}\n---\n", "profiles: {}\n...\n", "profiles: {}\n---\n# only a comment\n"} {
		if msg := loadYAML(t, ok); msg != "" {
			t.Errorf("%q: %s", ok, msg)
		}
	}
	if msg := loadYAML(t, "profiles: {}\n---\nprofiles: [\n"); !strings.Contains(msg, "not valid YAML") {
		t.Errorf("bad second document: %s", msg)
	}
}

// The permission rules say what the mode allows, and apply to the group
// bits as to the others': a file others can write is refused whatever it
// holds (chmod go-w); one holding a literal key must also be unreadable to
// them (chmod 600). Neither message suggests api_key_command.
func TestConfigModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX permissions")
	}
	content := "profiles:\n  default:\n    hypedata: { api_key: " + fileKey + " }\n"
	for mode, want := range map[os.FileMode]string{
		0o640: "is readable by its group (mode 0640)",
		0o620: "is writable by its group (mode 0620)",
		0o604: "is readable by others (mode 0604)",
		0o644: "is readable by its group and by others (mode 0644)",
		0o660: "is writable by its group (mode 0660)",
		0o642: "is writable by others (mode 0642)",
		0o600: "",
		0o400: "",
	} {
		p := writeFile(t, t.TempDir(), "config.yaml", content, mode)
		cred, err := ConfigFile(p, "default", "hypedata").Retrieve(context.Background())
		if want == "" {
			if err != nil || cred.Key.Reveal() != fileKey {
				t.Errorf("mode %04o: %v", mode, err)
			}
			continue
		}
		fix := "chmod 600 " + p
		if mode&0o022 != 0 {
			fix = "chmod go-w " + p
		}
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), fix) || strings.Contains(err.Error(), "api_key_command") {
			t.Errorf("mode %04o: err = %v, want %q and %q", mode, err, want, fix)
		}
	}
}

// APIKIT_CONFIG_FILE: ~/ is the home directory; a relative path is shown
// absolute.
func TestConfigPathFromEnv(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	t.Setenv("APIKIT_CONFIG_FILE", "~/apikit.yaml")
	p, err := DefaultConfigPath()
	if err != nil || p != filepath.Join(home, "apikit.yaml") {
		t.Fatalf("~/: %q, %v", p, err)
	}
	writeFile(t, home, "apikit.yaml", "profiles:\n  default:\n    hypedata: { api_key: "+fileKey+" }\n", 0o600)
	if cred, err := ConfigFile("", "", "hypedata").Retrieve(context.Background()); err != nil || cred.Key.Reveal() != fileKey {
		t.Fatalf("ConfigFile via ~/: %v, %v", cred, err)
	}

	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("APIKIT_CONFIG_FILE", "conf/apikit.yaml")
	p, err = DefaultConfigPath()
	if err != nil || p != filepath.Join(dir, "conf", "apikit.yaml") {
		t.Fatalf("relative: %q, %v", p, err)
	}
	_, err = ConfigFile("", "", "hypedata").Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "conf", "apikit.yaml")) {
		t.Fatalf("relative path in the message: %v", err)
	}
	_, err = ConfigFile("rel.yaml", "default", "hypedata").Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "rel.yaml")) {
		t.Fatalf("relative path given to ConfigFile: %v", err)
	}
}

func TestConfigNil(t *testing.T) {
	var c *Config
	if c.Path() != "" {
		t.Error("Path of nil")
	}
	if _, ok := c.Service("default", "hypedata"); ok {
		t.Error("Service of nil")
	}
}

// Every failure of a config file that holds something is a *SourceError
// naming the file, profile and service; an api_key_command's too.
func TestConfigErrorsNameTheSource(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"bad key":     "profiles:\n  default:\n    hypedata: { api_key: \"" + fileKey + "\\n\" }\n",
		"bad yaml":    "profiles: [\n",
		"bad command": "profiles:\n  default:\n    hypedata: { api_key_command: [/nonexistent/apikit-op, read] }\n",
	}
	for name, content := range cases {
		p := writeFile(t, dir, name+".yaml", content, 0o600)
		_, err := Chain(ConfigFile(p, "default", "hypedata"), Static(envKey)).Retrieve(context.Background())
		var se *SourceError
		if !errors.As(err, &se) || se.Source.Kind != KindConfig || !strings.HasPrefix(se.Source.Detail, p+`, profile "default", hypedata`) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
