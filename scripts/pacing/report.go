package main

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// target is issue 11's bar for an apikit cell.
type target struct {
	max429   float64 // 429s allowed
	all429   bool    // the bar counts every 429 (known limit), not only those after the first wave
	maxRatio float64 // wall time over the limit's time
}

// targetFor returns the target of a cell, and false for the reference
// clients, which have none.
func targetFor(c cell) (target, bool) {
	if c.Kind != clientAPIKit {
		return target{}, false
	}
	n := float64(c.Calls)
	if c.Lim != nil && c.Lim.quota() {
		// A long-window quota: its ideal is a burst per window.
		if c.Mode == modeKnown {
			return target{max429: 1 + 0.02*n, all429: true, maxRatio: 1.2}, true
		}
		return target{max429: 0.05 * n, maxRatio: 1.2}, true
	}
	if c.Procs > 1 {
		// Issue 13: processes on one key.
		if c.Mode == modeKnown {
			return target{max429: 1 + 0.02*n, all429: true, maxRatio: 1.25}, true
		}
		return target{max429: 0.20 * n, maxRatio: 1.6}, true
	}
	switch c.Mode {
	case modeKnown:
		// A known limit has no excuse for a first wave: every 429 counts.
		return target{max429: 1 + 0.02*n, all429: true, maxRatio: 1.15}, true
	case modeHeaders:
		return target{max429: 0.05 * n, maxRatio: 1.2}, true
	case modeBlind:
		if c.callers() == 1 {
			return target{max429: 0.20 * n, maxRatio: 2.5}, true
		}
		return target{max429: 0.20 * n, maxRatio: 1.5}, true
	}
	return target{}, false
}

// String says the target as the table shows it.
func (t target) String() string {
	which := "later 429s"
	if t.all429 {
		which = "429s"
	}
	return fmt.Sprintf("0 failed, %s ≤ %s, ≤ %.2f×", which, trimFloat(t.max429), t.maxRatio)
}

// counted429 are the 429s the target counts.
func (t target) counted429(r result) int {
	if t.all429 {
		return r.Server429
	}
	return r.later429()
}

// verdict is "PASS", "FAIL: <what>", "-" for a reference client, or
// "skipped: <why>".
func verdict(r result) (string, bool) {
	if r.Skipped != "" {
		return "skipped: " + r.Skipped, true
	}
	t, ok := targetFor(r.Cell)
	if !ok {
		return "(reference)", true
	}
	var missed []string
	if r.Failed > 0 {
		missed = append(missed, fmt.Sprintf("%d failed", r.Failed))
	}
	if n := t.counted429(r); float64(n) > t.max429 {
		missed = append(missed, fmt.Sprintf("%d 429s", n))
	}
	if ratio := r.ratio(); ratio > t.maxRatio {
		missed = append(missed, fmt.Sprintf("%.2f×", ratio))
	}
	if len(missed) > 0 {
		return "FAIL: " + strings.Join(missed, ", "), false
	}
	return "PASS", true
}

func trimFloat(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	return strings.TrimRight(fmt.Sprintf("%.2f", f), "0")
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// row is one cell's figures as text, shared by the terminal table and the
// Markdown one.
func row(r result) []string {
	c := r.Cell
	mode := c.Mode
	if c.Kind != clientAPIKit {
		mode = "—"
	}
	if r.Skipped != "" {
		v, _ := verdict(r)
		return []string{ws(c), fmt.Sprint(c.Calls), c.Kind, mode, "", "", "", "", "", seconds(c.limitTime()), "", "", "", v}
	}
	tgt := ""
	if t, ok := targetFor(c); ok {
		tgt = t.String()
	}
	client429 := fmt.Sprint(r.Client429)
	if r.Client429 != r.Server429 {
		client429 += " (≠ server)"
	}
	v, _ := verdict(r)
	return []string{
		ws(c),
		fmt.Sprint(c.Calls),
		kindLabel(c),
		mode,
		fmt.Sprint(r.Failed),
		fmt.Sprintf("%d (%d + %d)", r.Server429, r.FirstWave, r.later429()),
		client429,
		fmt.Sprint(r.Conns),
		seconds(r.wall()),
		seconds(c.limitTime()),
		fmt.Sprintf("%.2f×", r.ratio()),
		r.Pacer,
		tgt,
		v,
	}
}

// ws is the W column: "16", or "4×16" for 4 processes of 16 goroutines.
func ws(c cell) string {
	if c.Procs > 1 {
		return fmt.Sprintf("%d×%d", c.Procs, c.W)
	}
	return fmt.Sprint(c.W)
}

var header = []string{
	"W", "calls", "client", "limit", "failed", "429s at the server (first wave + later)", "429s client saw",
	"TCP conns", "wall", "limit's time", "ratio", "pacer at end", "target", "result",
}

// table renders the results for a terminal.
func table(results []result) string {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range results {
		fmt.Fprintln(tw, strings.Join(row(r), "\t"))
	}
	tw.Flush()
	for _, r := range results {
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "  %s: %s\n", r.Cell.id(), e)
		}
		if r.OtherStatus > 0 {
			fmt.Fprintf(&b, "  %s: nginx answered %d requests with neither 200 nor 429\n", r.Cell.id(), r.OtherStatus)
		}
	}
	return b.String()
}

// runInfo describes a run for the generated section of docs/PACING.md.
type runInfo struct {
	Section string
	When    time.Time
	Machine string
	Command string
	Note    string
	Jitter  string // how late the harness's timers fired during the run
	Redis   string // -redis: the Redis commands per attempt
}

// markdown renders the generated section of docs/PACING.md, markers
// included.
func markdown(info runInfo, results []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- pacing:begin %s -->\n", info.Section)
	fmt.Fprintf(&b, "### Run %q, %s\n\n", info.Section, info.When.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Generated by `%s`; do not edit by hand.\n\n", info.Command)
	fmt.Fprintf(&b, "- machine: %s\n", info.Machine)
	if info.Jitter != "" {
		fmt.Fprintf(&b, "- %s\n", info.Jitter)
	}
	if info.Note != "" {
		fmt.Fprintf(&b, "- note: %s\n", info.Note)
	}
	if info.Redis != "" {
		fmt.Fprintf(&b, "- %s\n", info.Redis)
	}
	pass, total := 0, 0
	for _, r := range results {
		if _, ok := targetFor(r.Cell); ok && r.Skipped == "" {
			total++
			if _, ok := verdict(r); ok {
				pass++
			}
		}
	}
	fmt.Fprintf(&b, "- apikit cells meeting their targets: %d of %d\n\n", pass, total)
	fmt.Fprintf(&b, "| %s |\n", strings.Join(header, " | "))
	fmt.Fprintf(&b, "|%s\n", strings.Repeat("---|", len(header)))
	for _, r := range results {
		cells := row(r)
		for i, s := range cells {
			cells[i] = strings.ReplaceAll(s, "|", `\|`)
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	var notes []string
	for _, r := range results {
		for _, e := range r.Errors {
			notes = append(notes, fmt.Sprintf("- `%s`: %s", r.Cell.id(), e))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, "\nFailures (up to %d distinct texts per cell):\n\n%s\n", maxErrorTexts, strings.Join(notes, "\n"))
	}
	fmt.Fprintf(&b, "<!-- pacing:end %s -->\n", info.Section)
	return b.String()
}

// replaceSection puts section into doc in place of the section with the
// same markers, or appends it when doc has none.
func replaceSection(doc, name, section string) string {
	begin := fmt.Sprintf("<!-- pacing:begin %s -->", name)
	end := fmt.Sprintf("<!-- pacing:end %s -->", name)
	i := strings.Index(doc, begin)
	if i >= 0 {
		if j := strings.Index(doc[i:], end); j >= 0 {
			rest := doc[i+j+len(end):]
			rest = strings.TrimPrefix(rest, "\n")
			return doc[:i] + section + rest
		}
	}
	if doc != "" && !strings.HasSuffix(doc, "\n") {
		doc += "\n"
	}
	if doc != "" {
		doc += "\n"
	}
	return doc + section
}

// timeline renders a cell's answers in arrival order as "seconds from the
// first" (two decimals), a 429 marked X, wrapped at about 100 columns.
func timeline(entries []logEntry) string {
	if len(entries) == 0 {
		return "  (no answers)"
	}
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b logEntry) int { return a.Arrived.Compare(b.Arrived) })
	t0 := sorted[0].Arrived
	var b strings.Builder
	line := 0
	for _, e := range sorted {
		s := fmt.Sprintf("%.2f", e.Arrived.Sub(t0).Seconds())
		switch e.Status {
		case 200:
		case 429:
			s += "X"
		default:
			s += fmt.Sprintf("(%d)", e.Status)
		}
		if line > 0 && line+1+len(s) > 100 {
			b.WriteString("\n")
			line = 0
		}
		if line == 0 {
			b.WriteString("  ")
			line = 2
		} else {
			b.WriteString(" ")
			line++
		}
		b.WriteString(s)
		line += len(s)
	}
	return b.String()
}
