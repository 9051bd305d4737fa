package credentials

import (
	"bytes"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// marker stands for a secret in fuzz inputs: the seeds put it where keys go,
// and the fuzzer moves it about. The package never writes it itself.
const marker = "SECRETSECRET"

// markerTwin replaces marker in the twin input of the differential checks:
// letters for letters, so the twin parses exactly as the input does.
const markerTwin = "TFDSFUTFDSFU"

// FuzzParseConfig: any bytes give a Config or an error of at most 4 KiB
// that never quotes a value from the file (parseConfig's promise; a value
// may be a key). Names are not values: an error may quote the file's
// mapping keys (profile and service names, an unknown field's name), so
// the marker is checked for only when it is in no mapping key.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"profiles:\n  default:\n    hypedata: { api_key: hd_live_x }\n",
		"profiles:\n  p:\n    s:\n      api_key_command: [op, read, x]\n      base_url: https://x\n",
		"profiles: [", "a: b", "profiles:\n  x:\n    y:\n      api_key_command: SECRETSECRETSECRET\n", "- - -", "&a [*a]", "",
		// The marker as a name, which errors do quote: not a leak.
		"SECRETSECRET: x\n",
		"profiles:\n  SECRETSECRET:\n    s:\n      api_key: x\n      api_key_command: [a]\n",
		"x: &n SECRETSECRET\nprofiles: {*n : {s: {api_key: x, api_key_command: [a]}}}\n",
		// The marker as a value, which errors must not quote.
		"profiles:\n  p:\n    s:\n      api_key: [SECRETSECRET]\n      base_url: {x: SECRETSECRET}\n",
		"profiles: {p: {s: {api_key: SECRETSECRET, api_key_command: [SECRETSECRET]}}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := parseConfig(b, "/tmp/config.yaml")
		if err == nil {
			return
		}
		msg := err.Error()
		if len(msg) > 4096 {
			t.Fatalf("error too long: %d bytes", len(msg))
		}
		if !bytes.Contains(b, []byte(marker)) || !strings.Contains(msg, marker) || markerInName(b) {
			return
		}
		twin := bytes.ReplaceAll(b, []byte(marker), []byte(markerTwin))
		if _, err := parseConfig(twin, "/tmp/config.yaml"); err != nil && strings.Contains(err.Error(), markerTwin) {
			t.Fatalf("error quotes a value from the file: %q", msg)
		}
	})
}

// markerInName reports whether the marker is in a mapping key of the first
// YAML document in b (the one parseConfig reads), following aliases and
// decoding tagged keys (!!binary) as the decoder does.
func markerInName(b []byte) bool {
	var doc yaml.Node
	if yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc) != nil {
		return false // no document: parseConfig reports a syntax error, which quotes nothing
	}
	// Each node is walked at most once as a key and once as a value, so
	// aliases cost nothing however often they are used.
	type visit struct {
		n   *yaml.Node
		key bool
	}
	seen := map[visit]bool{}
	found := false
	var walk func(n *yaml.Node, key bool)
	walk = func(n *yaml.Node, key bool) {
		if n == nil || found || seen[visit{n, key}] {
			return
		}
		seen[visit{n, key}] = true
		if key && n.Kind == yaml.ScalarNode {
			var s string
			_ = n.Decode(&s)
			found = strings.Contains(n.Value, marker) || strings.Contains(s, marker)
		}
		walk(n.Alias, key)
		for i, c := range n.Content {
			walk(c, key || n.Kind == yaml.MappingNode && i%2 == 0)
		}
	}
	walk(&doc, false)
	return found
}

// FuzzDotEnv: the .env path never panics and its error never quotes the
// file (godotenv's own errors do, so parseDotEnv replaces them). The check
// is differential, so it cannot trip on text the package writes: an error
// that holds the marker is a quote only if the twin input's error holds
// the twin marker instead.
func FuzzDotEnv(f *testing.F) {
	for _, s := range []string{"A=1\nHYPEDATA_API_KEY=hd_live_x\n", "A=\"unterminated\nK=SECRETSECRETSECRET", "export K='a$B'", "K=a$B #c", "=x", "\x00=\x00",
		"SECRETSECRET", "K='SECRETSECRET", "K=\"SECRETSECRET\\\"\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		vars, err := parseDotEnv(b)
		if err != nil && bytes.Contains(b, []byte(marker)) && strings.Contains(err.Error(), marker) {
			twin := bytes.ReplaceAll(b, []byte(marker), []byte(markerTwin))
			if _, err2 := parseDotEnv(twin); err2 != nil && strings.Contains(err2.Error(), markerTwin) {
				t.Fatalf("error quotes the file: %v", err)
			}
		}
		for name := range vars {
			_, _ = rawDotEnvValue(b, name)
		}
	})
}
