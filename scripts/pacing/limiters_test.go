package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apikit/apikit-go/internal/ratelimit"
)

func TestLoadLimitersKeepsTheProjectsConfig(t *testing.T) {
	ls, err := loadLimiters("")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	short := map[string]bool{}
	for _, l := range ls {
		kinds[l.Kind] = true
		if l.Short {
			short[l.Kind] = true
		}
	}
	for _, k := range []string{"httprate", "throttled", "ulule", "haproxy", "ietf"} {
		if !kinds[k] {
			t.Errorf("limiters.json has no %s limiter", k)
		}
	}
	// CI's short run: one GCRA, one sliding window, one blind.
	for _, k := range []string{"throttled", "httprate", "haproxy"} {
		if !short[k] {
			t.Errorf("no %s limiter is marked short", k)
		}
	}
}

func TestLoadLimitersRefusesBadConfigs(t *testing.T) {
	for _, bad := range []string{
		`{"limiters":[{"name":"a","kind":"nope","limit":5,"window":"1s"}]}`,
		`{"limiters":[{"name":"a","kind":"ulule","limit":0,"window":"1s"}]}`,
		`{"limiters":[{"name":"a","kind":"ulule","limit":5,"window":"-1s"}]}`,
		`{"limiters":[{"name":"a b","kind":"ulule","limit":5,"window":"1s"}]}`,
		`{"limiters":[{"name":"nginx","kind":"ulule","limit":5,"window":"1s"}]}`,
		`{"limiters":[{"name":"a","kind":"ulule","limit":5,"window":"1s"},{"name":"a","kind":"ietf","limit":5,"window":"1s"}]}`,
		`{"limiters":[{"name":"a","kind":"throttled","limit":5,"window":"1s","burst":-1}]}`,
		`not json`,
	} {
		p := filepath.Join(t.TempDir(), "l.json")
		if err := os.WriteFile(p, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := loadLimiters(p); err == nil {
			t.Errorf("loadLimiters(%s) = nil error", bad)
		}
	}
}

func TestLimiterMatrix(t *testing.T) {
	ls := []limiterConfig{
		{Name: "g", Kind: "throttled", Limit: 5, Window: duration(time.Second), Burst: 4, Short: true},
		{Name: "q", Kind: "ulule", Limit: 30, Window: duration(15 * time.Second)},
		{Name: "h", Kind: "haproxy", Limit: 10, Window: duration(time.Second)},
	}
	full := limiterMatrix(ls, false)
	if len(full) != 3*4*4 {
		t.Fatalf("full matrix: %d cells, want 48", len(full))
	}
	for _, c := range full {
		switch c.Lim.Name {
		case "q":
			if c.W == 64 && (c.Calls != 100 || c.limitTime() != 45*time.Second) {
				t.Errorf("quota W=64: %d calls, ideal %s; want 100, 45s", c.Calls, c.limitTime())
			}
			if c.Kind == clientAPIKit && c.Mode != modeKnown && c.Mode != modeHeaders {
				t.Errorf("quota mode %s", c.Mode)
			}
		case "h":
			if c.Kind == clientAPIKit && c.Mode != modeKnown && c.Mode != modeBlind {
				t.Errorf("haproxy sends no headers: mode %s", c.Mode)
			}
			if c.W == 16 && c.Calls != 160 {
				t.Errorf("10/s W=16: %d calls, want 160", c.Calls)
			}
		case "g":
			if r, b := c.rate(); r != 5 || b != 5 {
				t.Errorf("throttled burst 4: known %v, %d; want 5, 5", r, b)
			}
		}
	}
	short := limiterMatrix(ls, true)
	if len(short) != 2 || short[0].Lim.Name != "g" || short[0].Kind != clientAPIKit {
		t.Fatalf("short matrix: %+v", short)
	}
}

func TestParseHAProxyLog(t *testing.T) {
	out := "[NOTICE]   (1) : haproxy version is 2.6.12\n" +
		"1795794185.016 3 429 51234 /v1/pacing/haproxy-p1-w4-n40-apikit-blind\n" +
		"1795794185.216 0 200 51234 /v1/pacing/haproxy-p1-w4-n40-apikit-blind\n"
	es, err := parseHAProxyLog(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Status != 429 || es[0].Conn != 51234 || es[0].Took != 3*time.Millisecond ||
		!es[0].Arrived.Equal(time.UnixMilli(1795794185016)) || !es[0].Done.Equal(time.UnixMilli(1795794185019)) {
		t.Fatalf("parsed %+v", es)
	}
	if _, err := parseHAProxyLog("179579418x.016 3 429 51234 /v1/x\n"); err == nil {
		t.Error("a broken access line parsed")
	}
}

// The IETF gateway speaks what the client reads: a policy of 5 per second,
// then a spent window.
func TestIETFLimiterSpeaksTheDraft(t *testing.T) {
	l := newIETFLimiter(limiterConfig{Name: "ietf", Kind: "ietf", Limit: 2, Window: duration(10 * time.Second)})
	var last *httptest.ResponseRecorder
	for i := 0; i < 3; i++ {
		last = httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/v1/x", nil)
		req.Header.Set("Authorization", "Bearer k")
		l.ServeHTTP(last, req)
	}
	if last.Code != http.StatusTooManyRequests {
		t.Fatalf("third request in a window of 2: %d", last.Code)
	}
	q, ok := ratelimit.Parse(last.Header(), time.Now(), ratelimit.Names{})
	if !ok || q.Limit != 2 || q.Window != 10*time.Second || q.Remaining != 0 || q.Reset <= 0 || q.Reset > 10*time.Second {
		t.Fatalf("the client reads %+v, %v", q, ok)
	}
}
