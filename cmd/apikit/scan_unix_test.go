//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/apikit/apikit-go/keys"
)

// TestScanFIFO: a FIFO named on the command line is not waited on: it is
// reported (exit 2) and the other paths are scanned; in a folder, it is
// not a file to scan.
func TestScanFIFO(t *testing.T) {
	u := newUser(t)
	if err := syscall.Mkfifo(filepath.Join(u.cwd, "pipe"), 0o600); err != nil {
		t.Fatal(err)
	}
	k := newKey(t, keys.Hypedata)
	u.writeFile("project/after.env", "K="+k.Reveal()+"\n", 0o600)
	r := u.must(scanError, "", "scan", "pipe", "after.env")
	if !strings.Contains(r.stderr, "pipe: unreadable: is a named pipe") || !strings.Contains(r.stdout, "after.env:1:3: Hypedata") {
		t.Errorf("scan pipe after.env: the pipe not reported or the file after it not scanned:\n%s", r)
	}
	if err := os.Remove(filepath.Join(u.cwd, "after.env")); err != nil {
		t.Fatal(err)
	}
	u.must(scanClean, "", "scan", ".")
}

// TestScanFIFOGitFiles: a named pipe where git reads a file (.gitignore,
// .gitattributes, .mailmap, .git/info/exclude) never hangs apikit scan (git
// itself would block on it for ever): scan . lists the folder without git
// and says why; --git and --staged refuse, naming the pipe; exit 2.
func TestScanFIFOGitFiles(t *testing.T) {
	for _, name := range []string{".gitignore", "sub/.gitignore", ".gitattributes", ".mailmap", ".git/info/exclude"} {
		t.Run(name, func(t *testing.T) {
			u := newUser(t)
			u.git("init", "-q", "-b", "main")
			k := newKey(t, keys.Hypedata)
			u.writeFile("project/app.env", "K="+k.Reveal()+"\n", 0o600)
			u.git("add", ".")
			u.git("commit", "-q", "-m", "app")
			p := filepath.Join(u.cwd, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			_ = os.Remove(p)
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
			r := u.must(scanError, "", "scan")
			if !strings.Contains(r.stdout, "app.env:1:3: Hypedata") || !strings.Contains(r.stderr, p) {
				t.Errorf("scan with a named pipe at %s: the file beside it not scanned, or the pipe not named:\n%s", name, r)
			}
			for _, mode := range []string{"--git", "--staged"} {
				if r := u.must(scanError, "", "scan", mode); !strings.Contains(r.stderr, p) || !strings.Contains(r.stderr, "named pipe") {
					t.Errorf("scan %s with a named pipe at %s: %s", mode, name, r)
				}
			}
		})
	}
	// Outside a repository, a named-pipe .gitignore is not read at all.
	u := newUser(t)
	if err := syscall.Mkfifo(filepath.Join(u.cwd, ".gitignore"), 0o600); err != nil {
		t.Fatal(err)
	}
	u.writeFile("project/a.txt", "nothing here\n", 0o644)
	u.must(scanClean, "", "scan")
}
