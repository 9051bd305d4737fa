package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apikit/apikit-go/scan"
)

// sarifResult is one finding kept for the SARIF log.
type sarifResult struct {
	path, commit string
	f            scan.Finding
}

// writeSARIF writes a SARIF 2.1.0 log of results, one rule per service,
// as GitHub code scanning reads it: the location, the redacted key and the
// fingerprint as the result's partial fingerprint (so that the same key is
// one alert wherever it moves).
func writeSARIF(w io.Writer, results []sarifResult) error {
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
	var rules []rule
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
				"artifactLocation": map[string]any{"uri": filepath.ToSlash(filepath.Clean(r.path))},
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
				"name":           "apikit scan",
				"informationUri": "https://github.com/apikit/apikit-go/blob/main/docs/SCANNING.md",
				"rules":          rules,
			}},
			"columnKind": "unicodeCodePoints",
			"results":    out,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}
