package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The test binary stands in for the program when a test starts worker
	// processes (runCellProcs runs os.Executable()).
	if len(os.Args) > 1 && os.Args[1] == "worker" {
		os.Exit(runWorker(os.Args[2:]))
	}
	goleak.VerifyTestMain(m)
}

// needNginx skips when nginx is absent on a developer's machine; in CI
// (CI set) its absence is a failure, since .ci/run installs it.
func needNginx(t *testing.T) {
	t.Helper()
	if _, err := findNginx(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

func TestRenderConfig(t *testing.T) {
	conf, err := renderConfig("/tmp/x", 1234, 5678)
	if err != nil {
		t.Fatal(err)
	}
	s := string(conf)
	for _, want := range []string{"listen 127.0.0.1:1234;", "listen 127.0.0.1:5678;", "/tmp/x/access.log", "rate=5r/s"} {
		if !strings.Contains(s, want) {
			t.Errorf("config lacks %q", want)
		}
	}
	if strings.Contains(s, "{{") {
		t.Error("config still holds a template action")
	}
}

// TestGateway checks the gateway the figures depend on: a second request
// on a key within 200 ms is refused with 429 and Retry-After: 1, another key
// is not, the headers server says the limit, and the access log counts it
// all without the key.
func TestGateway(t *testing.T) {
	needNginx(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g, err := startGateway(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer g.stop()
	hc := &http.Client{Timeout: 5 * time.Second}
	defer hc.CloseIdleConnections()
	get := func(base, key string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/pacing/test", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	const keyA, keyB = "hd_test_gatewaytestkeyAAAAAAAAAAAAAAAAAAA", "hd_test_gatewaytestkeyBBBBBBBBBBBBBBBBBBB"
	if r := get(g.blindURL, keyA); r.StatusCode != 200 || r.Header.Get("X-RateLimit-Limit") != "" {
		t.Fatalf("blind, first request: %s, X-RateLimit-Limit %q", r.Status, r.Header.Get("X-RateLimit-Limit"))
	}
	r := get(g.blindURL, keyA)
	if r.StatusCode != 429 || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("blind, second request at once: %s, Retry-After %q; want 429 and 1", r.Status, r.Header.Get("Retry-After"))
	}
	if r := get(g.headersURL, keyB); r.StatusCode != 200 || r.Header.Get("X-RateLimit-Limit") != "5" || r.Header.Get("X-RateLimit-Reset") != "1" {
		t.Fatalf("headers, another key: %s, headers %v", r.Status, r.Header)
	}
	r = get(g.headersURL, keyB)
	if r.StatusCode != 429 || r.Header.Get("X-RateLimit-Remaining") != "0" || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("headers, second request at once: %s, headers %v", r.Status, r.Header)
	}

	hc.CloseIdleConnections()
	g.stopProcess()
	access, errorLog, err := g.logs()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := parseAccessLog(strings.NewReader(string(access)))
	if err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for _, e := range entries["/v1/pacing/test"] {
		statuses = append(statuses, e.Status)
	}
	if len(statuses) != 4 || statuses[0] != 200 || statuses[1] != 429 || statuses[2] != 200 || statuses[3] != 429 {
		t.Errorf("access log statuses %v, want [200 429 200 429]", statuses)
	}
	for _, text := range [][]byte{access, errorLog} {
		if strings.Contains(string(text), "gatewaytestkey") {
			t.Errorf("nginx logged a key:\n%s", text)
		}
	}
}

// TestProcs runs a cell as two worker processes on one key through nginx:
// the plumbing issue 13's fleet figures rest on (start time, the key in the
// environment, the calls split, the results merged, nginx counting the cell
// as one).
func TestProcs(t *testing.T) {
	needNginx(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	g, err := startGateway(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer g.stop()
	key, err := newTestKey()
	if err != nil {
		t.Fatal(err)
	}
	c := cell{W: 2, Calls: 5, Procs: 2, Kind: clientXRate, Mode: modeBlind}
	startAt := time.Now().Add(workerLead)
	r := runCellProcs(ctx, c, g.blindURL, key, startAt, false)
	if r.leaked {
		t.Fatal("a worker printed the key")
	}
	if r.Start.Before(startAt.Add(-5*time.Millisecond)) || !r.End.After(r.Start) {
		t.Errorf("start %v, end %v; want both after the start time %v", r.Start, r.End, startAt)
	}
	if r.Pacer != "x/time/rate 4.50/s" {
		t.Errorf("pacer %q, want both workers' x/time/rate 4.50/s, merged", r.Pacer)
	}
	g.stopProcess()
	access, _, err := g.logs()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := parseAccessLog(strings.NewReader(string(access)))
	if err != nil {
		t.Fatal(err)
	}
	countServer(&r, entries[c.path()])
	// x/time/rate does not retry: one request per call, failed or not.
	if r.Served != 5 || r.Server429 != r.Client429 || r.Failed != r.Server429 {
		t.Errorf("served %d (want 5), 429s at nginx %d, at the clients %d, failed %d (want all equal)",
			r.Served, r.Server429, r.Client429, r.Failed)
	}
}
