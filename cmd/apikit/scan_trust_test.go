package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/apikit/apikit-go/keys"
)

// plantedSettings are the repository settings that make git run a command
// (issue 20, item 2): each writes a marker file named after itself.
var plantedSettings = []string{
	"core.fsmonitor", "core.pager", "pager.log", "pager.diff", "diff.external", "diff.evil.textconv",
	"diff.evil.command", "filter.evil.clean", "filter.evil.smudge", "filter.evil.process", "credential.helper",
	"core.sshCommand", "gpg.program", "core.editor", "sequence.editor", "core.askPass", "merge.evil.driver",
}

// plantRepository makes a repository at u.cwd whose own config names a
// command for every planted setting, with a committed, a staged and an
// untracked key, and returns the folder the commands would mark.
func plantRepository(t *testing.T, u *user) string {
	marks := filepath.Join(u.home, "marks")
	if err := os.MkdirAll(marks, 0o755); err != nil {
		t.Fatal(err)
	}
	u.git("init", "-q", "-b", "main")
	k := newKey(t, keys.Hypedata)
	u.writeFile("project/committed.env", "K="+k.Reveal()+"\n", 0o600)
	u.writeFile("project/.gitattributes", "* diff=evil filter=evil merge=evil\n", 0o644)
	u.git("add", ".")
	u.git("commit", "-q", "-m", "one")
	u.writeFile("project/committed.env", "K="+k.Reveal()+"\nL=2\n", 0o600)
	u.git("commit", "-q", "-am", "two")
	u.writeFile("project/staged.env", "S="+k.Reveal()+"\n", 0o600)
	u.git("add", "staged.env")
	u.writeFile("project/untracked.env", "U="+k.Reveal()+"\n", 0o600)
	hooks := filepath.Join(u.home, "evil-hooks")
	for _, h := range []string{"pre-commit", "post-checkout", "reference-transaction", "fsmonitor-watchman", "post-index-change"} {
		u.writeFile(filepath.Join("evil-hooks", h), "#!/bin/sh\ntouch '"+marks+"/hook-"+h+"'\n", 0o755)
	}
	// Written last, so that the set-up's own git commands ran none of it.
	cfg := "\n[core]\n\thooksPath = " + hooks + "\n"
	for _, s := range plantedSettings {
		cmd := "touch '" + marks + "/" + s + "'; cat"
		if s == "core.fsmonitor" {
			cmd = "touch '" + marks + "/" + s + "'; printf '\\0'" // as a hook answers, so git goes on
		}
		parts := strings.Split(s, ".")
		section := "[" + parts[0] + "]"
		if len(parts) == 3 {
			section = "[" + parts[0] + " \"" + parts[1] + "\"]"
		}
		cfg += section + "\n\t" + parts[len(parts)-1] + " = \"" + strings.ReplaceAll(cmd, "\\", "\\\\") + "\"\n"
	}
	cfg += "[log]\n\tshowSignature = true\n[diff \"evil\"]\n\tbinary = false\n[filter \"evil\"]\n\trequired = true\n"
	f, err := os.OpenFile(filepath.Join(u.cwd, ".git", "config"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(cfg); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return marks
}

// TestScanRunsNoRepositoryCommand: apikit scan in a repository whose config
// names a command for every setting git runs one for (fsmonitor, pagers,
// external diff, textconv, filters, credential helper, hooks, …) finds the
// keys and runs none of them. The control shows the plants are live: plain
// git, in the same repository, runs them.
func TestScanRunsNoRepositoryCommand(t *testing.T) {
	u := newUser(t)
	marks := plantRepository(t, u)
	runs := [][]string{{"scan"}, {"scan", "."}, {"scan", "--git"}, {"scan", "--staged"}, {"scan", "--sarif", "--git", "."},
		{"scan", "--no-ignore"}, {"scan", "committed.env"}}
	for _, args := range runs {
		u.must(scanFound, "", args...)
	}
	if ran, _ := os.ReadDir(marks); len(ran) > 0 {
		var names []string
		for _, e := range ran {
			names = append(names, e.Name())
		}
		t.Fatalf("apikit scan ran the repository's commands: %s", strings.Join(names, ", "))
	}
	// Control: git as a user runs it, it runs them.
	for _, args := range [][]string{{"status"}, {"log", "-p"}, {"diff", "--cached"}, {"-c", "filter.evil.process=", "-c", "filter.evil.required=false", "diff", "HEAD~1", "HEAD"},
		{"-c", "filter.evil.process=", "-c", "filter.evil.required=false", "log", "-p"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = u.cwd
		cmd.Env = []string{"HOME=" + u.home, "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1"}
		_ = cmd.Run()
	}
	ran, _ := os.ReadDir(marks)
	have := map[string]bool{}
	for _, e := range ran {
		have[e.Name()] = true
	}
	for _, s := range []string{"core.fsmonitor", "diff.evil.command", "diff.evil.textconv", "filter.evil.process"} {
		if !have[s] {
			t.Errorf("control: plain git did not run the planted %s (ran: %v): the plant is not live, the test proves nothing for it", s, have)
		}
	}
}

// TestScanEscapesPaths: a file name holding an escape sequence or a line
// break is printed escaped by scan's text output, in a folder and in --git
// mode (where git's quoting is not undone into raw bytes), so that it cannot
// retitle the terminal, hide a finding or forge one.
func TestScanEscapesPaths(t *testing.T) {
	u := newUser(t)
	k := newKey(t, keys.Hypedata)
	evil := "a\x1b]0;pwned\x07\nforged.env:1:1: Hypedata hd_live_…fake (fp_x) \x1b[2K.env"
	u.writeFile("project/"+evil, "K="+k.Reveal()+"\n", 0o600)
	u.writeFile("project/sp ace.env", "K="+k.Reveal()+"\n", 0o600)
	check := func(mode string, r result) {
		t.Helper()
		if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07") {
			t.Errorf("%s: an escape sequence was printed raw:\n%q", mode, r.stdout)
		}
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 2 {
			t.Errorf("%s: want 2 finding lines (the name's line break escaped), got %d:\n%q", mode, len(lines), r.stdout)
		}
		if !strings.Contains(r.stdout, `\x1b]0;pwned\a\nforged.env`) && !strings.Contains(r.stdout, `\x1b]0;pwned\x07\nforged.env`) {
			t.Errorf("%s: the name is not shown escaped:\n%q", mode, r.stdout)
		}
		if !strings.Contains(r.stdout, "sp ace.env:1:3: Hypedata") {
			t.Errorf("%s: a plain name with a space is not printed as it is:\n%q", mode, r.stdout)
		}
	}
	check("scan", u.must(scanFound, "", "scan"))
	u.git("init", "-q", "-b", "main")
	u.git("add", ".")
	u.git("commit", "-q", "-m", "x")
	check("scan --git", u.must(scanFound, "", "scan", "--git"))
	r := u.must(scanFound, "", "scan", "--git", "--json")
	if !strings.Contains(r.stdout, `"path":"a\u001b]0;pwned\u0007\nforged.env`) || strings.Contains(r.stdout, "sp ace.env\\t") {
		t.Errorf("scan --git --json: the path is not the file's name:\n%s", r.stdout)
	}
}

// TestScanLimits: one file is read up to --max-file-size (a larger one is
// scanned up to it and reported, exit 2, with the flag to raise it); a path
// it cannot open is reported and the others are scanned, exit 2.
func TestScanLimits(t *testing.T) {
	u := newUser(t)
	a, b := newKey(t, keys.Hypedata), newKey(t, keys.Hypersave)
	u.writeFile("project/big.env", "A="+a.Reveal()+"\n"+strings.Repeat("# filler line\n", 200)+"B="+b.Reveal()+"\n", 0o600)
	r := u.must(scanError, "", "scan", "--max-file-size", "1KiB", "big.env")
	if !strings.Contains(r.stdout, "big.env:1:3: Hypedata") || strings.Contains(r.stdout, "Hypersave") ||
		!strings.Contains(r.stderr, "only its first 1KiB were scanned") || !strings.Contains(r.stderr, "--max-file-size") {
		t.Errorf("--max-file-size 1KiB: %s", r)
	}
	r = u.must(scanFound, "", "scan", "--max-file-size", "1MiB", "big.env")
	if !strings.Contains(r.stdout, "Hypersave") {
		t.Errorf("--max-file-size 1MiB: %s", r)
	}
	u.must(scanError, "", "scan", "--max-file-size", "lots", "big.env")
	r = u.must(scanError, "", "scan", "missing.env", "big.env")
	if !strings.Contains(r.stderr, "missing.env") || !strings.Contains(r.stdout, "big.env:202:3: Hypersave") {
		t.Errorf("a missing path stopped the scan: %s", r)
	}
}

// TestScanArchives: a .env.gz, a zip of a config and a UTF-16 file (as
// PowerShell's > writes it) are scanned, not skipped as binary; the chain
// says where the key was.
func TestScanArchives(t *testing.T) {
	u := newUser(t)
	k := newKey(t, keys.Hypedata)
	env := "# app\nHYPEDATA_API_KEY=" + k.Reveal() + "\n"
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(env))
	w.Close()
	u.writeFile("project/backup/.env.gz", gz.String(), 0o600)
	var zb bytes.Buffer
	z := zip.NewWriter(&zb)
	f, _ := z.Create("config/app.env")
	f.Write([]byte(env))
	z.Close()
	u.writeFile("project/artifact.zip", zb.String(), 0o600)
	var u16 []byte
	for _, c := range utf16.Encode([]rune("\ufeff" + env)) {
		u16 = append(u16, byte(c), byte(c>>8))
	}
	u.writeFile("project/out.txt", string(u16), 0o600)
	r := u.must(scanFound, "", "scan")
	for _, want := range []string{"artifact.zip:2:18: Hypedata " + k.String() + " (" + k.Fingerprint() + ") zip:config/app.env",
		"backup/.env.gz:2:18: Hypedata " + k.String() + " (" + k.Fingerprint() + ") gzip",
		"out.txt:2:18: Hypedata " + k.String() + " (" + k.Fingerprint() + ") utf16le"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in\n%s", want, r)
		}
	}
}

// TestScanRedactsAKeyInAPath: a file named with the key it holds (a key
// saved as hd_live_….txt, a secret mounted under its own value) is
// reported with the key in its path redacted, in every output format.
func TestScanRedactsAKeyInAPath(t *testing.T) {
	u := newUser(t)
	k := newKey(t, keys.Hypedata)
	u.writeFile("project/keys/"+k.Reveal()+".txt", "K="+k.Reveal()+"\n", 0o600)
	for _, args := range [][]string{{"scan"}, {"scan", "--json"}, {"scan", "--sarif"}} {
		r := u.must(scanFound, "", args...)
		if out := r.stdout + r.stderr; strings.Contains(out, k.Reveal()) {
			t.Errorf("apikit %s printed the key from the file's name:\n%s", strings.Join(args, " "), out)
		}
		if args[len(args)-1] == "scan" && !strings.Contains(r.stdout, "keys/"+k.String()+".txt:1:3: Hypedata") {
			t.Errorf("apikit scan: the path does not show the key redacted:\n%s", r.stdout)
		}
	}
}
