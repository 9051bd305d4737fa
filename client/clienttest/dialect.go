package clienttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apikit/apikit-go/client"
)

// writeError answers e in the service's dialect (see docs/PROTOCOL.md).
func (s *Server) writeError(w http.ResponseWriter, e *apiError, requestID string) int {
	h := w.Header()
	status := e.status
	if e.retryAfter > 0 || e.status == http.StatusTooManyRequests {
		h.Set("Retry-After", strconv.Itoa(ceilSeconds(e.retryAfter)))
	}
	hint := ceilSeconds(e.retryAfter)
	var body any
	switch s.svc.Dialect {
	case client.DialectHypersave:
		word := strings.ToUpper(e.code)
		switch status {
		case 401:
			word = "UNAUTHORIZED"
		case 403:
			word = "FORBIDDEN"
		case 402:
			word = "PAYMENT_REQUIRED"
		case 429:
			word = "RATE_LIMITED"
		}
		msg := e.message
		switch e.code {
		case "missing_credentials":
			msg = "No API key provided. Include your API key in the Authorization header."
		case "malformed_token":
			msg = "Invalid API key provided"
		}
		b := map[string]any{"success": false, "error": word, "message": msg}
		if status == 429 {
			b["retryAfter"] = hint
		}
		body = b
	case client.DialectHopX:
		details := map[string]any{}
		if status == 429 {
			details["retry_after_seconds"] = hint
		}
		if e.requiredScope != "" {
			details["required_scope"] = e.requiredScope
		}
		inner := map[string]any{"code": e.code, "message": e.message, "request_id": requestID}
		if len(details) > 0 {
			inner["details"] = details
		}
		body = map[string]any{"error": inner}
	case client.DialectWeb3:
		code := "ERROR_" + strings.ToUpper(e.code)
		switch e.code {
		case "missing_credentials":
			code = "ERROR_NO_TOKEN"
		case "unknown_key":
			code = "ERROR_TOKEN_NOT_FOUND"
		case "revoked", "expired":
			code, status = "ERROR_TOKEN_BLOCKED", http.StatusForbidden
		}
		body = map[string]any{"code": code, "message": e.message}
	case client.DialectHyperSync:
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "%s: %s\n", e.code, e.message)
		return status
	default: // Hypedata
		inner := map[string]any{"code": e.code, "message": e.message}
		if e.revokedAt != nil {
			inner["revoked_at"] = e.revokedAt.UTC().Format(time.RFC3339)
			inner["reason"] = e.reason
		}
		if e.requiredScope != "" {
			inner["required_scope"] = e.requiredScope
		}
		if status == 429 {
			inner["retry_after"] = hint
		}
		body = map[string]any{"error": inner, "request_id": requestID}
		if (status == 401 || status == 402 || status == 403) && e.code != "target_forbidden" {
			c := fmt.Sprintf(`Bearer realm=%q, error=%q, error_description=%q`, s.svc.Name, e.code, e.message)
			if e.requiredScope != "" {
				c += fmt.Sprintf(`, scope=%q`, e.requiredScope)
			}
			h.Set("WWW-Authenticate", c)
		}
	}
	writeJSON(w, status, body)
	return status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"server_error","message":"encoding failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
