package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/apikit/apikit-go/scan"
)

// history scans every line every commit of the repository at dir added, on
// every ref (git log -p --all), naming the commit of each finding.
func (r *scanRun) history(ctx context.Context, dir string) error {
	if err := checkGitSafe(dir); err != nil {
		return fmt.Errorf("--git: %w", err)
	}
	if !inWorkTree(ctx, dir) {
		if _, err := gitOutput(ctx, dir, "rev-parse", "--git-dir"); err != nil {
			return fmt.Errorf("--git: %s is not a Git repository (%w)", dir, err)
		}
	}
	if _, err := gitOutput(ctx, dir, "rev-parse", "--verify", "-q", "HEAD"); err != nil {
		return nil // no commit yet: no history to scan
	}
	return r.diff(ctx, dir, "log", "-p", "-U0", "--all", "--full-history", "--no-color", "--no-ext-diff",
		"--no-textconv", "--diff-filter=AMRC", "--format=commit %H")
}

// stagedLines scans the lines staged for the next commit in dir.
func (r *scanRun) stagedLines(ctx context.Context, dir string) error {
	if err := checkGitSafe(dir); err != nil {
		return fmt.Errorf("--staged: %w", err)
	}
	if !inWorkTree(ctx, dir) {
		return fmt.Errorf("--staged: %s is not in a Git work tree", dir)
	}
	return r.diff(ctx, dir, "diff", "--cached", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--diff-filter=AMRC")
}

// diff runs git with args in dir and scans the lines its patch output adds,
// streaming: memory is bounded by one file's added lines in one commit (and
// flushed every diffFlush bytes).
func (r *scanRun) diff(ctx context.Context, dir string, args ...string) error {
	cmd := gitCommand(ctx, dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("running git %s: %w", args[0], err)
	}
	p := &patchScanner{r: r, ctx: ctx}
	perr := p.read(stdout)
	if perr != nil {
		_, _ = io.Copy(io.Discard, stdout)
	}
	werr := cmd.Wait()
	switch {
	case perr != nil:
		return perr
	case werr != nil:
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = werr.Error()
		}
		return fmt.Errorf("git %s in %s: %s", args[0], dir, msg)
	}
	return nil
}

// diffFlush bounds the added lines held for one file before they are
// scanned.
const diffFlush = 8 << 20

// patchScanner collects the added lines of each file of each commit of a
// patch and scans them, mapping each finding back to the file's line.
type patchScanner struct {
	r      *scanRun
	ctx    context.Context
	commit string
	path   string
	buf    bytes.Buffer
	lines  []int // lines[i]: the file's line number of the buffer's line i+1
}

func (p *patchScanner) read(rd io.Reader) error {
	br := bufio.NewReaderSize(rd, 256<<10)
	next := 0 // the new file's line number of the next added line
	inHunk := false
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the reader's buffer: gather it whole.
			long := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
				if len(long) > diffFlush {
					break // keep the first part; a key is not that long
				}
			}
			line = long
		}
		if len(line) > 0 {
			switch {
			case bytes.HasPrefix(line, []byte("commit ")):
				if err := p.flush(); err != nil {
					return err
				}
				p.commit = strings.TrimSpace(string(line[len("commit "):]))
				inHunk = false
			case bytes.HasPrefix(line, []byte("diff --git ")):
				if err := p.flush(); err != nil {
					return err
				}
				p.path, inHunk = "", false
			case !inHunk && bytes.HasPrefix(line, []byte("+++ ")):
				p.path = diffPath(string(bytes.TrimRight(line[4:], "\r\n")))
			case bytes.HasPrefix(line, []byte("@@ ")):
				next, inHunk = hunkStart(line), true
			case inHunk && line[0] == '+':
				if p.path != "" {
					p.buf.Write(line[1:])
					if line[len(line)-1] != '\n' {
						p.buf.WriteByte('\n')
					}
					p.lines = append(p.lines, next)
					if p.buf.Len() > diffFlush {
						if err := p.flush(); err != nil {
							return err
						}
					}
				}
				next++
			case inHunk && line[0] == ' ':
				next++
			}
		}
		if errors.Is(err, io.EOF) {
			return p.flush()
		}
		if err != nil {
			return err
		}
	}
}

// flush scans the lines gathered for the current file.
func (p *patchScanner) flush() error {
	if p.buf.Len() == 0 {
		return nil
	}
	defer func() { p.buf.Reset(); p.lines = p.lines[:0] }()
	return p.r.s.Scan(p.ctx, bytes.NewReader(p.buf.Bytes()), func(f scan.Finding) error {
		if f.Line-1 < len(p.lines) {
			f.Line = p.lines[f.Line-1]
		}
		return p.r.report(p.path, p.commit, f)
	})
}

// diffPath returns the path of a "+++ b/path" header; "" for /dev/null.
// Git ends the header with a TAB when the path holds a space (and quotes a
// path that holds a TAB itself), so one trailing TAB is not the path's. A
// quoted path is unquoted into its bytes: the text output escapes it again
// (termsafe.Path), --json and --sarif encode it.
func diffPath(s string) string {
	s = strings.TrimSuffix(s, "\t")
	if s == "/dev/null" {
		return ""
	}
	if u, err := strconv.Unquote(s); err == nil {
		s = u // a quoted path, with escapes
	}
	return strings.TrimPrefix(s, "b/")
}

// hunkStart returns the new file's first line number of a hunk header
// "@@ -a,b +c,d @@".
func hunkStart(h []byte) int {
	s := string(h)
	i := strings.Index(s, " +")
	if i < 0 {
		return 1
	}
	s = s[i+2:]
	end := strings.IndexAny(s, ", ")
	if end < 0 {
		return 1
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil || n < 1 {
		return 1 // +0,0: a hunk that adds nothing
	}
	return n
}
