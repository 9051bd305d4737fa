package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/apikit/apikit-go/cmd/apikit/internal/termsafe"
	"github.com/apikit/apikit-go/scan"
)

// Exit codes of apikit scan, as a pre-commit hook or CI step reads them.
const (
	scanClean = 0 // no key found
	scanFound = 1 // at least one key found
	scanError = 2 // the scan could not be done (or not all of it)
)

func newScanCmd() *cobra.Command {
	var o scanOptions
	cmd := &cobra.Command{
		Use:   "scan [PATH...]",
		Short: "Find leaked API keys in files, a Git repository's history, or what is staged",
		Long: `Find API keys of every format apikit knows (Hypedata, Hypersave, HopX, HyperSync,
web3.storage) in files and folders (default: the current directory; "-" reads
standard input), in a Git repository's history (--git), or in what is staged
for the next commit (--staged): raw, base64 (wrapped too, or twice), hex,
percent-encoded, \u- or \x-escaped, inside gzip, zip and UTF-16 files.

Folders are walked as Git sees them: in a work tree, files .gitignore ignores
are skipped (--no-ignore scans them too); outside one (an unpacked tarball),
.gitignore hides nothing. One file is read up to --max-file-size (default
100MiB). --git reads every ref and reflog (stashes too), commit and tag
messages, each changed file as it was in its commit; --unreachable adds what
no ref reaches. Git runs with the repository's own commands (fsmonitor,
filters, textconv, external diff, pagers, hooks) turned off. A UUID counts as
a HyperSync token only next to a word naming it (ENVIO_API_TOKEN=,
"hypersync", "envio"); a JWT as a web3.storage token only when its claims
say so; placeholders and the vendors' documentation examples are not
reported.

Each finding is printed as
  path:line:col: <service> <redacted key> (<fingerprint>)
never with the key itself, and how it was written when not raw (base64,
percent, gzip, zip:app.env, base64>base64); --json prints one JSON object per
line (path, line, column, service, redacted, fingerprint, encoding, chain,
commit), --sarif a SARIF 2.1.0 log for GitHub code scanning.

Exit codes: 0 no key found, 1 keys found, 2 the scan failed or did not read
everything (a path that cannot be read, a file larger than --max-file-size,
a named pipe, not a Git repository); the findings it made are printed all
the same.`,
		Example: `  apikit scan                      # the current directory
  apikit scan --git .              # every commit of the repository
  apikit scan --staged             # what the next commit adds (the pre-commit hook runs this)
  apikit scan --sarif . > apikit.sarif
  kubectl get secret app -o yaml | apikit scan -
  apikit scan install-hook         # refuse commits that add a key`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.json, _ = cmd.Flags().GetBool("json")
			return o.run(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.git, "git", false, "scan the history of the Git repository at PATH (every line added)")
	f.BoolVar(&o.staged, "staged", false, "scan the lines staged for the next commit in the repository at PATH")
	f.BoolVar(&o.sarif, "sarif", false, "print a SARIF 2.1.0 log (for GitHub code scanning) instead of lines")
	f.BoolVar(&o.genericJWT, "generic-jwt", false, "also report JWTs that are not web3.storage tokens, as service \"JWT\"")
	f.BoolVar(&o.examples, "examples", false, "also report vendors' documentation example keys (they never exit 1)")
	f.BoolVar(&o.unreachable, "unreachable", false, "with --git, also scan the commits and blobs no ref reaches")
	f.BoolVar(&o.noIgnore, "no-ignore", false, "in a Git work tree, also scan what .gitignore hides")
	o.maxSize = defaultMaxFileSize
	f.Var((*sizeFlag)(&o.maxSize), "max-file-size", "scan at most this much of one file, e.g. 2GiB")
	cmd.AddCommand(newInstallHookCmd())
	return cmd
}

type scanOptions struct {
	git, staged, sarif, json, examples bool
	genericJWT                         bool
	maxSize                            int64 // bytes read of one file at most
	noIgnore                           bool  // scan what .gitignore hides, in a work tree
	unreachable                        bool  // --git: also the commits and blobs no ref reaches
}

// scanRun is one apikit scan: its scanner, its output and its tally.
type scanRun struct {
	o       scanOptions
	s       *scan.Scanner
	in      io.Reader
	out     io.Writer
	errw    io.Writer
	found   int
	errs    int
	reasons []string // each path's reason, scrubbed: --json prints them in its one error
	results []sarifResult
	base    string // the absolute folder reported paths are relative to ("": the working directory)
}

func (o scanOptions) run(ctx context.Context, in io.Reader, out, errw io.Writer, args []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	switch {
	case o.git && o.staged:
		return usagef("--git and --staged: choose one (history, or what is staged)")
	case o.json && o.sarif:
		return usagef("--json and --sarif: choose one output format")
	case o.unreachable && !o.git:
		return usagef("--unreachable goes with --git (it scans history no ref reaches)")
	}
	// WithKeys: a finding's key, to redact it from a path named with it
	// (redactPath); it never prints.
	opts := []scan.Option{scan.WithKeys()}
	if o.examples {
		opts = append(opts, scan.WithExamples())
	}
	if o.genericJWT {
		opts = append(opts, scan.WithGenericJWTs())
	}
	s, err := scan.New(opts...)
	if err != nil {
		return scanFailed(err)
	}
	r := &scanRun{o: o, s: s, in: in, out: out, errw: errw}
	if len(args) == 0 {
		args = []string{"."}
	}
	for _, p := range args {
		switch {
		case o.git:
			err = r.history(ctx, p)
		case o.staged:
			err = r.stagedLines(ctx, p)
		default:
			err = r.path(ctx, p)
		}
		if err != nil {
			if ctx.Err() != nil {
				return scanFailed(ctx.Err())
			}
			r.fail(err) // and go on with the other paths
		}
	}
	if o.sarif {
		root, _ := os.Getwd()
		if err := writeSARIF(out, r.results, root); err != nil {
			return scanFailed(err)
		}
	}
	switch {
	case r.errs > 0:
		msg := fmt.Sprintf("%d %s could not be scanned", r.errs, plural(r.errs, "path", "paths"))
		if o.json { // stdout gets the {"error": …} a script reads, with every path's reason, once
			if r.errs == 1 {
				return scanFailed(errors.New(r.reasons[0]))
			}
			reasons := strings.Join(r.reasons, "; ")
			if more := r.errs - len(r.reasons); more > 0 {
				reasons += fmt.Sprintf("; and %d more", more)
			}
			return scanFailed(fmt.Errorf("%s: %s", msg, reasons))
		}
		return withCode(scanError, silentError{msg}) // each path's reason is printed already
	case r.found > 0:
		fmt.Fprintln(errw, foundAdvice(r.found))
		return withCode(scanFound, silentError{"keys found"})
	}
	return nil
}

// scanFailed is a scan that could not be done: exit 2, as for a usage
// error, but of kind "error" in --json, since the command line was right.
func scanFailed(err error) error {
	return withKind(scanError, "error", err)
}

// foundAdvice is what to do about n keys found: rotate or revoke each (a
// rotation needs the key's id, which keys list shows beside the redacted
// key scan printed), then remove it from the files and the history.
func foundAdvice(n int) string {
	if n == 1 {
		return "apikit: 1 key found: rotate or revoke it (apikit keys rotate <service> <key-id>; apikit keys list <service> " +
			"shows its id beside the redacted key), then remove it from the files and the history"
	}
	return fmt.Sprintf("apikit: %d keys found: rotate or revoke each (apikit keys rotate <service> <key-id>; apikit keys list <service> "+
		"shows their ids beside the redacted keys), then remove them from the files and the history", n)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// report prints one finding at path (in commit, for history).
func (r *scanRun) report(path, commit string, f scan.Finding) error {
	if !f.Example { // a documentation example (--examples) is shown, not counted
		r.found++
	}
	path = redactPath(path, f)
	switch {
	case r.o.sarif:
		r.results = append(r.results, sarifResult{path: path, base: r.base, commit: commit, f: f})
		return nil
	case r.o.json:
		v := struct {
			Path        string `json:"path"`
			Line        int    `json:"line"`
			Column      int    `json:"column"`
			Service     string `json:"service"`
			Redacted    string `json:"redacted"`
			Fingerprint string `json:"fingerprint"`
			Encoding    string `json:"encoding"`
			Chain       string `json:"chain"`
			Commit      string `json:"commit,omitempty"`
			Example     bool   `json:"example,omitempty"`
		}{filepath.ToSlash(path), f.Line, f.Column, f.Service, f.Redacted, f.Fingerprint, f.Encoding.String(), f.Chain, commit, f.Example}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(r.out, "%s\n", b)
		return err
	}
	// The path may hold an escape sequence or a line break (a file name is
	// the repository author's choice): printed escaped, it cannot retitle
	// the terminal, hide lines or forge a finding.
	line := termsafe.Path(path) + ":" + f.String() // the finding's own line: position, service, redacted key, fingerprint
	if commit != "" {
		line += " in commit " + commit[:min(12, len(commit))]
	}
	_, err := fmt.Fprintln(r.out, line)
	return err
}

// redactPath returns path with the finding's own key, where the file is
// named with it (a key saved as hd_live_….txt, a secret mounted under its
// value), shown redacted as the finding shows it: no output holds a key.
func redactPath(path string, f scan.Finding) string {
	if secret := f.Key().Reveal(); secret != "" && strings.Contains(path, secret) {
		return strings.ReplaceAll(path, secret, f.Redacted)
	}
	return path
}

// fail notes a path that could not be scanned and goes on with the others.
func (r *scanRun) fail(err error) {
	r.errs++
	msg := scrub(err.Error())
	if r.o.json { // said once, in the {"error": …} at the end (the first 20)
		if len(r.reasons) < 20 {
			r.reasons = append(r.reasons, msg)
		}
		return
	}
	fmt.Fprintf(r.errw, "apikit: %s\n", termsafe.Text(msg)) // it names a path
}

// path scans a file, every file of a folder, or "-", standard input.
func (r *scanRun) path(ctx context.Context, p string) error {
	if p == "-" {
		return r.reader(ctx, "-", r.in, func(f scan.Finding) error { return r.report("-", "", f) })
	}
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("scanning %s: %w", p, err)
	}
	if !st.IsDir() {
		return r.file(ctx, p, func(f scan.Finding) error { return r.report(p, "", f) })
	}
	files, unread, err := r.listFiles(ctx, p)
	if err != nil {
		return err
	}
	for _, e := range unread {
		r.fail(e) // a folder it could not list, a .gitignore git would block on: said, and the rest is scanned
	}
	return r.files(ctx, files)
}

// files scans files on every core, in batches, and reports each file's
// findings in the order of files, as one goroutine would.
func (r *scanRun) files(ctx context.Context, files []string) error {
	workers := runtime.GOMAXPROCS(0)
	batch := 8 * workers
	type result struct {
		findings []scan.Finding
		err      error
	}
	for len(files) > 0 {
		n := min(batch, len(files))
		results := make([]result, n)
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < min(workers, n); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					results[i].err = r.file(ctx, files[i], func(f scan.Finding) error {
						results[i].findings = append(results[i].findings, f)
						return nil
					})
				}
			}()
		}
		wg.Wait()
		for i, res := range results {
			for _, f := range res.findings {
				if err := r.report(files[i], "", f); err != nil {
					return err
				}
			}
			if res.err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r.fail(res.err)
			}
		}
		files = files[n:]
	}
	return nil
}

// file scans one file and calls fn with each finding. A path that is not
// a regular file (a named pipe, a device) is not opened for a blocking
// read: it is an error, reported, and the scan goes on with the other
// paths.
func (r *scanRun) file(ctx context.Context, p string, fn func(scan.Finding) error) error {
	f, _, err := openRegular(p)
	if err != nil {
		return fmt.Errorf("scanning %s: %w", p, err)
	}
	defer f.Close()
	return r.reader(ctx, p, f, fn)
}

// reader scans what rd holds (named name in errors), up to the size cap
// (--max-file-size): a longer input is scanned up to the cap and reported
// as not read in full. Binary files are scanned too: a text file with an
// early NUL byte is binary to Git, and a key in a binary is still a key
// (gzip, zip and UTF-16 are decoded first).
func (r *scanRun) reader(ctx context.Context, name string, rd io.Reader, fn func(scan.Finding) error) error {
	limit := r.o.maxSize
	if limit <= 0 {
		limit = defaultMaxFileSize
	}
	lr := &io.LimitedReader{R: rd, N: limit + 1}
	if err := r.s.Scan(ctx, io.LimitReader(lr, limit), fn); err != nil {
		return fmt.Errorf("scanning %s: %w", name, err)
	}
	if lr.N == 1 && moreThan(lr) {
		return fmt.Errorf("scanning %s: only its first %s were scanned: it is larger than --max-file-size (raise it to scan the rest)", name, sizeText(limit))
	}
	return nil
}

// moreThan reports whether r has a byte left.
func moreThan(r io.Reader) bool {
	var b [1]byte
	n, _ := io.ReadFull(r, b[:])
	return n == 1
}

// defaultMaxFileSize is the most apikit scan reads of one file (or of
// standard input) unless --max-file-size says otherwise.
const defaultMaxFileSize = 100 << 20

// listFiles returns the files under dir: in a Git work tree, as Git lists
// them (tracked, and untracked but not ignored; with --no-ignore, ignored
// ones too); elsewhere (an unpacked tarball, a CI artifact) every file but
// those in .git folders, since .gitignore says what a repository's author
// did not commit, and outside a repository those files were shipped all the
// same. unread are the parts it could not list (a folder it may not read; a
// .gitignore git would block on, in which case the folder is walked as
// outside a repository), reported beside the files.
func (r *scanRun) listFiles(ctx context.Context, dir string) (files []string, unread []error, err error) {
	if blockErr := checkGitSafe(dir); blockErr != nil {
		unread = append(unread, blockErr)
	} else if inWorkTree(ctx, dir) {
		args := []string{"ls-files", "-z", "--cached", "--others"}
		if !r.o.noIgnore {
			args = append(args, "--exclude-standard")
		}
		out, err := gitOutput(ctx, dir, args...)
		if err != nil {
			return nil, nil, err
		}
		seen := map[string]bool{}
		for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
			if rel == "" || seen[rel] {
				continue
			}
			seen[rel] = true
			p := filepath.Join(dir, filepath.FromSlash(rel))
			if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() {
				files = append(files, p) // a tracked file deleted since is gone, not an error
			}
		}
		return files, nil, nil
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			// A folder it cannot list: say so, and scan the rest.
			unread = append(unread, fmt.Errorf("listing %s: %w", p, err))
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != dir {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, unread, fmt.Errorf("listing %s: %w", dir, err)
	}
	return files, unread, nil
}

// inWorkTree reports whether dir is inside a Git work tree (and git runs).
func inWorkTree(ctx context.Context, dir string) bool {
	out, err := gitOutput(ctx, dir, "rev-parse", "--is-inside-work-tree")
	return err == nil && strings.TrimSpace(string(out)) == "true"
}
