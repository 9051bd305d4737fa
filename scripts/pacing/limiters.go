package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/template"
	"time"

	"github.com/apikit/apikit-go/keys"
	"github.com/go-chi/httprate"
	"github.com/throttled/throttled/v2"
	"github.com/throttled/throttled/v2/store/memstore"
	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/middleware/stdlib"
	"github.com/ulule/limiter/v3/drivers/store/memory"
)

//go:embed limiters.json
var defaultLimiters []byte

//go:embed haproxy/haproxy.cfg.tmpl
var haproxyConfTemplate string

// limiterConfig is one rate limiter of limiters.json.
type limiterConfig struct {
	Name   string   `json:"name"`
	Kind   string   `json:"kind"`
	Limit  int      `json:"limit"`
	Window duration `json:"window"`
	Burst  int      `json:"burst"`
	Short  bool     `json:"short"`
}

type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a window is a string such as \"1s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("window %q is not a positive duration (e.g. \"1s\", \"15s\")", s)
	}
	*d = duration(v)
	return nil
}

func (l limiterConfig) window() time.Duration { return time.Duration(l.Window) }

// rate is the limiter's sustained rate, requests a second.
func (l limiterConfig) rate() float64 { return float64(l.Limit) / l.window().Seconds() }

// quota reports a window longer than the pacer spreads evenly: the calls go
// in bursts of Limit, one per window.
func (l limiterConfig) quota() bool { return l.window() > 10*time.Second }

// headers reports whether the limiter's answers say the limit.
func (l limiterConfig) headers() bool { return l.Kind != "haproxy" }

// known is what a caller who knows the limit passes to WithRateLimit.
func (l limiterConfig) known() (float64, int) {
	switch {
	case l.Kind == "throttled":
		return l.rate(), l.Burst + 1
	case l.quota():
		return l.rate(), l.Limit
	}
	return l.rate(), 1
}

// loadLimiters reads the limiters' config: path, or the embedded
// limiters.json when path is "".
func loadLimiters(path string) ([]limiterConfig, error) {
	b := defaultLimiters
	if path != "" {
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("reading the limiters' config: %w", err)
		}
	}
	var doc struct {
		Limiters []limiterConfig `json:"limiters"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("the limiters' config: %w", err)
	}
	seen := map[string]bool{}
	for _, l := range doc.Limiters {
		switch {
		case l.Name == "" || strings.ContainsAny(l.Name, " /,\t\n") || l.Name == "nginx":
			return nil, fmt.Errorf("limiter name %q: give one word, not \"nginx\"", l.Name)
		case seen[l.Name]:
			return nil, fmt.Errorf("limiter %q is named twice", l.Name)
		case l.Limit < 1 || l.Limit > 100000:
			return nil, fmt.Errorf("limiter %q: limit %d must be 1 to 100000", l.Name, l.Limit)
		case l.window() <= 0:
			return nil, fmt.Errorf("limiter %q: a window is needed (e.g. \"1s\")", l.Name)
		case l.Burst < 0:
			return nil, fmt.Errorf("limiter %q: burst %d is negative", l.Name, l.Burst)
		}
		switch l.Kind {
		case "httprate", "throttled", "ulule", "haproxy", "ietf":
		default:
			return nil, fmt.Errorf("limiter %q: unknown kind %q (httprate, throttled, ulule, haproxy, ietf)", l.Name, l.Kind)
		}
		seen[l.Name] = true
	}
	return doc.Limiters, nil
}

// limiterGateway is one running limiter.
type limiterGateway struct {
	cfg     limiterConfig
	url     string
	version string
	stop    func() error               // stops it; after, entries holds every answer
	entries func() ([]logEntry, error) // the answers it logged
}

// startLimiter starts one limiter on a free loopback port.
func startLimiter(ctx context.Context, l limiterConfig) (*limiterGateway, error) {
	if l.Kind == "haproxy" {
		return startHAProxy(ctx, l)
	}
	return startGoLimiter(l)
}

// accessLog records each answer of an in-process limiter as nginx's access
// log would: when it arrived, how long it took, its status, its connection
// and its path.
type accessLog struct {
	mu      sync.Mutex
	entries []logEntry
	conns   atomic.Uint64
}

type connKey struct{}

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

func (a *accessLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		done := time.Now()
		conn, _ := r.Context().Value(connKey{}).(uint64)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		a.mu.Lock()
		a.entries = append(a.entries, logEntry{Done: done, Took: done.Sub(arrived), Status: status, Conn: conn, Path: r.URL.Path, Arrived: arrived})
		a.mu.Unlock()
	})
}

// ok is the upstream every limiter guards: a small JSON body.
var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
})

func byAuthorization(r *http.Request) string { return r.Header.Get("Authorization") }

// goLimiter builds the handler of an in-process limiter.
func goLimiter(l limiterConfig) (http.Handler, string, error) {
	switch l.Kind {
	case "httprate":
		mw := httprate.Limit(l.Limit, l.window(), httprate.WithKeyFuncs(func(r *http.Request) (string, error) {
			return byAuthorization(r), nil
		}))
		return mw(ok), "go-chi/httprate " + moduleVersion("github.com/go-chi/httprate"), nil
	case "throttled":
		store, err := memstore.NewCtx(65536)
		if err != nil {
			return nil, "", err
		}
		per := l.window() / time.Duration(l.Limit)
		rl, err := throttled.NewGCRARateLimiterCtx(store, throttled.RateQuota{MaxRate: throttled.PerDuration(1, per), MaxBurst: l.Burst})
		if err != nil {
			return nil, "", err
		}
		h := &throttled.HTTPRateLimiterCtx{RateLimiter: rl, VaryBy: &throttled.VaryBy{Headers: []string{"Authorization"}}}
		return h.RateLimit(ok), "throttled/throttled " + moduleVersion("github.com/throttled/throttled/v2"), nil
	case "ulule":
		inst := limiter.New(memory.NewStore(), limiter.Rate{Period: l.window(), Limit: int64(l.Limit)})
		mw := stdlib.NewMiddleware(inst, stdlib.WithKeyGetter(byAuthorization))
		return mw.Handler(ok), "ulule/limiter " + moduleVersion("github.com/ulule/limiter/v3"), nil
	case "ietf":
		return newIETFLimiter(l), "this harness's IETF draft limiter (fixed window)", nil
	}
	return nil, "", fmt.Errorf("limiter %q: kind %q is not in-process", l.Name, l.Kind)
}

// startGoLimiter serves an in-process limiter on a free loopback port.
func startGoLimiter(l limiterConfig) (*limiterGateway, error) {
	h, version, err := goLimiter(l)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("limiter %s: listening on loopback: %w", l.Name, err)
	}
	log := &accessLog{}
	srv := &http.Server{
		Handler:           log.wrap(h),
		ReadHeaderTimeout: 10 * time.Second,
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, log.conns.Add(1))
		},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	g := &limiterGateway{cfg: l, url: "http://" + ln.Addr().String(), version: version}
	g.stop = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(ctx)
		<-done
		return err
	}
	g.entries = func() ([]logEntry, error) {
		log.mu.Lock()
		defer log.mu.Unlock()
		return append([]logEntry(nil), log.entries...), nil
	}
	return g, nil
}

// moduleVersion is a dependency's version, from the build info.
func moduleVersion(path string) string {
	if v, ok := depVersions()[path]; ok {
		return v
	}
	return "(version unknown)"
}

// ietfLimiter is a fixed-window limiter that speaks the structured fields
// of draft-ietf-httpapi-ratelimit-headers: RateLimit-Policy:
// "default";q=LIMIT;w=WINDOW and RateLimit: "default";r=LEFT;t=SECONDS
// (rounded up), on every answer; a refusal is a 429 without Retry-After.
type ietfLimiter struct {
	limit  int
	window time.Duration
	mu     sync.Mutex
	keys   map[string]*ietfWindow
}

type ietfWindow struct {
	start time.Time
	used  int
}

func newIETFLimiter(l limiterConfig) *ietfLimiter {
	return &ietfLimiter{limit: l.Limit, window: l.window(), keys: map[string]*ietfWindow{}}
}

func (l *ietfLimiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	key := byAuthorization(r)
	l.mu.Lock()
	win := l.keys[key]
	if win == nil || now.Sub(win.start) >= l.window {
		// Windows are aligned on the clock, as a Redis counter keyed by
		// the window's number would be.
		win = &ietfWindow{start: now.Truncate(l.window)}
		l.keys[key] = win
	}
	allowed := win.used < l.limit
	if allowed {
		win.used++
	}
	left := l.limit - win.used
	reset := win.start.Add(l.window).Sub(now)
	l.mu.Unlock()
	secs := int(math.Ceil(reset.Seconds()))
	w.Header().Set("RateLimit-Policy", fmt.Sprintf(`"default";q=%d;w=%d`, l.limit, int(math.Ceil(l.window.Seconds()))))
	w.Header().Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=%d`, left, secs))
	if !allowed {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":"rate_limited","message":"Too many requests"}}`))
		return
	}
	ok(w, r)
}

// haproxyTemplateData fills haproxy/haproxy.cfg.tmpl.
type haproxyTemplateData struct {
	Port   int
	Limit  int
	Window string // HAProxy's period syntax, e.g. "1s", "1500ms"
}

// startHAProxy runs Debian's haproxy in the foreground on a free loopback
// port, its access log on its standard output.
func startHAProxy(ctx context.Context, l limiterConfig) (*limiterGateway, error) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/haproxy"); serr != nil {
			return nil, errors.New("haproxy not found: install it (apt-get install haproxy)")
		}
		bin = "/usr/sbin/haproxy"
	}
	dir, err := os.MkdirTemp("", "pacing-haproxy-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	tmpl, err := template.New("haproxy").Parse(haproxyConfTemplate)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	var conf bytes.Buffer
	if err := tmpl.Execute(&conf, haproxyTemplateData{Port: port, Limit: l.Limit, Window: fmt.Sprintf("%dms", l.window().Milliseconds())}); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, conf.Bytes(), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(bin, "-db", "-f", cfgPath)
	var out, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting haproxy: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() error {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Signal(syscall.SIGUSR1) // soft stop: finish, flush the log
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		}
		os.RemoveAll(dir)
		return nil
	}
	if err := waitPort(ctx, port, exited); err != nil {
		stop()
		return nil, fmt.Errorf("haproxy did not start: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	version := "haproxy"
	if v, err := exec.Command(bin, "-v").Output(); err == nil {
		version = strings.TrimSpace(strings.SplitN(string(v), "\n", 2)[0])
		if f := strings.Fields(version); len(f) >= 3 {
			version = "haproxy/" + f[2]
		}
	}
	g := &limiterGateway{cfg: l, url: fmt.Sprintf("http://127.0.0.1:%d", port), version: version, stop: stop}
	g.entries = func() ([]logEntry, error) { return parseHAProxyLog(out.String()) }
	return g, nil
}

// waitPort waits until something listens on the loopback port.
func waitPort(ctx context.Context, port int, exited <-chan struct{}) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("it exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errors.New("nothing listens after 10 s")
}

// syncBuffer is a bytes.Buffer safe for a process's writes and our reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// parseHAProxyLog reads the lines of haproxy.cfg.tmpl's log-format:
// "%Ts.%ms %Ta %ST %cp %HU": when the request was accepted (s.ms), how long
// it took (ms), status, the client's port (the connection) and the path.
// Lines that are not access-log lines (HAProxy's own notices) are skipped.
func parseHAProxyLog(s string) ([]logEntry, error) {
	var out []logEntry
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 5 || !strings.HasPrefix(f[4], "/") {
			continue
		}
		acc, err := parseMillis(f[0])
		if err != nil {
			return nil, fmt.Errorf("haproxy log %q: %w", sc.Text(), err)
		}
		took, err1 := strconv.ParseInt(f[1], 10, 64)
		status, err2 := strconv.Atoi(f[2])
		port, err3 := strconv.ParseUint(f[3], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || took < 0 {
			return nil, fmt.Errorf("haproxy log line %q does not parse", sc.Text())
		}
		arrived := time.UnixMilli(acc)
		out = append(out, logEntry{Arrived: arrived, Took: time.Duration(took) * time.Millisecond,
			Done: arrived.Add(time.Duration(took) * time.Millisecond), Status: status, Conn: port, Path: f[4]})
	}
	return out, sc.Err()
}

// depVersions maps the program's dependencies to their versions.
func depVersions() map[string]string {
	out := map[string]string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			out[d.Path] = d.Version
		}
	}
	return out
}

// rateOr is the limiter's rate, or def for nginx (l nil).
func (l *limiterConfig) rateOr(def float64) float64 {
	if l == nil {
		return def
	}
	return l.rate()
}

// limiterMatrix is issue 19's matrix for each limiter: W ∈ {1, 4, 16, 64}
// × {known, default} (default: the limit read from its headers, or
// learned blind from a limiter that sends none), beside the two reference
// clients. The calls are the limit's rate times 4, 8, 16 and 24 s (as
// nginx's matrix at 5 r/s); for a quota, a third of a window's limit past
// one, one, two and three whole windows. short: CI's, the limiters marked
// short, W 1 and 16, default only, no reference clients.
func limiterMatrix(ls []limiterConfig, short bool) []cell {
	var cells []cell
	for i := range ls {
		l := &ls[i]
		if short && !l.Short {
			continue
		}
		def := modeBlind
		if l.headers() {
			def = modeHeaders
		}
		ws := []int{1, 4, 16, 64}
		secs := []float64{4, 8, 16, 24}
		windows := []int{1, 1, 2, 3}
		modes := []string{modeKnown, def}
		refs := []string{clientRetryable, clientXRate}
		if short {
			ws, secs, windows, modes, refs = []int{1, 16}, []float64{4, 16}, []int{1, 2}, []string{def}, nil
		}
		for j, w := range ws {
			calls := max(int(math.Round(l.rate()*secs[j])), 10)
			if l.quota() {
				calls = windows[j]*l.Limit + max(l.Limit/3, 1)
			}
			for _, m := range modes {
				cells = append(cells, cell{W: w, Calls: calls, Procs: 1, Kind: clientAPIKit, Mode: m, Lim: l})
			}
			for _, k := range refs {
				cells = append(cells, cell{W: w, Calls: calls, Procs: 1, Kind: k, Mode: def, Lim: l})
			}
		}
	}
	return cells
}

// measureLimiters runs the cells of each limiter against it: the limiter
// started alone on a free loopback port, its apikit cells at once, then its
// reference clients, then stopped; one section of -doc per limiter
// ("limiter-NAME").
func measureLimiters(ctx context.Context, o options, ls []limiterConfig) (outcome, error) {
	var out outcome
	began := time.Now()
	// The machine as the run starts (its load average then).
	machineAtStart := strings.Replace(describeMachine(""), ", nginx (version unknown)", "", 1)
	probeCtx, stopProbe := context.WithCancel(ctx)
	probe := startJitterProbe(probeCtx)
	type done struct {
		l       limiterConfig
		results []result
		version string
		lines   map[string][]logEntry
	}
	var runs []done
	var ks []keys.Key
	for i := range ls {
		var cells []cell
		for _, c := range selectCells(limiterMatrix(ls, o.short), o.only) {
			if c.Lim.Name == ls[i].Name {
				cells = append(cells, c)
			}
		}
		if len(cells) == 0 {
			continue
		}
		g, err := startLimiter(ctx, ls[i])
		if err != nil {
			stopProbe()
			probe.wait()
			return out, err
		}
		fmt.Printf("pacing: %d cells against %s (%s, %d per %s) on %s\n", len(cells), ls[i].Name, g.version, ls[i].Limit, ls[i].window(), g.url)
		results := make([]result, len(cells))
		cellKeys := make([]keys.Key, len(cells))
		for j := range cells {
			k, err := newTestKey()
			if err != nil {
				_ = g.stop()
				stopProbe()
				probe.wait()
				return out, err
			}
			cellKeys[j] = k
		}
		ks = append(ks, cellKeys...)
		for _, batch := range batches(cells, o.parallel) {
			start := make(chan struct{})
			var wg sync.WaitGroup
			for _, j := range batch {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[j] = runCell(ctx, cells[j], cells[j].Calls, g.url, cellKeys[j], start)
				}()
			}
			close(start)
			wg.Wait()
			if err := ctx.Err(); err != nil {
				_ = g.stop()
				stopProbe()
				probe.wait()
				return out, fmt.Errorf("interrupted: %w", err)
			}
		}
		_ = g.stop()
		entries, err := g.entries()
		if err != nil {
			stopProbe()
			probe.wait()
			return out, err
		}
		byPath := map[string][]logEntry{}
		for _, e := range entries {
			byPath[e.Path] = append(byPath[e.Path], e)
		}
		for j := range results {
			countServer(&results[j], byPath[cells[j].path()])
		}
		runs = append(runs, done{l: ls[i], results: results, version: g.version, lines: byPath})
	}
	stopProbe()
	jitter, timerP99 := probe.wait()
	out.timerP99 = timerP99
	var report strings.Builder
	for _, r := range runs {
		fmt.Fprintf(&report, "\n%s (%s): %d per %s\n%s", r.l.Name, r.version, r.l.Limit, r.l.window(), table(r.results))
		out.results = append(out.results, r.results...)
		if o.timeline {
			for _, res := range r.results {
				report.WriteString("\n" + res.Cell.id() + ":\n" + timeline(r.lines[res.Cell.path()]) + "\n")
			}
		}
	}
	report.WriteString(jitter + "\n")
	if err := leakCheck(ks, []byte(report.String())); err != nil {
		return out, err
	}
	if o.doc != "" {
		old, err := os.ReadFile(o.doc)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return out, fmt.Errorf("reading %s: %w", o.doc, err)
		}
		doc := string(old)
		for _, r := range runs {
			machine := machineAtStart + "; limiter: " + r.version
			info := runInfo{Section: "limiter-" + r.l.Name, When: began, Machine: machine, Command: o.command,
				Note: limiterNote(r.l, o.note), Jitter: jitter}
			section := markdown(info, r.results)
			if err := leakCheck(ks, []byte(section)); err != nil {
				return out, err
			}
			doc = replaceSection(doc, info.Section, section)
		}
		if err := os.WriteFile(o.doc, []byte(doc), 0o644); err != nil {
			return out, fmt.Errorf("writing %s: %w", o.doc, err)
		}
		fmt.Fprintf(&report, "\nwrote %d limiter sections of %s\n", len(runs), o.doc)
	}
	out.report = report.String()
	return out, nil
}

// limiterNote says what the limiter is, for its doc section.
func limiterNote(l limiterConfig, note string) string {
	what := map[string]string{
		"httprate":  "go-chi/httprate sliding-window counter; X-RateLimit-Reset is the Unix time (whole seconds) the window ends; a 429 carries Retry-After = the window",
		"throttled": fmt.Sprintf("throttled/throttled v2 GCRA, burst %d; X-RateLimit-Limit = burst+1, -Reset = seconds (rounded up) until the bucket empties; a 429 carries Retry-After (rounded up)", l.Burst),
		"ulule":     "ulule/limiter fixed window; X-RateLimit-Reset is the Unix time (whole seconds) the window ends; a 429 carries no Retry-After",
		"haproxy":   "HAProxy stick table http_req_rate over the window, refusals counted; a bare 429 (no headers, no Retry-After)",
		"ietf":      "the harness's fixed window speaking draft-ietf-httpapi-ratelimit-headers (RateLimit-Policy, RateLimit); a 429 carries no Retry-After",
	}[l.Kind]
	s := fmt.Sprintf("%s: %d per %s (%s)", l.Name, l.Limit, l.window(), what)
	if l.quota() {
		s += "; a quota: the limit's time is the ideal, a burst at the start of each window"
	}
	if note != "" {
		s += "; " + note
	}
	return s
}
