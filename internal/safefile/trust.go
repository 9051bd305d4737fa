package safefile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxLinks bounds the symbolic links Audit follows (the kernel's own bound
// is 40); past it the reader reports the loop.
const maxLinks = 40

// Problem is one reason a file cannot be trusted: who else can change it,
// and the command that stops them.
type Problem struct {
	// Path is what is at fault: the file, a symbolic link on the way to
	// it, or a directory that holds one of them.
	Path string
	// Kind is "file", "symbolic link" or "directory".
	Kind string
	// What says what is wrong: "is writable by others (mode 0666)".
	What string
	// Fix is the one command (or step) that repairs it: "chmod go-w
	// /home/me/.config/apikit/config.yaml".
	Fix string
}

// Error says it in one line, with the path, the danger and the fix.
func (p Problem) Error() string {
	return fmt.Sprintf("%s %s %s, so another user can change what it says (a command it runs, where a key is sent); fix: %s",
		p.Kind, p.Path, p.What, p.Fix)
}

// UntrustedError is Check's error: every problem Audit found. Its text is
// the first problem's, and how many more there are.
type UntrustedError struct {
	Problems []Problem
}

func (e *UntrustedError) Error() string {
	msg := "refused: " + e.Problems[0].Error()
	if n := len(e.Problems) - 1; n > 0 {
		noun := "problems"
		if n == 1 {
			noun = "problem"
		}
		msg += fmt.Sprintf(" (and %d more such %s; apikit doctor lists them)", n, noun)
	}
	return msg
}

// Check is Audit as an error: nil when the file may be trusted (or does not
// exist), else an *UntrustedError.
func Check(path string) error {
	if ps := Audit(path); len(ps) > 0 {
		return &UntrustedError{Problems: ps}
	}
	return nil
}

// Audit judges the file at path as ssh's StrictModes judges its config:
// the file, each symbolic link that leads to it, and the directory that
// holds each of them must be owned by the user running this program (or by
// root), and none may be writable by its group or by others — a directory
// with the sticky bit (/tmp) aside, as there no one may rename or remove
// another's file. It follows every link, so a planted link to another
// user's file is found, and names each problem once. A file that does not
// exist has nothing to judge (the reader says it is missing); on systems
// without unix owners and modes, Audit finds nothing.
func Audit(path string) []Problem {
	if !ownersKnown {
		return nil
	}
	a := auditor{me: os.Geteuid(), dirs: map[string]bool{}}
	p := path
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	for range maxLinks {
		li, err := os.Lstat(p)
		if err != nil {
			return a.found // missing, or unreadable: the reader says why
		}
		a.dir(filepath.Dir(p))
		if li.Mode()&fs.ModeSymlink == 0 {
			if li.Mode().IsRegular() { // anything else the reader refuses, saying what it is
				a.entry(p, li, "file")
			}
			return a.found
		}
		a.entry(p, li, "symbolic link")
		t, err := os.Readlink(p)
		if err != nil {
			return a.found
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = filepath.Clean(t)
	}
	return a.found
}

// AuditDir judges a directory a file is about to be written in, as Audit
// judges the directory of a file it reads: owned by the user or root,
// writable by no one else unless sticky.
func AuditDir(dir string) []Problem {
	if !ownersKnown {
		return nil
	}
	a := auditor{me: os.Geteuid(), dirs: map[string]bool{}}
	a.dir(dir)
	return a.found
}

// TrustedInfo judges a file already open (its fstat) by owner and mode
// alone, for a reader that checks again after opening: the path may have
// been swapped since Audit looked.
func TrustedInfo(path string, info fs.FileInfo) error {
	if !ownersKnown {
		return nil
	}
	a := auditor{me: os.Geteuid()}
	a.entry(path, info, "file")
	if len(a.found) > 0 {
		return &UntrustedError{Problems: a.found}
	}
	return nil
}

// auditor collects what Audit finds.
type auditor struct {
	me    int
	dirs  map[string]bool // directories already judged
	found []Problem
}

// dir judges a directory that holds the file or a link to it.
func (a *auditor) dir(d string) {
	if a.dirs[d] {
		return
	}
	a.dirs[d] = true
	info, err := os.Stat(d)
	if err != nil {
		return
	}
	if uid, ok := ownerOf(info); ok && uid != a.me && uid != 0 {
		a.add(d, "directory", "is owned by "+userName(uid)+", not by you or root", fmt.Sprintf("chown %s %s (as root), or move the file to a directory of your own", userName(a.me), shellQuote(d)))
	}
	if m := info.Mode(); m.Perm()&0o022 != 0 && m&fs.ModeSticky == 0 {
		a.add(d, "directory", fmt.Sprintf("is %s (mode %04o): they can put a file of their own in its place", writableBy(m), m.Perm()), "chmod go-w "+shellQuote(d))
	}
}

// entry judges the file, or a link on the way to it.
func (a *auditor) entry(p string, info fs.FileInfo, kind string) {
	if uid, ok := ownerOf(info); ok && uid != a.me && uid != 0 {
		fix := fmt.Sprintf("chown %s %s (as root), or remove it and write a file of your own", userName(a.me), shellQuote(p))
		if kind == "symbolic link" {
			fix = fmt.Sprintf("remove the link (rm %s) and put a file of your own there", shellQuote(p))
		}
		a.add(p, kind, "is owned by "+userName(uid)+", not by you or root", fix)
	}
	if kind == "file" && info.Mode().Perm()&0o022 != 0 {
		a.add(p, kind, fmt.Sprintf("is %s (mode %04o)", writableBy(info.Mode()), info.Mode().Perm()), "chmod go-w "+shellQuote(p))
	}
}

func (a *auditor) add(path, kind, what, fix string) {
	a.found = append(a.found, Problem{Path: path, Kind: kind, What: what, Fix: fix})
}

// writableBy says who else may write: "writable by its group", "writable by
// others", "writable by its group and by others".
func writableBy(m fs.FileMode) string {
	g, o := m.Perm()&0o020 != 0, m.Perm()&0o002 != 0
	switch {
	case g && o:
		return "writable by its group and by others"
	case g:
		return "writable by its group"
	}
	return "writable by others"
}

// shellQuote quotes p for a shell command line when it needs it, so that a
// fix can be pasted as it is.
func shellQuote(p string) string {
	if p != "" && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,:@%=") == "" {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
