package clienttest

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/keys"
)

// patterned is a route with its http.ServeMux pattern.
type patterned struct {
	pattern string
	route   route
}

// dialectRoutes are the endpoints each service's page shows (docs/PROTOCOL.md
// says which are the vendor's and which this SDK's assumption). Key
// management, whoami and usage come from the Service's paths instead.
func dialectRoutes(d client.Dialect) []patterned {
	switch d {
	case client.DialectHopX:
		return []patterned{
			{"GET /v1/templates", route{json: listTemplates}},
			{"GET /v1/sandboxes", route{json: listSandboxes}},
			{"POST /v1/sandboxes", route{json: createSandbox}},
			{"GET /v1/sandboxes/{id}", route{json: getSandbox}},
			{"DELETE /v1/sandboxes/{id}", route{json: deleteSandbox}},
		}
	case client.DialectHypersave:
		return []patterned{
			{"GET /v1/memories", route{json: listMemories}},
			{"POST /v1/memories", route{json: createMemory}},
		}
	case client.DialectHyperSync:
		return []patterned{
			{"GET /height", route{keyless: true, json: height}},
			{"POST /query", route{keyless: true, json: query}},
		}
	case client.DialectWeb3:
		return []patterned{
			{"GET /user/uploads", route{json: listUploads}},
			{"GET /status/{cid}", route{json: uploadStatus}},
		}
	}
	// Hypedata, and any service of your own in its dialect.
	return []patterned{
		{"GET /v1/scrape", route{scope: "scrape", cost: 1, json: scrape}},
		{"POST /v1/scrape", route{scope: "scrape", cost: 1, json: scrapePost}},
		{"GET /v1/serp", route{scope: "serp", cost: 2, json: serp}},
		{"POST /v1/parse", route{scope: "parse", cost: 1, json: parse}},
		{"GET /v1/stream", route{scope: "stream", raw: (*Server).serveStream}},
		{"POST /v1/jobs", route{scope: "jobs", cost: jobCost, json: createJob}},
		{"GET /v1/jobs/{id}", route{scope: "jobs", json: getJob}},
		{"GET /v1/billing", route{scope: "billing", json: billing}},
	}
}

// fixture403 is the URL Hypedata's test environment answers with a 403, "to
// exercise your retry logic".
const fixture403 = "https://fixtures.hypedata.io/403"

// templates is HopX's template list, as a fixture.
var templates = []map[string]any{
	{"id": "code-interpreter", "name": "Code Interpreter", "language": "python"},
	{"id": "nodejs", "name": "Node.js", "language": "javascript"},
	{"id": "ubuntu", "name": "Ubuntu", "language": "bash"},
}

func listTemplates(_ *Server, _ *http.Request, _ *keyState, _ []byte) (int, any) {
	return 200, map[string]any{"data": templates}
}

func knownTemplate(id string) bool {
	for _, t := range templates {
		if t["id"] == id {
			return true
		}
	}
	return false
}

func listSandboxes(s *Server, _ *http.Request, _ *keyState, _ []byte) (int, any) {
	out := make([]map[string]any, 0, len(s.sandboxOrder))
	for _, id := range s.sandboxOrder {
		if sb, ok := s.sandboxes[id]; ok {
			out = append(out, sb)
		}
	}
	return 200, map[string]any{"data": out}
}

func createSandbox(s *Server, _ *http.Request, _ *keyState, body []byte) (int, any) {
	var in struct {
		TemplateID string `json:"template_id"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.TemplateID == "" {
		return 0, &apiError{status: 400, code: "bad_request", message: `the body must be a JSON object with a "template_id"`}
	}
	if !knownTemplate(in.TemplateID) {
		return 0, &apiError{status: 400, code: "bad_request", message: "no template " + in.TemplateID + "; GET /v1/templates lists them"}
	}
	sb := map[string]any{"id": newID("sbx_"), "template_id": in.TemplateID, "status": "running", "created_at": s.clock.Now().UTC()}
	s.sandboxes[sb["id"].(string)] = sb
	s.sandboxOrder = append(s.sandboxOrder, sb["id"].(string))
	return 201, sb
}

func getSandbox(s *Server, r *http.Request, _ *keyState, _ []byte) (int, any) {
	sb, ok := s.sandboxes[r.PathValue("id")]
	if !ok {
		return 0, &apiError{status: 404, code: "not_found", message: "No sandbox " + r.PathValue("id")}
	}
	return 200, sb
}

func deleteSandbox(s *Server, r *http.Request, _ *keyState, _ []byte) (int, any) {
	id := r.PathValue("id")
	if _, ok := s.sandboxes[id]; !ok {
		return 0, &apiError{status: 404, code: "not_found", message: "No sandbox " + id}
	}
	delete(s.sandboxes, id)
	return 200, map[string]any{"id": id, "status": "deleted"}
}

func listMemories(s *Server, _ *http.Request, _ *keyState, _ []byte) (int, any) {
	return 200, map[string]any{"data": append([]map[string]any{}, s.memories...)}
}

func createMemory(s *Server, _ *http.Request, _ *keyState, body []byte) (int, any) {
	var in struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(body, &in); err != nil || strings.TrimSpace(in.Content) == "" {
		return 0, &apiError{status: 400, code: "bad_request", message: `the body must be a JSON object with a "content"`}
	}
	m := map[string]any{"id": newID("mem_"), "content": in.Content, "created_at": s.clock.Now().UTC()}
	s.memories = append(s.memories, m)
	return 201, map[string]any{"data": m}
}

// chainHeight is the block height HyperSync's fixture reports.
const chainHeight = 21_000_000

func height(_ *Server, _ *http.Request, _ *keyState, _ []byte) (int, any) {
	return 200, map[string]any{"height": chainHeight}
}

func query(_ *Server, _ *http.Request, _ *keyState, body []byte) (int, any) {
	var in struct {
		FromBlock *int64 `json:"from_block"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.FromBlock == nil {
		return 0, &apiError{status: 400, code: "bad_request", message: `the body must be a JSON query with a "from_block"`}
	}
	next := min(*in.FromBlock+1000, chainHeight)
	return 200, map[string]any{"archive_height": chainHeight, "next_block": next, "data": []any{}}
}

// uploads is the web3.storage-style upload list, as a fixture.
var uploads = []map[string]any{
	{"cid": "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", "name": "hello.txt", "dagSize": 46},
}

func listUploads(_ *Server, _ *http.Request, _ *keyState, _ []byte) (int, any) {
	return 200, uploads
}

func uploadStatus(_ *Server, r *http.Request, _ *keyState, _ []byte) (int, any) {
	cid := r.PathValue("cid")
	for _, u := range uploads {
		if u["cid"] == cid {
			return 200, map[string]any{"cid": cid, "dagSize": u["dagSize"], "pins": []any{}, "deals": []any{}}
		}
	}
	return 0, &apiError{status: 404, code: "not_found", message: "No upload with CID " + cid}
}

// isTest reports whether the key is a test key (synthetic data, never
// billed).
func isTest(ks *keyState) bool { return ks != nil && ks.env == keys.EnvTest }
