package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	"github.com/apikit/apikit-go/scan"
)

// History is read from git log's patches, but a patch is used only for
// where lines were added: each added or changed file is scanned whole, as
// it was in that commit (its blob, from git cat-file), and a finding is
// reported when it starts on a line the commit added. So a key is judged
// with the file's own context (the "# envio" line above a UUID that did not
// change), never with the neighbours a patch happens to print; a binary
// file, a gzip or a zip in history is decoded like one in the work tree
// (its findings all reported: its lines are not the patch's); and no line
// of the patch is held, whatever its length.

// patchLog are the options of every git log apikit scan reads history
// from: full blob ids, no rename pairing (a renamed file is scanned as
// added), -U0 (hunks are exactly the added lines), and the message of each
// commit, indented by four spaces, so that a message line cannot pass for
// a patch line.
var patchLog = []string{"-p", "-U0", "--full-index", "--no-renames", "--no-color", "--no-ext-diff", "--no-textconv",
	"--diff-filter=AMT", "--format=commit %H%n%w(0,4,4)%B"}

// history scans every line every commit of the repository at dir added, on
// every ref and in every reflog (so stashes and amended commits too), the
// commit and tag messages, and, with --unreachable, the commits and blobs
// no ref reaches; each finding names its commit.
func (r *scanRun) history(ctx context.Context, dir string) error {
	if err := checkGitSafe(dir); err != nil {
		return fmt.Errorf("--git: %w", err)
	}
	if _, err := gitOutput(ctx, dir, "rev-parse", "--git-dir"); err != nil {
		return fmt.Errorf("--git: %s is not a Git repository (%w)", dir, err)
	}
	h, err := newHistory(ctx, r, dir)
	if err != nil {
		return err
	}
	defer h.close()
	r.base = repoTop(ctx, dir)
	defer func() { r.base = "" }()
	refs, err := gitOutput(ctx, dir, "for-each-ref", "--format=%(refname)")
	if err != nil {
		return err
	}
	var errs []error
	// An unborn HEAD (git init && git fetch, a mirror whose HEAD names a
	// missing branch) has no commits of its own; the refs fetched do.
	if len(bytes.TrimSpace(refs)) > 0 {
		errs = append(errs, h.log(append([]string{"log", "--all", "--reflog"}, patchLog...)...))
		if bytes.Contains(refs, []byte("refs/stash\n")) {
			// A stash is a merge of HEAD and the index: its work-tree
			// changes are its diff to its first parent, each stash of the
			// stash reflog.
			errs = append(errs, h.log(append([]string{"log", "--walk-reflogs", "--diff-merges=first-parent", "refs/stash"}, patchLog...)...))
		}
		errs = append(errs, h.tags())
	}
	if r.o.unreachable {
		errs = append(errs, h.unreachable())
	}
	return errors.Join(errs...)
}

// stagedLines scans the lines staged for the next commit in dir: each
// staged file as it is in the index, reporting the findings on lines the
// index adds.
func (r *scanRun) stagedLines(ctx context.Context, dir string) error {
	if err := checkGitSafe(dir); err != nil {
		return fmt.Errorf("--staged: %w", err)
	}
	if !inWorkTree(ctx, dir) {
		return fmt.Errorf("--staged: %s is not in a Git work tree", dir)
	}
	h, err := newHistory(ctx, r, dir)
	if err != nil {
		return err
	}
	defer h.close()
	r.base = repoTop(ctx, dir)
	defer func() { r.base = "" }()
	return h.log("diff", "--cached", "-U0", "--full-index", "--no-renames", "--no-color", "--no-ext-diff",
		"--no-textconv", "--diff-filter=AMT")
}

// repoTop returns the absolute folder the paths of the repository at dir
// are relative to in git's patches: the work tree's top, or the Git
// directory of a bare repository.
func repoTop(ctx context.Context, dir string) string {
	for _, arg := range []string{"--show-toplevel", "--absolute-git-dir"} {
		if out, err := gitOutput(ctx, dir, "rev-parse", arg); err == nil && len(bytes.TrimSpace(out)) > 0 {
			return string(bytes.TrimSpace(out))
		}
	}
	return ""
}

// historyScan is one repository's history being scanned: a git cat-file
// process that hands out blobs, and the scan's output.
type historyScan struct {
	r   *scanRun
	ctx context.Context
	dir string
	cat *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func newHistory(ctx context.Context, r *scanRun, dir string) (*historyScan, error) {
	cmd := gitCommand(ctx, dir, "cat-file", "--batch")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("running git cat-file: %w", err)
	}
	return &historyScan{r: r, ctx: ctx, dir: dir, cat: cmd, in: in, out: bufio.NewReaderSize(out, 64<<10)}, nil
}

func (h *historyScan) close() {
	h.in.Close()
	_, _ = io.Copy(io.Discard, h.out)
	_ = h.cat.Wait()
}

// log runs git with args and scans what its patches add.
func (h *historyScan) log(args ...string) error {
	cmd := gitCommand(h.ctx, h.dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("running git %s: %w", args[0], err)
	}
	p := &patchScanner{h: h, r: h.r, ctx: h.ctx}
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
		if args[0] == "log" {
			msg += " (the history git had not printed yet was not scanned)"
		}
		return fmt.Errorf("git %s in %s: %s", args[0], h.dir, msg)
	}
	return nil
}

// blob scans the blob id as the file path of commit, reporting the
// findings for which keep says yes.
func (h *historyScan) blob(id, path, commit string, keep func(scan.Finding) bool) error {
	if _, err := io.WriteString(h.in, id+"\n"); err != nil {
		return fmt.Errorf("git cat-file: %w", err)
	}
	header, err := h.out.ReadString('\n')
	if err != nil {
		return fmt.Errorf("git cat-file: reading the object %s: %w", id, err)
	}
	f := strings.Fields(header)
	if len(f) != 3 {
		return fmt.Errorf("%s in commit %s: its content (object %s) could not be read: git cat-file says %q", path, short(commit), id, strings.TrimSpace(header))
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return fmt.Errorf("git cat-file: object %s: %q", id, strings.TrimSpace(header))
	}
	content := io.LimitReader(h.out, size)
	name := path
	if commit != "" {
		name += " in commit " + short(commit)
	}
	serr := h.r.reader(h.ctx, name, content, func(fd scan.Finding) error {
		if keep != nil && !keep(fd) {
			return nil
		}
		if err := h.r.report(path, commit, fd); err != nil {
			return reportError{err}
		}
		return nil
	})
	// What the scan did not read (a binary file, past --max-file-size),
	// and the newline after the object.
	if _, err := io.Copy(io.Discard, content); err != nil {
		return fmt.Errorf("git cat-file: reading the object %s: %w", id, err)
	}
	if _, err := h.out.ReadByte(); err != nil {
		return fmt.Errorf("git cat-file: reading the object %s: %w", id, err)
	}
	return serr
}

func short(commit string) string { return commit[:min(12, len(commit))] }

// tags scans the messages of annotated tags.
func (h *historyScan) tags() error {
	out, err := gitOutput(h.ctx, h.dir, "for-each-ref", "refs/tags", "--format=%(objecttype) %(objectname) %(refname:short)")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 || f[0] != "tag" {
			continue // a lightweight tag: a commit, scanned with the others
		}
		if err := h.blob(f[1], "(message of tag "+f[2]+")", "", nil); err != nil {
			if err := fatal(h.ctx, err); err != nil {
				return err
			}
			h.r.fail(err)
		}
	}
	return nil
}

// unreachable scans the commits and blobs no ref and no reflog reaches (a
// commit reset away and expired from the reflog, a file added to the index
// and never committed), as git fsck lists them.
func (h *historyScan) unreachable() error {
	out, err := gitOutput(h.ctx, h.dir, "fsck", "--unreachable", "--no-reflogs", "--no-progress")
	if err != nil {
		return fmt.Errorf("--unreachable: %w", err)
	}
	var commits []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "unreachable" {
			continue
		}
		switch f[1] {
		case "commit":
			commits = append(commits, f[2])
		case "blob":
			if err := h.blob(f[2], "(unreachable blob "+short(f[2])+")", "", nil); err != nil {
				if err := fatal(h.ctx, err); err != nil {
					return err
				}
				h.r.fail(err)
			}
		}
	}
	if len(commits) == 0 {
		return nil
	}
	return h.log(append(append([]string{"log", "--no-walk=unsorted"}, patchLog...), commits...)...)
}

// patchScanner reads a patch (git log -p -U0 --full-index, or git diff)
// for what each commit added: the added line ranges of each file (hunk
// headers) and its new blob (index line); then scans the blob. Commit
// messages are scanned as text. It holds one file's ranges and one
// message, never a patch line.
type patchScanner struct {
	h      *historyScan
	r      *scanRun
	ctx    context.Context
	commit string
	// the file being read: its path, new blob, and the line ranges added
	path    string
	blob    string
	binary  bool
	gitlink bool     // a submodule's commit, not a file
	ranges  [][2]int // [first, last] added lines
	// the commit message being read
	inMessage bool
	message   bytes.Buffer
}

// maxMessage bounds the commit message held for a scan.
const maxMessage = 16 << 20

func (p *patchScanner) read(rd io.Reader) error {
	br := bufio.NewReaderSize(rd, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		long := false
		for errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: an added line of a minified
			// file, say; only its start can matter here (a header, a
			// message line).
			if p.inMessage && p.message.Len() < maxMessage {
				p.message.Write(line)
			}
			long = true
			line, err = br.ReadSlice('\n')
		}
		if len(line) > 0 {
			if ferr := p.line(line, long); ferr != nil {
				return ferr
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

// line handles one line of the patch (long: the end of a line whose start
// was already seen).
func (p *patchScanner) line(line []byte, long bool) error {
	if long {
		if p.inMessage && p.message.Len() < maxMessage {
			p.message.Write(line)
		}
		return nil
	}
	switch {
	case bytes.HasPrefix(line, []byte("commit ")):
		if err := p.flush(); err != nil {
			return err
		}
		p.commit = strings.TrimSpace(string(line[len("commit "):]))
		p.inMessage = p.h != nil
	case p.inMessage && (bytes.HasPrefix(line, []byte("    ")) || len(bytes.TrimSpace(line)) == 0):
		if p.message.Len() < maxMessage {
			p.message.Write(bytes.TrimPrefix(line, []byte("    ")))
		}
	case bytes.HasPrefix(line, []byte("diff --git ")), bytes.HasPrefix(line, []byte("diff --cc ")):
		if err := p.flush(); err != nil {
			return err
		}
	case bytes.HasPrefix(line, []byte("index ")):
		// index <old>..<new> [mode]
		f := strings.Fields(string(line[len("index "):]))
		if len(f) > 0 {
			if _, nb, ok := strings.Cut(f[0], ".."); ok {
				p.blob = nb
			}
		}
		if len(f) > 1 && f[1] == "160000" {
			p.gitlink = true
		}
	case bytes.HasPrefix(line, []byte("new file mode 160000")), bytes.HasPrefix(line, []byte("new mode 160000")):
		p.gitlink = true // a submodule: its commit is another repository's, not a file here
	case bytes.HasPrefix(line, []byte("+++ ")):
		p.path = diffPath(string(bytes.TrimRight(line[4:], "\r\n")))
	case bytes.HasPrefix(line, []byte("Binary files ")):
		p.binary = true
		if p.path == "" {
			p.path = binaryPath(string(bytes.TrimRight(line, "\r\n")))
		}
	case bytes.HasPrefix(line, []byte("@@ ")):
		if first, n := hunkRange(line); n > 0 {
			p.ranges = append(p.ranges, [2]int{first, first + n - 1})
		}
	}
	return nil
}

// flush scans what the patch said of the file (or the message) just read.
func (p *patchScanner) flush() error {
	if p.inMessage {
		p.inMessage = false
		msg := bytes.TrimRight(p.message.Bytes(), "\n")
		p.message.Reset()
		if len(msg) > 0 {
			commit := p.commit
			err := p.r.s.Scan(p.ctx, bytes.NewReader(msg), func(f scan.Finding) error {
				return p.r.report("(message of commit)", commit, f)
			})
			if err != nil {
				return fmt.Errorf("scanning the message of commit %s: %w", short(commit), err)
			}
		}
	}
	path, blob, binary, ranges, gitlink := p.path, p.blob, p.binary, p.ranges, p.gitlink
	p.path, p.blob, p.binary, p.ranges, p.gitlink = "", "", false, p.ranges[:0], false
	if gitlink || path == "" || blob == "" || strings.Trim(blob, "0") == "" || (!binary && len(ranges) == 0) || p.h == nil {
		return nil // deleted, a mode change, nothing added
	}
	added := func(f scan.Finding) bool {
		if binary || strings.HasPrefix(f.Chain, "gzip") || strings.HasPrefix(f.Chain, "zip:") || strings.HasPrefix(f.Chain, "utf16") {
			return true // its lines are not the patch's: every finding is new to this commit's file
		}
		for _, r := range ranges {
			if f.Line >= r[0] && f.Line <= r[1] {
				return true
			}
		}
		return false
	}
	if err := p.h.blob(blob, path, p.commit, added); err != nil {
		if err := fatal(p.ctx, err); err != nil {
			return err
		}
		p.r.fail(err) // this file is not read; the others are
	}
	return nil
}

// fatal returns the error that must end the scan (the context's, or one
// writing the output), or nil for a part that could not be read.
func fatal(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var re reportError
	if errors.As(err, &re) {
		return re.err
	}
	return nil
}

// reportError is an error writing a finding out: it ends the scan.
type reportError struct{ err error }

func (e reportError) Error() string { return e.err.Error() }

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

// binaryPath returns the new path of "Binary files a/x and b/y differ"
// (or "/dev/null and b/y").
func binaryPath(s string) string {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "Binary files "), " differ")
	i := strings.LastIndex(s, " and ")
	if i < 0 {
		return ""
	}
	return diffPath(s[i+len(" and "):])
}

// hunkRange returns the new file's first line and line count of a hunk
// header "@@ -a,b +c,d @@" (d is 1 when left out).
func hunkRange(h []byte) (first, n int) {
	s := string(h)
	i := strings.Index(s, " +")
	if i < 0 {
		return 0, 0
	}
	s = s[i+2:]
	end := strings.IndexByte(s, ' ')
	if end < 0 {
		return 0, 0
	}
	s = s[:end]
	n = 1
	if c, d, ok := strings.Cut(s, ","); ok {
		var err error
		if n, err = strconv.Atoi(d); err != nil {
			return 0, 0
		}
		s = c
	}
	first, err := strconv.Atoi(s)
	if err != nil || first < 0 || n < 0 {
		return 0, 0
	}
	return first, n
}
