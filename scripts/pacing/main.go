// Command pacing measures how the SDK's client shares a key's rate limit
// among many goroutines, against a real gateway: nginx's limit_req at 5
// requests per second per key, burst 0, "Retry-After: 1" (nginx/nginx.conf.tmpl).
//
// It starts nginx on free loopback ports, runs a matrix of cells (W
// goroutines sharing N calls through one client, on a fresh key per cell),
// counts each cell's answers at the server (nginx's access log is the truth)
// and at the client, and prints a table with issue 11's targets beside each
// figure. With -doc it writes the table into docs/PACING.md. Use it through
// scripts/pacing/run, which installs nginx when missing.
//
// Exit status: 0 when every apikit cell meets its targets (or with
// -report-only, or when -noise-limit finds the machine too busy to judge),
// 1 when one does not, 2 when the harness itself failed.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/apikit/apikit-go/keys"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "worker" {
		os.Exit(runWorker(os.Args[2:]))
	}
	os.Exit(run(os.Args[1:]))
}

// signalContext ends on Ctrl-C or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

type options struct {
	short      bool
	doc        string
	section    string
	note       string
	command    string
	parallel   int
	reportOnly bool
	noiseLimit time.Duration
	logs       string
	only       string
	procs      int
	timeline   bool
	redis      bool   // with procs: share a redispacing.Pacer through a redis-server (fleet.go)
	fault      string // with redis: the fault Redis is put through (faults.go)
	limiters   string
	limConfig  string
}

func run(args []string) int {
	var o options
	fs := flag.NewFlagSet("pacing", flag.ContinueOnError)
	fs.BoolVar(&o.short, "short", false, "the reduced matrix CI runs (W 1 and 16, known and blind, no reference clients; under 30 s)")
	fs.StringVar(&o.doc, "doc", "", "write the results into this Markdown file (e.g. docs/PACING.md), replacing the section of the same name")
	fs.StringVar(&o.section, "section", "current", "the name of the generated section in -doc (e.g. current, baseline)")
	fs.StringVar(&o.note, "note", "", "a line about this run for -doc (e.g. which SDK commit was measured)")
	fs.StringVar(&o.command, "command", "", "the command to print as this run's (default: this program's arguments)")
	fs.IntVar(&o.parallel, "parallel", 0, "how many cells run at once (0: all the apikit cells, then all the reference ones; each cell has its own key, so its own bucket at nginx)")
	fs.IntVar(&o.procs, "procs", 1, "N > 1: issue 13's matrix instead, N separate processes of W goroutines on one key (W 4 and 16, 80 calls, known and blind); its section of -doc is \"fleet\" unless -section says otherwise")
	fs.BoolVar(&o.redis, "redis", false, "with -procs N: each cell's processes share one redispacing.Pacer on a redis-server started on a free loopback port (and stopped after), beside the same cell without it; the run reports Redis round trips per attempt (INFO commandstats); its section of -doc is \"redis\"")
	killRedis := fs.Bool("kill-redis", false, "with -redis: -fault kill")
	fs.StringVar(&o.fault, "fault", "", "with -redis: put Redis through this fault while the shared cells run (one of "+sortedFaults()+"; see docs/PACING.md, \"The fleet under faults\"); its section of -doc is \"fault_<name>\"")
	fs.StringVar(&o.limiters, "limiters", "", "the third-party limiters to run (names from the config, comma-separated; \"nginx\" for nginx's matrix; \"none\" for nginx's alone); default: nginx and every limiter (with -short, those marked short)")
	fs.StringVar(&o.limConfig, "limiters-config", "", "the limiters' config (default: scripts/pacing/limiters.json, built in)")
	fs.StringVar(&o.only, "only", "", "run only the cells whose name contains one of these comma-separated words (e.g. w16-n80-apikit-blind,w64)")
	fs.BoolVar(&o.timeline, "timeline", false, "print each cell's answers as nginx logged them, in seconds from the cell's first, 429s marked X")
	fs.StringVar(&o.logs, "logs", "", "copy nginx's access log here (one line per answer: time, duration, status, connection, cell path), to study a run")
	fs.BoolVar(&o.reportOnly, "report-only", false, "exit 0 when a target is missed (harness failures still exit 2)")
	fs.DurationVar(&o.noiseLimit, "noise-limit", 0, "when the harness's timers fired later than this at the 99th percentile, the machine was too busy to judge the pacer: missed targets are printed as not judged and exit 0 (0: always judge)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "pacing: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if o.section == "" || strings.ContainsAny(o.section, " \n->") {
		fmt.Fprintln(os.Stderr, "pacing: -section must be a single word")
		return 2
	}
	if o.procs < 1 || o.procs > 64 {
		fmt.Fprintln(os.Stderr, "pacing: -procs must be between 1 and 64")
		return 2
	}
	sectionSet := false
	fs.Visit(func(f *flag.Flag) { sectionSet = sectionSet || f.Name == "section" })
	if *killRedis && o.fault == "" {
		o.fault = faultKill
	}
	if o.fault != "" && !o.redis {
		fmt.Fprintln(os.Stderr, "pacing: -fault and -kill-redis need -redis")
		return 2
	}
	if o.fault != "" && !slices.Contains(faultNames, o.fault) {
		fmt.Fprintf(os.Stderr, "pacing: -fault %q: give one of %s\n", o.fault, sortedFaults())
		return 2
	}
	if o.redis && o.procs < 2 {
		fmt.Fprintln(os.Stderr, "pacing: -redis shares a pacer between processes: give -procs N (N ≥ 2) too")
		return 2
	}
	if o.procs > 1 && !sectionSet {
		o.section = "fleet"
		if o.redis {
			o.section = "redis"
		}
		if o.fault != "" {
			o.section = "fault_" + o.fault
		}
	}
	if o.command == "" {
		o.command = strings.Join(append([]string{"pacing"}, args...), " ")
	}

	ctx, stop := signalContext()
	defer stop()
	runNginx, ls, err := chooseLimiters(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pacing: %v\n", err)
		return 2
	}
	var out outcome
	if runNginx {
		if out, err = measure(ctx, o); err != nil {
			fmt.Fprintf(os.Stderr, "pacing: %v\n", err)
			return 2
		}
	}
	if len(ls) > 0 {
		lo, err := measureLimiters(ctx, o, ls)
		if err != nil {
			fmt.Fprintf(os.Stderr, "pacing: %v\n", err)
			return 2
		}
		out.results = append(out.results, lo.results...)
		out.report += lo.report
		out.timerP99 = max(out.timerP99, lo.timerP99)
	}
	fmt.Print(out.report)
	missed := 0
	for _, r := range out.results {
		if _, ok := verdict(r); !ok {
			missed++
		}
	}
	msg, code := judge(missed, o, out.timerP99)
	fmt.Println("\n" + msg)
	return code
}

// judge turns the number of cells that missed their targets into the
// closing line and the exit status.
func judge(missed int, o options, timerP99 time.Duration) (string, int) {
	switch {
	case missed == 0:
		return "Every apikit cell meets its targets.", 0
	case o.reportOnly:
		return fmt.Sprintf("%d cells miss their targets (-report-only: not failing).", missed), 0
	case o.noiseLimit > 0 && timerP99 > o.noiseLimit:
		return fmt.Sprintf("%d cells miss their targets, NOT JUDGED: the machine was too busy to measure pacing "+
			"(the harness's timers fired %s late at the 99th percentile, over -noise-limit %s).",
			missed, timerP99.Round(100*time.Microsecond), o.noiseLimit), 0
	default:
		return fmt.Sprintf("%d cells miss their targets.", missed), 1
	}
}

// matrix returns the cells of a run: issue 11's matrix, or CI's reduced one;
// with procs > 1, issue 13's (processes on one key).
func matrix(short bool, procs int) []cell {
	type size struct{ w, calls int }
	if procs > 1 {
		var cells []cell
		sizes := []size{{4, 80}, {16, 80}}
		if short {
			sizes = sizes[1:] // CI's: the herd
		}
		for _, s := range sizes {
			for _, m := range []string{modeKnown, modeBlind} {
				cells = append(cells, cell{W: s.w, Calls: s.calls, Procs: procs, Kind: clientAPIKit, Mode: m})
			}
		}
		return cells
	}
	sizes := []size{{1, 20}, {4, 40}, {16, 80}, {64, 120}}
	modes := []string{modeKnown, modeHeaders, modeBlind}
	refs := []string{clientRetryable, clientXRate}
	if short {
		// The full matrix's sizes, so that the targets mean the same:
		// with fewer calls the cold start weighs more in the ratio.
		sizes = []size{{1, 20}, {16, 80}}
		modes = []string{modeKnown, modeBlind}
		refs = nil
	}
	var cells []cell
	for _, s := range sizes {
		for _, m := range modes {
			cells = append(cells, cell{W: s.w, Calls: s.calls, Procs: 1, Kind: clientAPIKit, Mode: m})
		}
		for _, k := range refs {
			cells = append(cells, cell{W: s.w, Calls: s.calls, Procs: 1, Kind: k, Mode: modeBlind})
		}
	}
	return cells
}

// selectCells keeps the cells whose id contains one of only's
// comma-separated words; all of them when only is "".
func selectCells(cells []cell, only string) []cell {
	if strings.TrimSpace(only) == "" {
		return cells
	}
	var out []cell
	for _, c := range cells {
		for _, w := range strings.Split(only, ",") {
			if w = strings.TrimSpace(w); w != "" && strings.Contains(c.id(), w) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// batches groups the cells (by index) into the sets that run at once: the
// apikit cells first, then the reference clients, whose herds (hundreds of
// requests and connections a second) would otherwise share the machine with
// the paced cells; each set in chunks of parallel cells (0: no limit).
func batches(cells []cell, parallel int) [][]int {
	var apikit, refs []int
	for i, c := range cells {
		if c.Kind == clientAPIKit {
			apikit = append(apikit, i)
		} else {
			refs = append(refs, i)
		}
	}
	var out [][]int
	for _, set := range [][]int{apikit, refs} {
		n := parallel
		if n <= 0 || n > len(set) {
			n = len(set)
		}
		for lo := 0; lo < len(set); lo += n {
			out = append(out, set[lo:min(lo+n, len(set))])
		}
	}
	return out
}

// outcome is what a run measured.
type outcome struct {
	results  []result
	report   string        // the terminal table, and with -doc the file written
	timerP99 time.Duration // how late the harness's timers fired, 99th percentile
}

// measure runs the matrix against a fresh nginx.
func measure(ctx context.Context, o options) (outcome, error) {
	began := time.Now()
	cells := matrix(o.short, o.procs)
	var fr *fleetRedis
	if o.redis {
		var err error
		if fr, err = startFleetRedis(ctx, o.fault); err != nil {
			return outcome{}, err
		}
		defer fr.stop()
		cells = fleetCells(cells, fr.addr(), !o.short && o.fault == "")
	}
	cells = selectCells(cells, o.only)
	if len(cells) == 0 {
		return outcome{}, fmt.Errorf("-only %q matches no cell of the matrix", o.only)
	}
	ks := make([]keys.Key, len(cells))
	for i := range cells {
		k, err := newTestKey()
		if err != nil {
			return outcome{}, err
		}
		ks[i] = k
	}
	if fr != nil && fr.cluster != nil {
		if err := fr.pickKeys(ctx, cells, ks); err != nil {
			return outcome{}, err
		}
	}

	g, err := startGateway(ctx)
	if err != nil {
		return outcome{}, err
	}
	defer g.stop()
	machine := describeMachine(g.nginxBinary)
	fmt.Printf("pacing: %d cells against nginx on %s (blind) and %s (headers); %s\n", len(cells), g.blindURL, g.headersURL, machine)

	probeCtx, stopProbe := context.WithCancel(ctx)
	probe := startJitterProbe(probeCtx)
	results := make([]result, len(cells))
	for _, batch := range batches(cells, o.parallel) {
		// One start for the batch: at once for goroutines, a moment
		// ahead when worker processes must start first.
		startAt := time.Now()
		for _, i := range batch {
			if cells[i].Procs > 1 {
				startAt = startAt.Add(workerLead)
				break
			}
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, i := range batch {
			base := g.blindURL
			if cells[i].Mode == modeHeaders {
				base = g.headersURL
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if cells[i].Procs > 1 {
					results[i] = runCellProcs(ctx, cells[i], base, ks[i], startAt, o.fault == faultSkew)
				} else {
					results[i] = runCell(ctx, cells[i], cells[i].Calls, base, ks[i], start)
				}
			}()
		}
		timer := time.AfterFunc(time.Until(startAt), func() { close(start) })
		fault := fr.during(ctx, cells, batch, startAt)
		wg.Wait()
		timer.Stop()
		if err := fault(); err != nil {
			stopProbe()
			probe.wait()
			return outcome{}, err
		}
		if err := ctx.Err(); err != nil {
			stopProbe()
			probe.wait()
			return outcome{}, fmt.Errorf("interrupted: %w", err)
		}
	}
	stopProbe()
	jitter, timerP99 := probe.wait()

	// Stop nginx before reading its logs: a line is written after its
	// answer is sent, so only a stopped nginx has surely written them all.
	g.stopProcess()
	access, errorLog, err := g.logs()
	if err != nil {
		return outcome{}, err
	}
	if o.logs != "" {
		if err := os.WriteFile(o.logs, access, 0o644); err != nil {
			return outcome{}, fmt.Errorf("copying nginx's access log: %w", err)
		}
	}
	byPath, err := parseAccessLog(bytes.NewReader(access))
	if err != nil {
		return outcome{}, err
	}
	timelines := make([][]logEntry, len(cells))
	for i := range results {
		timelines[i] = byPath[cells[i].path()]
		if results[i].leaked {
			return outcome{}, fmt.Errorf("a worker process of cell %s printed its key", cells[i].id())
		}
		countServer(&results[i], byPath[cells[i].path()])
		delete(byPath, cells[i].path())
	}
	for path, entries := range byPath {
		return outcome{}, fmt.Errorf("nginx logged %d requests for %s, which no cell sent", len(entries), path)
	}

	report := table(results) + jitter + "\n"
	usage := ""
	if fr != nil {
		usage = fr.usage(ctx, results)
		report += usage + "\n"
	}
	if o.timeline {
		for i, c := range cells {
			report += "\n" + c.id() + ":\n" + timeline(timelines[i]) + "\n"
		}
	}
	if o.doc != "" {
		info := runInfo{Section: o.section, When: began, Machine: machine, Command: o.command, Note: o.note, Jitter: jitter, Redis: usage}
		section := markdown(info, results)
		if err := leakCheck(ks, access, errorLog, []byte(report), []byte(section)); err != nil {
			return outcome{}, err
		}
		old, err := os.ReadFile(o.doc)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return outcome{}, fmt.Errorf("reading %s: %w", o.doc, err)
		}
		if err := os.WriteFile(o.doc, []byte(replaceSection(string(old), o.section, section)), 0o644); err != nil {
			return outcome{}, fmt.Errorf("writing %s: %w", o.doc, err)
		}
		report += fmt.Sprintf("\nwrote section %q of %s\n", o.section, o.doc)
	} else if err := leakCheck(ks, access, errorLog, []byte(report)); err != nil {
		return outcome{}, err
	}
	return outcome{results: results, report: report, timerP99: timerP99}, nil
}

// leakCheck fails when any 8-character run of any key's secret appears in
// what the run wrote: nginx's logs, the report, the doc. The keys are
// throwaway test keys, but the harness holds itself to the SDK's rule.
func leakCheck(ks []keys.Key, texts ...[]byte) error {
	const run = 8
	for i, k := range ks {
		secret := strings.TrimPrefix(k.Reveal(), "hd_test_")
		for j := 0; j+run <= len(secret); j++ {
			piece := []byte(secret[j : j+run])
			for _, t := range texts {
				if bytes.Contains(t, piece) {
					return fmt.Errorf("the key of cell %d (%s) appears in the harness's output or nginx's logs", i, k.Fingerprint())
				}
			}
		}
	}
	return nil
}

// describeMachine says what the figures were measured on.
func describeMachine(nginxBin string) string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			load = fmt.Sprintf(", load average %s %s %s at start", f[0], f[1], f[2])
		}
	}
	nice := ""
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		// Fields after the command name (which is in parentheses and may
		// hold spaces): state is the 3rd field, nice the 19th.
		if i := bytes.LastIndexByte(b, ')'); i >= 0 {
			if f := strings.Fields(string(b[i+1:])); len(f) > 16 {
				nice = ", nice " + f[16]
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s), %s, %s%s%s",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, runtime.Version(), nginxVersion(nginxBin), load, nice)
}

// chooseLimiters decides what the run measures: nginx's matrix, and which
// third-party limiters (limiters.go).
func chooseLimiters(o options) (nginx bool, ls []limiterConfig, err error) {
	all, err := loadLimiters(o.limConfig)
	if err != nil {
		return false, nil, err
	}
	if o.procs > 1 {
		return true, nil, nil // issue 13's fleet matrix is nginx's alone
	}
	nginx = true
	switch o.limiters {
	case "":
		for _, l := range all {
			if !o.short || l.Short {
				ls = append(ls, l)
			}
		}
	case "none":
	default:
		nginx = false
		for _, name := range strings.Split(o.limiters, ",") {
			name = strings.TrimSpace(name)
			if name == "nginx" {
				nginx = true
				continue
			}
			found := false
			for _, l := range all {
				if l.Name == name {
					ls, found = append(ls, l), true
				}
			}
			if !found {
				return false, nil, fmt.Errorf("-limiters: no limiter %q in the config", name)
			}
		}
	}
	if nginx && o.only != "" && len(selectCells(matrix(o.short, o.procs), o.only)) == 0 {
		nginx = false // -only names none of nginx's cells
	}
	return nginx, ls, nil
}
