package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/keys"
)

// sarifSchema compiles the SARIF 2.1.0 schema (OASIS, errata 01, checked in
// under testdata) with format assertions on, so that a uri must be a valid
// URI reference.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// validSARIF checks out against the schema and returns the log.
func validSARIF(t *testing.T, sch *jsonschema.Schema, what, out string) map[string]any {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", what, err, out)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("%s: not valid SARIF 2.1.0: %v\n%s", what, err, out)
	}
	var log map[string]any
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	return log
}

func sarifRun(log map[string]any) map[string]any {
	return log["runs"].([]any)[0].(map[string]any)
}

func sarifURIs(log map[string]any) []string {
	var uris []string
	for _, r := range sarifRun(log)["results"].([]any) {
		loc := r.(map[string]any)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
		uris = append(uris, loc["artifactLocation"].(map[string]any)["uri"].(string))
	}
	return uris
}

// TestScanSARIFSchema: every --sarif log apikit writes is valid SARIF 2.1.0
// by the OASIS schema: a clean run ("rules": []), names with a space, #, %,
// a colon or non-ASCII (percent-encoded, relative to SRCROOT, never
// absolute), --git paths with a space (no trailing TAB), an absolute path
// argument; the tool's version is there.
func TestScanSARIFSchema(t *testing.T) {
	sch := sarifSchema(t)
	// The schema catches what was wrong before: "rules": null, a uri with
	// a raw space.
	for _, bad := range []string{
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","rules":null}},"results":[]}]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},` +
			`"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a b#c%.env"}}}]}]}]}`,
	} {
		doc, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if sch.Validate(doc) == nil {
			t.Fatalf("the schema took %s", bad)
		}
	}
	u := newUser(t)
	k := newKey(t, keys.Hypedata)
	u.writeFile("project/clean.txt", "nothing\n", 0o644)
	log := validSARIF(t, sch, "a clean run", u.must(scanClean, "", "scan", "--sarif", "clean.txt").stdout)
	driver := sarifRun(log)["tool"].(map[string]any)["driver"].(map[string]any)
	if rules, ok := driver["rules"].([]any); !ok || len(rules) != 0 {
		t.Errorf("a clean run's rules: %#v, want []", driver["rules"])
	}
	if driver["version"] != client.Version || driver["semanticVersion"] != client.Version {
		t.Errorf("tool version: %v / %v", driver["version"], driver["semanticVersion"])
	}
	base := sarifRun(log)["originalUriBaseIds"].(map[string]any)["SRCROOT"].(map[string]any)["uri"].(string)
	if !strings.HasPrefix(base, "file:///") || !strings.HasSuffix(base, "/") {
		t.Errorf("SRCROOT: %q", base)
	}

	names := map[string]string{
		"my secrets.env":  "my%20secrets.env",
		"issue#12.env":    "issue%2312.env",
		"100%.env":        "100%25.env",
		"clé/été.env":     "cl%C3%A9/%C3%A9t%C3%A9.env",
		"c:colon.env":     "./c:colon.env",
		"dir/sub dir/a?b": "dir/sub%20dir/a%3Fb",
	}
	for name := range names {
		u.writeFile("project/"+name, "K="+k.Reveal()+"\n", 0o600)
	}
	log = validSARIF(t, sch, "scan --sarif .", u.must(scanFound, "", "scan", "--sarif", ".").stdout)
	got := strings.Join(sarifURIs(log), " ")
	for _, want := range names {
		if !strings.Contains(" "+got+" ", " "+want+" ") {
			t.Errorf("uri %q not among %s", want, got)
		}
	}
	// An absolute path argument: still relative to SRCROOT.
	log = validSARIF(t, sch, "an absolute path", u.must(scanFound, "", "scan", "--sarif", u.cwd+"/my secrets.env").stdout)
	if uris := sarifURIs(log); len(uris) != 1 || uris[0] != "my%20secrets.env" {
		t.Errorf("an absolute path's uri: %v", uris)
	}

	u.git("init", "-q", "-b", "main")
	u.git("add", ".")
	u.git("commit", "-q", "-m", "x")
	out := u.must(scanFound, "", "scan", "--sarif", "--git").stdout
	if strings.Contains(out, `\t`) {
		t.Errorf("--git --sarif: a TAB in the log:\n%s", out)
	}
	log = validSARIF(t, sch, "scan --sarif --git", out)
	got = strings.Join(sarifURIs(log), " ")
	for _, want := range names {
		if !strings.Contains(" "+got+" ", " "+want+" ") {
			t.Errorf("--git: uri %q not among %s", want, got)
		}
	}
	// From a subfolder, --git paths are relative to where apikit runs.
	u.cwd += "/dir"
	log = validSARIF(t, sch, "--git from a subfolder", u.must(scanFound, "", "scan", "--sarif", "--git", "..").stdout)
	if got := strings.Join(sarifURIs(log), " "); !strings.Contains(got, "../my%20secrets.env") || !strings.Contains(got, "sub%20dir/a%3Fb") {
		t.Errorf("--git from a subfolder: %s", got)
	}
}
