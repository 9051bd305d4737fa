package main

import (
	"strings"
	"testing"
	"time"

	"github.com/apikit/apikit-go/keys"
)

func TestParseLogLine(t *testing.T) {
	e, err := parseLogLine("1795794185.516 0.004 429 17 /v1/pacing/p1-w4-n40-apikit-blind")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.Done, time.UnixMilli(1795794185516); !got.Equal(want) {
		t.Errorf("Done = %v, want %v", got, want)
	}
	if e.Took != 4*time.Millisecond || e.Status != 429 || e.Conn != 17 || e.Path != "/v1/pacing/p1-w4-n40-apikit-blind" {
		t.Errorf("got %+v", e)
	}
	if got, want := e.Arrived, time.UnixMilli(1795794185512); !got.Equal(want) {
		t.Errorf("Arrived = %v, want %v", got, want)
	}

	for _, bad := range []string{
		"",
		"1795794185.516 0.004 429 17",
		"1795794185.516 0.004 429 17 /a extra",
		"1795794185 0.004 429 17 /a",
		"1795794185.5160 0.004 429 17 /a",
		"1795794185.516 0.004 42 17 /a",
		"1795794185.516 0.004 429 -1 /a",
		"1795794185.516 -0.004 429 1 /a",
		"1795794185.-16 0.004 429 1 /a",
		"1795794185.516 0.004 abc 1 /a",
	} {
		if _, err := parseLogLine(bad); err == nil {
			t.Errorf("parseLogLine(%q): no error", bad)
		}
	}
}

func FuzzParseLogLine(f *testing.F) {
	f.Add("1795794185.516 0.004 429 17 /v1/pacing/x")
	f.Add("0.000 0.000 200 1 /")
	f.Add("1.5 2 3 4 5")
	f.Fuzz(func(t *testing.T, line string) {
		e, err := parseLogLine(line)
		if err != nil {
			return
		}
		if e.Status < 100 || e.Status > 599 || e.Took < 0 || e.Path == "" {
			t.Fatalf("parseLogLine(%q) accepted %+v", line, e)
		}
	})
}

func TestParseAccessLog(t *testing.T) {
	log := "1.000 0.000 200 1 /a\n1.200 0.001 429 1 /a\n\n2.000 0.000 200 2 /b\n"
	got, err := parseAccessLog(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	if len(got["/a"]) != 2 || len(got["/b"]) != 1 {
		t.Errorf("got %v", got)
	}
	if _, err := parseAccessLog(strings.NewReader("1.000 0.000 200 1 /a\ngarbage\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a bad line: err = %v, want one naming line 2", err)
	}
}

func TestCountServerFirstWave(t *testing.T) {
	t0 := time.UnixMilli(1_000_000)
	at := func(ms int64, status int, conn uint64) logEntry {
		return logEntry{Done: t0.Add(time.Duration(ms) * time.Millisecond), Arrived: t0.Add(time.Duration(ms) * time.Millisecond), Status: status, Conn: conn}
	}
	// In log (completion) order, not arrival order.
	entries := []logEntry{
		at(1, 429, 2), at(0, 200, 1), at(2, 429, 4), at(1, 429, 3), // the cold first wave
		at(3, 429, 4), // sent after the client saw the first 429
		at(500, 200, 4), at(700, 503, 4),
	}
	r := result{Cell: cell{W: 4, Calls: 3, Procs: 1}, SentEarly: 4}
	countServer(&r, entries)
	if r.Served != 7 || r.Server429 != 4 || r.FirstWave != 3 || r.later429() != 1 || r.OtherStatus != 1 || r.Conns != 4 {
		t.Errorf("got %+v", r)
	}

	// The first wave is at most callers - 1: with W = 2 only one of the
	// three early 429s is excused.
	r = result{Cell: cell{W: 2, Calls: 3, Procs: 1}, SentEarly: 4}
	countServer(&r, entries)
	if r.FirstWave != 1 || r.later429() != 3 {
		t.Errorf("W=2: first wave %d, later %d; want 1 and 3", r.FirstWave, r.later429())
	}

	// A client that never saw a 429 sent nothing early.
	r = result{Cell: cell{W: 4, Calls: 3, Procs: 1}}
	countServer(&r, entries)
	if r.FirstWave != 0 {
		t.Errorf("nothing sent early: first wave %d, want 0", r.FirstWave)
	}
}

func TestObserverSentBefore(t *testing.T) {
	o := &observer{}
	t0 := time.Unix(1000, 0)
	o.sent = []time.Time{t0, t0.Add(time.Millisecond), t0.Add(time.Second)}
	if got := o.sentBefore(t0.Add(2 * time.Millisecond)); got != 2 {
		t.Errorf("sentBefore = %d, want 2", got)
	}
}

func TestVerdict(t *testing.T) {
	t0 := time.Unix(1000, 0)
	mk := func(mode string, w, calls, failed, n429, wave int, wall time.Duration) result {
		return result{
			Cell:   cell{W: w, Calls: calls, Procs: 1, Kind: clientAPIKit, Mode: mode},
			Start:  t0,
			End:    t0.Add(wall),
			Failed: failed, Server429: n429, FirstWave: wave,
		}
	}
	for _, tc := range []struct {
		name string
		r    result
		want string
	}{
		{"known at the limit", mk(modeKnown, 16, 80, 0, 2, 0, 17*time.Second), "PASS"},
		{"known, first wave counts", mk(modeKnown, 16, 80, 0, 3, 2, 17*time.Second), "FAIL: 3 429s"},
		{"known too slow", mk(modeKnown, 16, 80, 0, 0, 0, 19*time.Second), "FAIL: 1.19×"},
		{"headers, wave excused", mk(modeHeaders, 16, 80, 0, 19, 15, 19*time.Second), "PASS"},
		{"headers, too many later", mk(modeHeaders, 16, 80, 0, 20, 15, 19*time.Second), "FAIL: 5 429s"},
		{"blind lone caller 2.5x", mk(modeBlind, 1, 20, 0, 4, 0, 10*time.Second), "PASS"},
		{"blind W=4 1.5x", mk(modeBlind, 4, 40, 0, 8, 3, 13*time.Second), "FAIL: 1.62×"},
		{"a failed call", mk(modeBlind, 4, 40, 1, 0, 0, 8*time.Second), "FAIL: 1 failed"},
	} {
		if got, _ := verdict(tc.r); got != tc.want {
			t.Errorf("%s: verdict %q, want %q", tc.name, got, tc.want)
		}
	}
	ref := result{Cell: cell{W: 4, Calls: 40, Procs: 1, Kind: clientRetryable, Mode: modeBlind}, Failed: 12}
	if got, ok := verdict(ref); !ok || got != "(reference)" {
		t.Errorf("reference client: %q %v, want (reference) and ok", got, ok)
	}
}

func TestReplaceSection(t *testing.T) {
	doc := "# Pacing\n\nintro\n"
	s1 := "<!-- pacing:begin current -->\nA\n<!-- pacing:end current -->\n"
	doc = replaceSection(doc, "current", s1)
	if want := "# Pacing\n\nintro\n\n" + s1; doc != want {
		t.Fatalf("append: got %q, want %q", doc, want)
	}
	doc += "\n## After\n"
	s2 := "<!-- pacing:begin current -->\nB\n<!-- pacing:end current -->\n"
	doc = replaceSection(doc, "current", s2)
	if want := "# Pacing\n\nintro\n\n" + s2 + "\n## After\n"; doc != want {
		t.Fatalf("replace: got %q, want %q", doc, want)
	}
	base := "<!-- pacing:begin baseline -->\nC\n<!-- pacing:end baseline -->\n"
	doc = replaceSection(doc, "baseline", base)
	if !strings.Contains(doc, s2) || !strings.HasSuffix(doc, base) {
		t.Fatalf("another section: got %q", doc)
	}
}

func TestMarkdownAndTable(t *testing.T) {
	t0 := time.Unix(1000, 0)
	results := []result{
		{Cell: cell{W: 1, Calls: 20, Procs: 1, Kind: clientAPIKit, Mode: modeKnown}, Skipped: "the SDK had no WithRateLimit"},
		{Cell: cell{W: 4, Calls: 40, Procs: 1, Kind: clientAPIKit, Mode: modeBlind}, Start: t0, End: t0.Add(10 * time.Second),
			Server429: 5, FirstWave: 3, Client429: 5, Conns: 4, Served: 45, Pacer: "learned 4.50/s"},
		{Cell: cell{W: 4, Calls: 40, Procs: 1, Kind: clientRetryable, Mode: modeBlind}, Start: t0, End: t0.Add(27 * time.Second),
			Failed: 12, Errors: []string{"giving up after 5 attempt(s)"}, Server429: 114, Client429: 114},
	}
	md := markdown(runInfo{Section: "current", When: t0, Machine: "test machine", Command: "scripts/pacing/run"}, results)
	for _, want := range []string{
		"<!-- pacing:begin current -->", "<!-- pacing:end current -->", "test machine", "`scripts/pacing/run`",
		"cells meeting their targets: 1 of 1",
		"| 4 | 40 | apikit | blind | 0 | 5 (3 + 2) | 5 | 4 | 10.0 s | 8.0 s | 1.25× | learned 4.50/s | 0 failed, later 429s ≤ 8, ≤ 1.50× | PASS |",
		"skipped: the SDK had no WithRateLimit",
		"`p1-w4-n40-retryablehttp-blind`: giving up after 5 attempt(s)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	tab := table(results)
	if !strings.Contains(tab, "PASS") || !strings.Contains(tab, "(reference)") {
		t.Errorf("table:\n%s", tab)
	}
}

func TestLeakCheck(t *testing.T) {
	k, err := newTestKey()
	if err != nil {
		t.Fatal(err)
	}
	secret := k.Reveal()[len("hd_test_"):]
	if err := leakCheck(nil, []byte(secret)); err != nil {
		t.Errorf("no keys: %v", err)
	}
	if err := leakCheck([]keys.Key{k}, []byte("clean text")); err != nil {
		t.Errorf("clean text: %v", err)
	}
	err = leakCheck([]keys.Key{k}, []byte("log: "+secret[10:18]+" ..."))
	if err == nil {
		t.Fatal("an 8-character run of the secret went unnoticed")
	}
	if strings.Contains(err.Error(), secret[:8]) || strings.Contains(err.Error(), secret[10:18]) {
		t.Errorf("the leak check's own error holds the secret: %v", err)
	}
}

func TestMatrix(t *testing.T) {
	full := matrix(false, 1)
	if len(full) != 4*5 {
		t.Errorf("full matrix: %d cells, want 20", len(full))
	}
	for _, short := range []bool{false, true} {
		ids := map[string]bool{}
		for _, c := range matrix(short, 1) {
			if ids[c.path()] {
				t.Errorf("short=%v: two cells share the path %s", short, c.path())
			}
			ids[c.path()] = true
		}
	}
	var limit time.Duration
	for _, c := range matrix(true, 1) {
		limit = max(limit, c.limitTime())
	}
	if limit > 16*time.Second {
		t.Errorf("the short matrix's longest cell needs %s at the limit; CI wants it short", limit)
	}
}

func TestSummarizeLateness(t *testing.T) {
	var late []time.Duration
	for i := range 100 {
		late = append(late, time.Duration(i)*100*time.Microsecond)
	}
	got := summarizeLateness(late)
	want := "timer lateness during the run p50 5.0 ms, p99 9.9 ms, max 9.9 ms (100 wake-ups of a 10 ms sleep)"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := summarizeLateness(nil); got != "timer lateness not measured" {
		t.Errorf("no samples: %q", got)
	}
}

func TestBatches(t *testing.T) {
	cells := matrix(false, 1)
	got := batches(cells, 0)
	if len(got) != 2 || len(got[0]) != 12 || len(got[1]) != 8 {
		t.Fatalf("parallel 0: batches of %v, want 12 apikit cells then 8 reference ones", got)
	}
	for _, i := range got[0] {
		if cells[i].Kind != clientAPIKit {
			t.Errorf("cell %s in the apikit batch", cells[i].id())
		}
	}
	seen := map[int]bool{}
	for _, b := range batches(cells, 5) {
		if len(b) > 5 {
			t.Errorf("parallel 5: a batch of %d", len(b))
		}
		for _, i := range b {
			seen[i] = true
		}
	}
	if len(seen) != len(cells) {
		t.Errorf("parallel 5: %d cells run, want %d", len(seen), len(cells))
	}
	if got := batches(matrix(true, 1), 0); len(got) != 1 {
		t.Errorf("short: %d batches, want 1 (no reference cells)", len(got))
	}
}

func TestSelectCells(t *testing.T) {
	all := matrix(false, 1)
	if got := selectCells(all, ""); len(got) != len(all) {
		t.Errorf("no filter: %d cells, want %d", len(got), len(all))
	}
	got := selectCells(all, "w16-n80-apikit-blind, w64-n120-xrate")
	if len(got) != 2 || got[0].id() != "p1-w16-n80-apikit-blind" || got[1].id() != "p1-w64-n120-xrate-blind" {
		t.Errorf("two cells: got %v", got)
	}
	if got := selectCells(all, "nothing"); len(got) != 0 {
		t.Errorf("no match: got %v", got)
	}
}

func TestJudge(t *testing.T) {
	quiet, busy := 2*time.Millisecond, 40*time.Millisecond
	for _, tc := range []struct {
		missed int
		o      options
		p99    time.Duration
		code   int
		says   string
	}{
		{0, options{}, busy, 0, "Every apikit cell meets its targets."},
		{2, options{}, busy, 1, "2 cells miss their targets."},
		{2, options{reportOnly: true}, quiet, 0, "-report-only"},
		{2, options{noiseLimit: 15 * time.Millisecond}, quiet, 1, "2 cells miss their targets."},
		{2, options{noiseLimit: 15 * time.Millisecond}, busy, 0, "NOT JUDGED"},
	} {
		msg, code := judge(tc.missed, tc.o, tc.p99)
		if code != tc.code || !strings.Contains(msg, tc.says) {
			t.Errorf("judge(%d, %+v, %s) = %q, %d; want %d and %q", tc.missed, tc.o, tc.p99, msg, code, tc.code, tc.says)
		}
	}
}

func TestMergeResults(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := cell{W: 4, Calls: 80, Procs: 2, Kind: clientAPIKit, Mode: modeBlind}
	got := mergeResults(c, []result{
		{Start: t0.Add(time.Millisecond), End: t0.Add(10 * time.Second), Failed: 1, Client429: 3, FirstSign: t0.Add(2 * time.Millisecond),
			SentEarly: 4, Errors: []string{"a"}, Pacer: "learned 2.00/s"},
		{Start: t0, End: t0.Add(12 * time.Second), Client429: 2, FirstSign: t0.Add(time.Millisecond),
			SentEarly: 3, Errors: []string{"a", "b"}, Pacer: "learned 2.50/s"},
	})
	if !got.Start.Equal(t0) || !got.End.Equal(t0.Add(12*time.Second)) || !got.FirstSign.Equal(t0.Add(time.Millisecond)) {
		t.Errorf("times: start %v end %v first sign %v", got.Start, got.End, got.FirstSign)
	}
	if got.Failed != 1 || got.Client429 != 5 || got.SentEarly != 7 || len(got.Errors) != 2 || got.Pacer != "learned 2.00/s; learned 2.50/s" {
		t.Errorf("got %+v", got)
	}
}

func TestFleetMatrixAndTargets(t *testing.T) {
	cells := matrix(false, 4)
	if len(cells) != 4 {
		t.Fatalf("fleet matrix: %d cells, want 4", len(cells))
	}
	for _, c := range cells {
		tg, ok := targetFor(c)
		if !ok {
			t.Fatalf("%s: no target", c.id())
		}
		want := 1.6
		if c.Mode == modeKnown {
			want = 1.25
		}
		if tg.maxRatio != want {
			t.Errorf("%s: ratio target %.2f, want %.2f (issue 13)", c.id(), tg.maxRatio, want)
		}
		if got := ws(c); !strings.Contains(got, "4×") {
			t.Errorf("%s: W column %q", c.id(), got)
		}
	}
}

func TestTimeline(t *testing.T) {
	t0 := time.UnixMilli(1_000_000)
	at := func(ms int64, status int) logEntry {
		return logEntry{Arrived: t0.Add(time.Duration(ms) * time.Millisecond), Status: status}
	}
	got := timeline([]logEntry{at(1000, 200), at(0, 200), at(0, 429), at(1500, 503)})
	if want := "  0.00 0.00X 1.00 1.50(503)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var many []logEntry
	for i := range 40 {
		many = append(many, at(int64(i)*200, 200))
	}
	for _, line := range strings.Split(timeline(many), "\n") {
		if len(line) > 100 {
			t.Errorf("a line of %d columns: %q", len(line), line)
		}
	}
	if got := timeline(nil); got != "  (no answers)" {
		t.Errorf("no answers: %q", got)
	}
}
