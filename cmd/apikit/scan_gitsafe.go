package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/apikit/apikit-go/internal/safefile"
)

// A repository being scanned is untrusted: its .git/config (or a file it
// includes) can name commands that git runs — core.fsmonitor on every index
// read, pagers, external diff and textconv drivers, clean/smudge/process
// filters, credential helpers, an ssh command, hooks. apikit scan runs every
// git command through gitCommand, which turns each of those off on the
// command line, where it outranks every config file, and sets up the
// environment so that the system config, replace refs and prompts play no
// part.

// gitSafeFlags are the -c overrides that neutralise the settings that run
// commands, whatever the repository's config says. External diff and
// textconv are turned off by --no-ext-diff --no-textconv on every command
// that diffs; transports (core.sshCommand, core.gitProxy) by
// protocol.allow=never, since scan never fetches.
var gitSafeFlags = []string{
	"-c", "core.fsmonitor=false",
	"-c", "core.hooksPath=/dev/null",
	"-c", "core.pager=cat",
	"-c", "core.editor=:",
	"-c", "core.untrackedCache=false",
	"-c", "credential.helper=",
	"-c", "gpg.program=",
	"-c", "log.showSignature=false",
	"-c", "protocol.allow=never",
	"-c", "color.ui=false",
	"-c", "core.quotePath=false",
}

// gitDropEnv are the variables of the user's environment that would make
// git run something or look somewhere else than asked.
var gitDropEnv = []string{"GIT_EXTERNAL_DIFF", "GIT_PAGER", "PAGER", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_SSH",
	"GIT_SSH_COMMAND", "GIT_EDITOR", "GIT_DIFF_OPTS", "GIT_PROXY_COMMAND", "GIT_CONFIG", "GIT_REPLACE_REF_BASE"}

// gitEnv is the environment of every git apikit scan runs.
func gitEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, d := range gitDropEnv {
			if name == d {
				drop = true
			}
		}
		if !drop {
			env = append(env, kv)
		}
	}
	return append(env, "GIT_CONFIG_NOSYSTEM=1", "GIT_NO_REPLACE_OBJECTS=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_OPTIONAL_LOCKS=0", "GIT_ATTR_NOSYSTEM=1", "GIT_NO_LAZY_FETCH=1", "GIT_PAGER=cat")
}

// gitCommand returns the command "git -C dir args..." with every setting
// that runs a command neutralised: the flags above, and the repository's
// own filter and diff drivers (their names are the repository's choice, so
// they are read first, with git config, which runs nothing) set to none.
func gitCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	full := append([]string{"--no-pager", "-C", dir}, gitSafeFlags...)
	full = append(full, driverOverrides(ctx, dir)...)
	cmd := exec.CommandContext(ctx, "git", append(full, args...)...)
	cmd.Env = gitEnv()
	cmd.Stdin = nil
	return cmd
}

// driverOverrides returns -c overrides that empty every command-bearing
// key of the repository's filter, diff and merge drivers
// (filter.<name>.clean, .smudge, .process; diff.<name>.textconv,
// .command; merge.<name>.driver), as its config (and the files it
// includes) names them. Git reads an empty command as none.
func driverOverrides(ctx context.Context, dir string) []string {
	cmd := exec.CommandContext(ctx, "git", "--no-pager", "-C", dir, "config", "--null", "--name-only",
		"--get-regexp", `^(filter|diff|merge)\..*\.(clean|smudge|process|textconv|command|driver)$`)
	cmd.Env = gitEnv()
	out, err := cmd.Output()
	if err != nil {
		return nil // none set (exit 1), or not a repository: nothing to override
	}
	var flags []string
	seen := map[string]bool{}
	for _, name := range bytes.Split(bytes.TrimRight(out, "\x00"), []byte{0}) {
		n := strings.TrimSpace(string(name))
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		flags = append(flags, "-c", n+"=")
		if strings.HasPrefix(n, "filter.") && strings.Count(n, ".") >= 2 {
			flags = append(flags, "-c", n[:strings.LastIndexByte(n, '.')]+".required=false")
		}
	}
	return flags
}

// gitConfigGet returns the value of the config key in the repository at
// dir as its config files say (a path expanded), without the overrides of
// gitCommand: git config reads, and runs nothing.
func gitConfigGet(ctx context.Context, dir, key string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", "--no-pager", "-C", dir, "config", "--path", "--get", key)
	cmd.Env = gitEnv()
	return cmd.Output()
}

// gitOutput runs git in dir, safely (gitCommand), and returns what it
// printed; its error says what git said.
func gitOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := gitCommand(ctx, dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s in %s: %s", args[0], dir, msg)
	}
	return out, nil
}

// gitReadFiles are the files of a Git directory that git reads for the
// commands apikit scan runs; gitReadDirs are walked whole.
var (
	gitReadFiles = []string{"config", "config.worktree", "HEAD", "index", "packed-refs", "commondir", "shallow",
		"info/exclude", "info/attributes", "info/grafts", "info/sparse-checkout", "objects/info/alternates",
		"FETCH_HEAD", "ORIG_HEAD", "MERGE_HEAD"}
	gitReadDirs = []string{"refs", "logs", "worktrees"}
	// treeReadNames are the files git reads from a work tree, in any folder.
	treeReadNames = map[string]bool{".gitignore": true, ".gitattributes": true, ".mailmap": true}
)

// gitBlockers returns the files git would read in the repository holding
// dir that are not regular files or folders: a named pipe there makes git
// block forever (open waits for a writer), a device may never end. It looks
// before any git runs, without opening anything: the repository's Git
// directory (found by walking up from dir, as git does), and every
// .gitignore, .gitattributes and .mailmap of the work tree. Loose objects
// are not looked at (a repository has too many); git reads them only when
// a commit names them.
func gitBlockers(dir string) []string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	var bad []string
	odd := func(p string) {
		if st, err := os.Lstat(p); err == nil && !st.Mode().IsRegular() && !st.IsDir() && st.Mode()&fs.ModeSymlink == 0 {
			bad = append(bad, p)
		}
	}
	top, gitDir := "", ""
	for d := abs; ; d = filepath.Dir(d) {
		p := filepath.Join(d, ".git")
		if st, err := os.Lstat(p); err == nil {
			top = d
			switch {
			case st.IsDir():
				gitDir = p
			case st.Mode().IsRegular(): // a worktree's or submodule's "gitdir: <path>"
				if b, _, err := safefile.Read(p, 4096); err == nil {
					if g, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: "); ok {
						if !filepath.IsAbs(g) {
							g = filepath.Join(d, g)
						}
						gitDir = g
					}
				}
			default:
				bad = append(bad, p)
			}
			break
		}
		if isGitDir(d) { // a bare repository
			gitDir = d
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	dirs := []string{}
	if gitDir != "" {
		dirs = append(dirs, gitDir)
		if b, _, err := safefile.Read(filepath.Join(gitDir, "commondir"), 4096); err == nil {
			c := strings.TrimSpace(string(b))
			if !filepath.IsAbs(c) {
				c = filepath.Join(gitDir, c)
			}
			dirs = append(dirs, c)
		}
	}
	for _, g := range dirs {
		for _, f := range gitReadFiles {
			odd(filepath.Join(g, filepath.FromSlash(f)))
		}
		for _, sub := range gitReadDirs {
			_ = filepath.WalkDir(filepath.Join(g, sub), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
					bad = append(bad, p)
				}
				return nil
			})
		}
	}
	if top != "" {
		_ = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return nil
			case d.IsDir() && d.Name() == ".git" && p != top:
				return filepath.SkipDir
			case !d.IsDir() && treeReadNames[d.Name()] && !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0:
				bad = append(bad, p)
			}
			return nil
		})
	}
	return bad
}

// isGitDir reports whether d looks like a Git directory of its own (a
// bare repository): HEAD, objects and refs in it.
func isGitDir(d string) bool {
	for _, n := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Lstat(filepath.Join(d, n)); err != nil {
			return false
		}
	}
	return true
}

// checkGitSafe returns an error naming the files that would make git block
// in the repository holding dir (gitBlockers), or nil.
func checkGitSafe(dir string) error {
	bad := gitBlockers(dir)
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("git would block reading %s in the repository at %s (a named pipe or a device where git expects a file): "+
		"not running git there; remove %s, or scan the files without --git/--staged", strings.Join(bad, ", "), dir, plural(len(bad), "it", "them"))
}
