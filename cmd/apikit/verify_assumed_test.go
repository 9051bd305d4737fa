package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestVerifyAssumedWhoamiMissing: Hypedata documents no key test, and the
// SDK's GET /v1/whoami is an assumption. Against a Hypedata that has no such
// endpoint (404), status --verify says the key could not be checked rather
// than reporting a problem, and login --verify stores nothing and says to
// leave --verify out, each without printing the key.
func TestVerifyAssumedWhoamiMissing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"code":"not_found","message":"no route"}}`))
	}))
	t.Cleanup(srv.Close)
	key := "hd_test_Vq3ZpL8mR2xN7cT4wB9kY6fH1jD5sG0a"
	u := newUser(t)
	u.env["HYPEDATA_BASE_URL"] = srv.URL
	u.env["HYPEDATA_API_KEY"] = key

	r := u.must(0, "", "status", "hypedata", "--verify")
	if !strings.Contains(r.stdout, "not asked") || !strings.Contains(r.stdout, "this SDK's assumption") {
		t.Errorf("status --verify against a Hypedata without /v1/whoami:\n%s", r)
	}
	var rep struct {
		Services []struct {
			Verify struct {
				Accepted     bool `json:"accepted"`
				Unverifiable bool `json:"unverifiable"`
			} `json:"verify"`
		} `json:"services"`
	}
	decode(t, u.must(0, "", "status", "hypedata", "--verify", "--json"), &rep)
	if len(rep.Services) != 1 || !rep.Services[0].Verify.Unverifiable {
		t.Errorf("status --verify --json: %+v", rep)
	}

	r = u.must(2, key+"\n", "login", "hypedata", "--insecure-storage", "--verify")
	if !strings.Contains(r.stderr, "leave --verify out") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("login --verify against a Hypedata without /v1/whoami:\n%s", r)
	}
	u.noLeak(key)
}
