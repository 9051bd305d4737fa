package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/scan"
)

// sarifResult is one finding kept for the SARIF log: path is relative to
// base (an absolute folder: the working directory, or a repository's top
// for --git and --staged), or absolute.
type sarifResult struct {
	path, base, commit string
	f                  scan.Finding
}

// writeSARIF writes a SARIF 2.1.0 log of results, one rule per service,
// as GitHub code scanning reads it: the location, the redacted key and the
// fingerprint as the result's partial fingerprint (so that the same key is
// one alert wherever it moves).
func writeSARIF(w io.Writer, results []sarifResult, root string) error {
	type msg struct {
		Text string `json:"text"`
	}
	type rule struct {
		ID               string            `json:"id"`
		Name             string            `json:"name"`
		ShortDescription msg               `json:"shortDescription"`
		FullDescription  msg               `json:"fullDescription"`
		Help             msg               `json:"help"`
		Properties       map[string]any    `json:"properties"`
		DefaultConfig    map[string]string `json:"defaultConfiguration"`
	}
	ruleID := func(service string) string {
		return "apikit/" + strings.ToLower(strings.NewReplacer(" ", "-", ".", "-").Replace(service))
	}
	rules := []rule{} // a clean run has none, as [] (null is not valid SARIF)
	index := map[string]int{}
	for _, r := range results {
		id := ruleID(r.f.Service)
		if _, ok := index[id]; ok {
			continue
		}
		index[id] = 0
		rules = append(rules, rule{
			ID:               id,
			Name:             "Leaked" + strings.NewReplacer(" ", "", ".", "").Replace(r.f.Service) + "Key",
			ShortDescription: msg{fmt.Sprintf("A %s API key is in the code", r.f.Service)},
			FullDescription:  msg{fmt.Sprintf("A %s API key, written raw or base64-encoded, that the %s key format accepts.", r.f.Service, r.f.Service)},
			Help:             msg{"Rotate or revoke the key at once (apikit keys rotate <service> <key-id>; apikit keys list <service> shows the id), then remove it from the file and the history; read keys from the environment or apikit login instead."},
			Properties:       map[string]any{"tags": []string{"security", "secret"}, "security-severity": "9.0", "precision": "very-high"},
			DefaultConfig:    map[string]string{"level": "error"},
		})
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	for i, r := range rules {
		index[r.ID] = i
	}
	out := make([]map[string]any, 0, len(results))
	for _, r := range results {
		text := fmt.Sprintf("%s key %s (%s)", r.f.Service, r.f.Redacted, r.f.Fingerprint)
		if r.f.Chain != "" && r.f.Chain != "raw" {
			text += ", written " + r.f.Chain
		}
		if r.commit != "" {
			text += ", added in commit " + r.commit
		}
		res := map[string]any{
			"ruleId":    ruleID(r.f.Service),
			"ruleIndex": index[ruleID(r.f.Service)],
			"level":     "error",
			"message":   msg{text},
			"locations": []any{map[string]any{"physicalLocation": map[string]any{
				"artifactLocation": map[string]any{"uri": sarifURI(r.path, r.base, root), "uriBaseId": "SRCROOT"},
				"region":           map[string]any{"startLine": r.f.Line, "startColumn": r.f.Column},
			}}},
			"partialFingerprints": map[string]string{"apikitKeyFingerprint/v1": r.f.Fingerprint},
		}
		if r.commit != "" {
			res["properties"] = map[string]any{"commit": r.commit}
		}
		out = append(out, res)
	}
	log := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name":            "apikit scan",
				"version":         client.Version,
				"semanticVersion": client.Version,
				"informationUri":  "https://github.com/apikit/apikit-go/blob/main/docs/SCANNING.md",
				"rules":           rules,
			}},
			// Every uri is relative to SRCROOT, the folder apikit ran in.
			"originalUriBaseIds": map[string]any{"SRCROOT": map[string]any{"uri": dirURI(root)}},
			"columnKind":         "unicodeCodePoints",
			"results":            out,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// sarifURI returns the path p (relative to the absolute folder base, or
// absolute) as a URI reference relative to root, percent-encoded (a space,
// #, %, ?, non-ASCII): "deploy/my%20secret.yaml", "../other/x.env".
func sarifURI(p, base, root string) string {
	if !filepath.IsAbs(p) && base != "" {
		p = filepath.Join(base, p)
	}
	if filepath.IsAbs(p) && root != "" {
		if rel, err := filepath.Rel(root, p); err == nil {
			p = rel
		}
	}
	p = filepath.ToSlash(filepath.Clean(p))
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") {
		return (&url.URL{Scheme: "file", Path: p}).String() // another drive, say: absolute, still a valid URI
	}
	u := (&url.URL{Path: p}).EscapedPath()
	// A first segment with a colon would read as a scheme ("c:x.env").
	if first, _, _ := strings.Cut(u, "/"); strings.Contains(first, ":") {
		u = "./" + u
	}
	return u
}

// dirURI is the file URI of the absolute folder dir, ending in a slash as
// SARIF's originalUriBaseIds need.
func dirURI(dir string) string {
	d := filepath.ToSlash(dir)
	if !strings.HasPrefix(d, "/") {
		d = "/" + d // C:/x on Windows
	}
	if !strings.HasSuffix(d, "/") {
		d += "/"
	}
	return (&url.URL{Scheme: "file", Path: d}).String()
}
