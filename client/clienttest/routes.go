package clienttest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/keys"
)

// route is one endpoint: the checks it needs (its scope and its cost in
// credits) and what answers once they pass. Exactly one of json, raw and
// user is set.
type route struct {
	s     *Server
	scope string
	cost  int64
	// keyless: a request without a key passes, when the server allows
	// keyless callers (AllowKeyless), instead of answering
	// missing_credentials.
	keyless bool
	// json answers under s.mu with a status and a value to encode (or an
	// *apiError).
	json func(s *Server, r *http.Request, ks *keyState, body []byte) (int, any)
	// raw writes the answer itself, outside s.mu (a stream).
	raw func(s *Server, w http.ResponseWriter, r *http.Request, ks *keyState)
	// user is an endpoint added with Handle, run outside s.mu.
	user http.Handler
}

// call is what serve learned about a request before routing it, for the
// route that answers it.
type call struct {
	rec       *RequestRecord
	logRec    func()
	body      []byte
	requestID string
}

type callKey struct{}

// Endpoint is an http.Handler that tells Handle which scope the endpoint
// needs and what a call costs. Pass one to Handle to put your endpoint
// behind the scope and credit checks too; a plain http.Handler needs no
// scope and costs nothing.
type Endpoint struct {
	// Scope is the scope a key needs to call the endpoint ("" for none).
	// A scope that is not one of AllScopes becomes known to the server, so
	// IssueKey accepts it.
	Scope string
	// Cost is what one call charges a live key, in credits; it counts
	// against the key's CreditCeiling and the workspace balance.
	Cost int64
	// Handler answers once every check has passed.
	Handler http.Handler
}

// ServeHTTP runs the Handler.
func (e Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.Handler.ServeHTTP(w, r) }

// Handle adds an endpoint of your own to the server, behind the same key
// checks as the service's endpoints, in the same order and with the same
// error bodies: missing, malformed, unknown, revoked and expired keys, the
// IP allow-list, the scope (when h is an Endpoint with a Scope), the credit
// ceiling and workspace balance (when it has a Cost), and the rate limits.
// Your handler runs only for a request that passed them all; CallerKey
// tells it which key called. Fault knobs (FailNext, DropNext, DelayNext)
// and the request log apply as to every endpoint.
//
// pattern is an http.ServeMux pattern ("GET /v1/things/{id}"; use
// r.PathValue in h). Your endpoints are matched before the service's, so a
// pattern can also replace one of them. As with http.ServeMux, an invalid
// pattern, one that conflicts with an earlier Handle, or a nil handler
// panics: that is a mistake in the test, not a condition to handle.
func (s *Server) Handle(pattern string, h http.Handler) {
	if h == nil {
		panic(fmt.Sprintf("clienttest: Handle(%q): nil handler", pattern))
	}
	rt := &route{s: s, user: h, keyless: true}
	if p, ok := h.(*Endpoint); ok && p != nil {
		h = *p
	}
	if e, ok := h.(Endpoint); ok {
		if e.Handler == nil {
			panic(fmt.Sprintf("clienttest: Handle(%q): Endpoint with a nil Handler", pattern))
		}
		if e.Cost < 0 {
			panic(fmt.Sprintf("clienttest: Handle(%q): Endpoint.Cost is negative (%d)", pattern, e.Cost))
		}
		rt.scope, rt.cost, rt.keyless = e.Scope, e.Cost, e.Scope == "" && e.Cost == 0
		if e.Scope != "" {
			s.mu.Lock()
			s.extraScopes[e.Scope] = true
			s.mu.Unlock()
		}
	}
	defer func() {
		if r := recover(); r != nil { // http.ServeMux's words, without the "registered at" lines inside Handle
			msg := registeredAt.ReplaceAllString(fmt.Sprint(r), "")
			panic(fmt.Sprintf("clienttest: Handle(%q): %s", pattern, strings.Join(strings.Fields(msg), " ")))
		}
	}()
	s.user.Handle(pattern, rt)
	s.handled.Store(true)
}

// registeredAt is the file and line http.ServeMux names in a conflict: for a
// pattern added with Handle always Handle's own, which helps nobody.
var registeredAt = regexp.MustCompile(` \(registered at [^)]*\)`)

// callerKey is the context key of the calling key's description.
type callerKey struct{}

// CallerKey returns the key that made r, as the server knows it (never the
// secret), in a handler added with Handle. ok is false for a keyless call
// (AllowKeyless).
func CallerKey(r *http.Request) (info client.KeyInfo, ok bool) {
	info, ok = r.Context().Value(callerKey{}).(client.KeyInfo)
	return info, ok
}

// ServeHTTP authenticates the request for this route and answers it.
func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := rt.s
	c, _ := r.Context().Value(callKey{}).(*call)
	if c == nil { // not reached through serve; never happens
		http.Error(w, "clienttest: request not routed by the server", http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	ks, apiErr := s.authenticate(r, rt, w.Header())
	if ks != nil {
		c.rec.KeyID = ks.info.ID
		c.rec.Key = ks.info.Redacted
		if ks.env == keys.EnvTest && s.svc.Dialect == client.DialectHypedata {
			w.Header().Set("X-Hd-Mode", "test")
		}
	}
	if apiErr != nil {
		s.mu.Unlock()
		c.rec.Code = apiErr.code
		c.rec.Status = s.writeError(w, apiErr, c.requestID)
		return
	}
	switch {
	case rt.json != nil:
		status, out := rt.json(s, r, ks, c.body)
		s.mu.Unlock()
		if e, ok := out.(*apiError); ok {
			c.rec.Code = e.code
			c.rec.Status = s.writeError(w, e, c.requestID)
			return
		}
		c.rec.Status = status
		if s.svc.Dialect == client.DialectHypersave {
			writeJSONSuccess(w, status, out)
			return
		}
		writeJSON(w, status, out)
	case rt.raw != nil:
		s.mu.Unlock()
		c.rec.Status = http.StatusOK
		c.logRec()
		rt.raw(s, w, r, ks)
	default:
		ctx := r.Context()
		if ks != nil {
			ctx = context.WithValue(ctx, callerKey{}, s.infoLocked(ks))
		}
		s.mu.Unlock()
		sw := &statusWriter{ResponseWriter: w}
		rt.user.ServeHTTP(sw, r.WithContext(ctx))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		c.rec.Status = sw.status
	}
}

// statusWriter remembers the status a handler wrote, for the request log.
// It passes Flush and Hijack through, so a handler can stream.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush sends what the handler wrote so far.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection to the handler.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, fmt.Errorf("clienttest: the response writer cannot hijack")
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// routes builds the service's endpoints: key management, whoami and usage
// where the profile declares their paths, and the endpoints of its dialect
// (profiles.go). Every path that matches none of them answers 404 — after
// the key checks, as a real API does.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	add := func(pattern string, rt *route) {
		rt.s = s
		mux.Handle(pattern, rt)
	}
	if kp := strings.TrimRight(s.svc.KeysPath, "/"); kp != "" {
		admin := func(h func(*Server, *http.Request, *keyState, []byte, string) (int, any)) *route {
			return &route{scope: "admin", json: func(s *Server, r *http.Request, ks *keyState, b []byte) (int, any) {
				return h(s, r, ks, b, r.PathValue("id"))
			}}
		}
		add("GET "+kp, admin(listKeys))
		add("POST "+kp, admin(createKey))
		add("GET "+kp+"/{id}", admin(getKey))
		add("DELETE "+kp+"/{id}", admin(deleteKey))
		add("POST "+kp+"/{id}/regenerate", admin(regenerateKey))
		add("GET "+kp+"/{id}/usage", admin(keyUsage))
	}
	if p := s.svc.WhoamiPath; p != "" {
		add("GET "+p, &route{json: whoami})
	}
	if p := s.svc.UsagePath; p != "" {
		add("GET "+p, &route{scope: "billing", json: func(_ *Server, _ *http.Request, ks *keyState, _ []byte) (int, any) { return 200, usageOf(ks) }})
	}
	for _, e := range dialectRoutes(s.svc.Dialect) {
		rt := e.route
		add(e.pattern, &rt)
	}
	add("/", &route{json: func(_ *Server, r *http.Request, _ *keyState, _ []byte) (int, any) {
		return 0, &apiError{status: 404, code: "not_found", message: "No such endpoint: " + r.Method + " " + r.URL.Path}
	}})
	return mux
}

// dispatch hands r to the caller's endpoint that matches it, else to the
// service's.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if s.handled.Load() {
		if _, pattern := s.user.Handler(r); pattern != "" {
			s.user.ServeHTTP(w, r)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}
