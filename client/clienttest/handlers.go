package clienttest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/keys"
)

// jobCost is what POST /v1/jobs costs in credits.
const jobCost = 1

// maxRequestBody bounds what the server reads of a request body.
const maxRequestBody = 1 << 20

// idemAnswer is a stored answer to a POST with an Idempotency-Key.
type idemAnswer struct {
	status int
	body   any
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	requestID := newID("req_")
	w.Header().Set("X-Request-ID", requestID)
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	_, via := s.presentedKey(r)
	rec := RequestRecord{Time: s.clock.Now(), Method: r.Method, Path: r.URL.Path, RemoteIP: host, IdempotencyKey: r.Header.Get("Idempotency-Key"), AuthVia: via}
	logged := false
	logRec := func() {
		if !logged {
			logged = true
			s.mu.Lock()
			s.requests = append(s.requests, rec)
			s.mu.Unlock()
		}
	}
	defer logRec()

	if f, ok := s.takeFault(); ok {
		rec.Fault = f.kind
		switch f.kind {
		case "fail":
			rec.Code = faultCode(f.status)
			rec.Status = s.writeError(w, &apiError{status: f.status, code: rec.Code, message: "injected fault", retryAfter: f.retryAfter}, requestID)
			return
		case "drop":
			logRec() // before the hang-up, so a client that sees it finds the record
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case "delay":
			t := time.NewTimer(f.delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		rec.Status = s.writeError(w, &apiError{status: 400, code: "bad_request", message: "could not read the request body"}, requestID)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	c := &call{rec: &rec, logRec: logRec, body: body, requestID: requestID}
	s.dispatch(w, r.WithContext(context.WithValue(r.Context(), callKey{}, c)))
}

// writeJSONSuccess writes a Hypersave success body: the object with
// "success": true at its top level.
func writeJSONSuccess(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil || len(b) < 2 || b[0] != '{' {
		writeJSON(w, status, v)
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		writeJSON(w, status, v)
		return
	}
	m["success"] = json.RawMessage("true")
	writeJSON(w, status, m)
}

// faultCode is the canonical code of an injected failure's status.
func faultCode(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status == http.StatusInternalServerError:
		return "server_error"
	case status >= 500:
		return "unavailable"
	}
	return "bad_request"
}

func whoami(_ *Server, _ *http.Request, ks *keyState, _ []byte) (int, any) {
	return 200, client.Identity{KeyID: ks.info.ID, Name: ks.info.Name, Environment: ks.info.Environment, Scopes: ks.info.Scopes}
}

func scrape(s *Server, r *http.Request, ks *keyState, _ []byte) (int, any) {
	return scrapeURL(s, r, ks, r.URL.Query().Get("url"))
}

func scrapePost(s *Server, r *http.Request, ks *keyState, body []byte) (int, any) {
	var in struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return 0, &apiError{status: 400, code: "bad_request", message: `the body must be a JSON object with a "url"`}
	}
	return scrapeURL(s, r, ks, in.URL)
}

// scrapeURL answers a scrape of u: a fixture page, or for the test
// environment's fixtures.hypedata.io/403 the 403 its page promises.
func scrapeURL(_ *Server, _ *http.Request, ks *keyState, u string) (int, any) {
	if u == "" {
		return 0, &apiError{status: 400, code: "bad_request", message: "the url parameter is required"}
	}
	if u == fixture403 {
		return 0, &apiError{status: 403, code: "target_forbidden", message: "The target answered 403 Forbidden (test fixture " + fixture403 + ")"}
	}
	out := map[string]any{"url": u, "status": 200, "content": "<html><title>" + u + "</title></html>"}
	if isTest(ks) {
		out["fixture"] = true
	}
	return 200, out
}

func serp(_ *Server, r *http.Request, _ *keyState, _ []byte) (int, any) {
	q := r.URL.Query().Get("q")
	return 200, map[string]any{"query": q, "results": []map[string]string{
		{"title": "Result 1 for " + q, "url": "https://example.com/1"},
		{"title": "Result 2 for " + q, "url": "https://example.com/2"},
	}}
}

func parse(_ *Server, _ *http.Request, _ *keyState, body []byte) (int, any) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return 0, &apiError{status: 400, code: "bad_request", message: "the body is not a JSON object"}
	}
	fields := make([]string, 0, len(m))
	for k := range m {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	return 200, map[string]any{"bytes": len(body), "fields": fields}
}

func createJob(s *Server, r *http.Request, ks *keyState, _ []byte) (int, any) {
	idem := r.Header.Get("Idempotency-Key")
	if idem != "" {
		if a, ok := s.idem[ks.info.ID+"\x00"+idem]; ok {
			// A replay does no work and costs nothing: give back the
			// credit authenticate charged for it.
			if ks.env != keys.EnvTest {
				ks.credits -= jobCost
				if s.balance != Unlimited {
					s.balance += jobCost
				}
			}
			return a.status, a.body
		}
	}
	s.jobs++
	out := map[string]any{"id": newID("job_"), "status": "queued"}
	s.jobList[out["id"].(string)] = out
	if idem != "" {
		s.idem[ks.info.ID+"\x00"+idem] = idemAnswer{201, out}
	}
	return 201, out
}

func getJob(s *Server, r *http.Request, _ *keyState, _ []byte) (int, any) {
	j, ok := s.jobList[r.PathValue("id")]
	if !ok {
		return 0, &apiError{status: 404, code: "not_found", message: "No job " + r.PathValue("id")}
	}
	return 200, j
}

func billing(s *Server, _ *http.Request, _ *keyState, _ []byte) (int, any) {
	return 200, map[string]any{"balance": s.balance, "credits_used": s.spentLocked()}
}

func (s *Server) spentLocked() int64 {
	var n int64
	for _, ks := range s.keys {
		n += ks.credits
	}
	return n
}

func listKeys(s *Server, _ *http.Request, _ *keyState, _ []byte, _ string) (int, any) {
	out := make([]client.KeyInfo, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.infoLocked(s.keys[id]))
	}
	return 200, map[string]any{"data": out}
}

func (s *Server) keyArg(id string) (*keyState, *apiError) {
	ks, ok := s.keys[id]
	if !ok {
		return nil, &apiError{status: 404, code: "not_found", message: "No key with id " + id}
	}
	return ks, nil
}

func getKey(s *Server, _ *http.Request, _ *keyState, _ []byte, id string) (int, any) {
	ks, e := s.keyArg(id)
	if e != nil {
		return 0, e
	}
	return 200, s.infoLocked(ks)
}

// newKeyAnswer is a key description plus its secret, shown once.
type newKeyAnswer struct {
	client.KeyInfo
	Secret string `json:"secret"`
}

func createKey(s *Server, _ *http.Request, _ *keyState, body []byte, _ string) (int, any) {
	var p client.CreateKeyParams
	if err := json.Unmarshal(body, &p); err != nil || strings.TrimSpace(p.Name) == "" {
		return 0, &apiError{status: 400, code: "bad_request", message: "the body must be a JSON object with a name"}
	}
	env := keys.EnvLive
	switch p.Environment {
	case "", "live":
	case "test":
		env = keys.EnvTest
	default:
		return 0, &apiError{status: 400, code: "bad_request", message: `environment must be "live" or "test"`}
	}
	kp := KeyParams{Name: p.Name, Env: env, Scopes: p.Scopes, AllowedIPs: p.AllowedIPs, CreditCeiling: p.CreditCeiling,
		RateLimitPerSecond: p.RateLimitPerSecond, RateLimitPerHour: p.RateLimitPerHour, MonthlyRequestLimit: p.MonthlyRequestLimit}
	if p.ExpiresAt != nil {
		if !p.ExpiresAt.After(s.clock.Now()) {
			return 0, &apiError{status: 400, code: "bad_request", message: "expires_at is not in the future"}
		}
		kp.ExpiresAt = *p.ExpiresAt
	}
	k, info, err := s.issueLocked(kp)
	if err != nil {
		return 0, &apiError{status: 400, code: "bad_request", message: strings.TrimPrefix(err.Error(), "clienttest: ")}
	}
	return 201, newKeyAnswer{KeyInfo: info, Secret: k.Reveal()}
}

func regenerateKey(s *Server, _ *http.Request, _ *keyState, _ []byte, id string) (int, any) {
	ks, e := s.keyArg(id)
	if e != nil {
		return 0, e
	}
	if ks.info.RevokedAt != nil {
		return 0, &apiError{status: 409, code: "conflict", message: "the key is revoked"}
	}
	k, err := s.generate(ks.env)
	if err != nil {
		return 0, &apiError{status: 500, code: "server_error", message: "could not generate a key"}
	}
	delete(s.byHash, ks.hash)
	ks.hash = sha256Sum(k.Reveal())
	s.byHash[ks.hash] = ks
	ks.info.Redacted = k.String()
	return 200, newKeyAnswer{KeyInfo: s.infoLocked(ks), Secret: k.Reveal()}
}

// deleteKey is DELETE {KeysPath}/{id}. Hypedata revokes the key (its
// secret answers 401 revoked from then on); Hypersave's page says the same
// call "permanently deletes" the key, and web3.storage's tokens are deleted,
// so there the old secret reads as unknown, as a key that never existed.
func deleteKey(s *Server, r *http.Request, caller *keyState, body []byte, id string) (int, any) {
	status, out := revokeKey(s, r, caller, body, id)
	if d := s.svc.Dialect; status == 200 && (d == client.DialectHypersave || d == client.DialectWeb3) {
		s.deleteLocked(s.keys[id])
	}
	return status, out
}

func revokeKey(s *Server, _ *http.Request, _ *keyState, body []byte, id string) (int, any) {
	ks, e := s.keyArg(id)
	if e != nil {
		return 0, e
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if len(body) > 0 {
		_ = json.Unmarshal(body, &in)
	}
	s.revokeLocked(ks, in.Reason)
	return 200, s.infoLocked(ks)
}

func keyUsage(s *Server, _ *http.Request, _ *keyState, _ []byte, id string) (int, any) {
	ks, e := s.keyArg(id)
	if e != nil {
		return 0, e
	}
	return 200, usageOf(ks)
}
