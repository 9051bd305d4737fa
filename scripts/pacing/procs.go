package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/apikit/apikit-go/keys"
)

// workerKeyEnv carries a cell's key to its worker processes: in the
// environment, never on the command line, which every user of the machine
// can read.
const workerKeyEnv = "HYPEDATA_API_KEY"

// workerLead is how far ahead a batch with worker processes sets its start
// time: long enough for them to start and build their clients.
const workerLead = 2 * time.Second

// runCellProcs runs cell c as c.Procs separate processes of this program
// (`pacing worker`), each with W goroutines and its share of the calls, on
// the same key and the same cell path, all starting at startAt; and merges
// what they saw. nginx counts the cell as one, as for runCell.
func runCellProcs(ctx context.Context, c cell, baseURL string, key keys.Key, startAt time.Time, skewFirst bool) result {
	r := result{Cell: c}
	exe, err := os.Executable()
	if err != nil {
		r.Failed, r.Errors = c.Calls, []string{fmt.Sprintf("finding this program to start its workers: %v", err)}
		return r
	}
	spec, err := json.Marshal(c)
	if err != nil {
		r.Failed, r.Errors = c.Calls, []string{err.Error()}
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, time.Until(startAt)+cellDeadline(c)+10*time.Second)
	defer cancel()
	type worker struct {
		cmd         *exec.Cmd
		share       int
		out, stderr bytes.Buffer
		err         error
	}
	ws := make([]*worker, c.Procs)
	for i := range ws {
		w := &worker{share: c.Calls / c.Procs}
		if i < c.Calls%c.Procs {
			w.share++
		}
		wspec := spec
		if i == 0 && skewFirst && c.Redis != "" {
			// -fault skew: the first process's clock is off.
			wc := c
			wc.ClockOffset = skewOffset
			if wspec, err = json.Marshal(wc); err != nil {
				r.Failed, r.Errors = c.Calls, []string{err.Error()}
				return r
			}
		}
		w.cmd = exec.CommandContext(ctx, exe, "worker",
			"-cell", string(wspec), "-calls", fmt.Sprint(w.share),
			"-base-url", baseURL, "-start-at", startAt.Format(time.RFC3339Nano))
		w.cmd.Env = append(os.Environ(), workerKeyEnv+"="+key.Reveal())
		w.cmd.Stdout, w.cmd.Stderr = &w.out, &w.stderr
		w.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		w.err = w.cmd.Start()
		ws[i] = w
	}
	var parts []result
	for i, w := range ws {
		if w.err == nil {
			w.err = w.cmd.Wait()
		}
		var part result
		if w.err == nil {
			w.err = json.Unmarshal(w.out.Bytes(), &part)
		}
		if leakCheck([]keys.Key{key}, w.out.Bytes(), w.stderr.Bytes()) != nil {
			r.leaked = true
		}
		if w.err != nil {
			part = result{Cell: c, Failed: w.share, Errors: []string{fmt.Sprintf("worker %d: %v: %s", i, w.err, strings.TrimSpace(w.stderr.String()))}}
		}
		parts = append(parts, part)
	}
	leaked := r.leaked
	r = mergeResults(c, parts)
	r.leaked = leaked
	return r
}

// mergeResults adds up what the worker processes of one cell saw.
func mergeResults(c cell, parts []result) result {
	r := result{Cell: c}
	pacers := map[string]bool{}
	var pacerList []string
	for _, p := range parts {
		if !p.Start.IsZero() && (r.Start.IsZero() || p.Start.Before(r.Start)) {
			r.Start = p.Start
		}
		if p.End.After(r.End) {
			r.End = p.End
		}
		if !p.FirstSign.IsZero() && (r.FirstSign.IsZero() || p.FirstSign.Before(r.FirstSign)) {
			r.FirstSign = p.FirstSign
		}
		r.Failed += p.Failed
		r.Client429 += p.Client429
		// Each process meets the limit on its own: its first wave is
		// what it sent before it saw a 429 itself.
		r.SentEarly += p.SentEarly
		for _, e := range p.Errors {
			if len(r.Errors) < maxErrorTexts && !contains(r.Errors, e) {
				r.Errors = append(r.Errors, e)
			}
		}
		if p.Skipped != "" {
			r.Skipped = p.Skipped
		}
		r.Unshared = max(r.Unshared, p.Unshared)
		if p.SharedAgain.After(r.SharedAgain) {
			r.SharedAgain = p.SharedAgain
		}
		r.Alone = append(r.Alone, p.Alone...)
		if p.Pacer != "" && !pacers[p.Pacer] {
			pacers[p.Pacer] = true
			pacerList = append(pacerList, p.Pacer)
		}
	}
	r.Pacer = strings.Join(pacerList, "; ")
	return r
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// runWorker is `pacing worker`: one process's share of a cell, started by
// runCellProcs. It prints its result as JSON on stdout.
func runWorker(args []string) int {
	fs := flag.NewFlagSet("pacing worker", flag.ContinueOnError)
	spec := fs.String("cell", "", "the cell, as JSON")
	calls := fs.Int("calls", 0, "this process's share of the cell's calls")
	baseURL := fs.String("base-url", "", "the gateway")
	startAt := fs.String("start-at", "", "when to start (RFC 3339), the same for every worker of the cell")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "pacing worker: %v\n", err)
		return 2
	}
	var c cell
	if err := json.Unmarshal([]byte(*spec), &c); err != nil {
		return fail(fmt.Errorf("-cell: %w", err))
	}
	if c.W < 1 || *calls < 0 || *baseURL == "" {
		return fail(errors.New("-cell needs w ≥ 1, -calls ≥ 0 and -base-url"))
	}
	at, err := time.Parse(time.RFC3339Nano, *startAt)
	if err != nil {
		return fail(fmt.Errorf("-start-at: %w", err))
	}
	key, err := keys.Parse(os.Getenv(workerKeyEnv), keys.Hypedata)
	if err != nil {
		return fail(fmt.Errorf("the key in %s: %w", workerKeyEnv, err))
	}
	start := make(chan struct{})
	t := time.AfterFunc(time.Until(at), func() { close(start) })
	defer t.Stop()
	ctx, stop := signalContext()
	defer stop()
	r := runCell(ctx, c, *calls, *baseURL, key, start)
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return fail(err)
	}
	return 0
}
