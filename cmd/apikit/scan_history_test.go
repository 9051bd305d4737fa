package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/keys"
)

// commitFile writes rel in the user's project and commits it.
func (u *user) commitFile(rel, content, msg string) string {
	u.t.Helper()
	u.writeFile("project/"+rel, content, 0o644)
	u.git("add", "--", rel)
	u.git("commit", "-q", "-m", msg)
	return u.git("rev-parse", "HEAD")
}

// TestScanHistoryAll: --git reads all of history — a line of 9 MiB, stashes,
// commit and tag messages, remote-tracking refs and notes, files Git shows
// as binary (-diff, an early NUL byte, a gzip) — each key found once, in the
// commit that added it.
func TestScanHistoryAll(t *testing.T) {
	u := newUser(t)
	u.git("init", "-q", "-b", "main")
	k := func() keys.Key { return newKey(t, keys.Hypedata) }
	long, stash, msg, tag, note, nodiff, nul, gz, remote := k(), k(), k(), k(), k(), k(), k(), k(), k()
	u.commitFile(".gitattributes", "*.secret -diff\n", "attributes")
	longC := u.commitFile("min.js", strings.Repeat("a=1;", 9<<20/4)+"k='"+long.Reveal()+"'\n", "minified")
	msgC := u.commitFile("a.txt", "a\n", "deploy with HYPEDATA_API_KEY="+msg.Reveal())
	u.git("tag", "-a", "v1", "-m", "release, key "+tag.Reveal())
	u.git("notes", "add", "-m", "debug: "+note.Reveal())
	nodiffC := u.commitFile("prod.secret", "K="+nodiff.Reveal()+"\n", "secret")
	nulC := u.commitFile("dump.txt", "x\x00y\nK="+nul.Reveal()+"\n", "dump")
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write([]byte("K=" + gz.Reveal() + "\n"))
	w.Close()
	gzC := u.commitFile(".env.gz", z.String(), "backup")
	// A commit only a remote-tracking ref reaches.
	u.git("checkout", "-q", "-b", "feature")
	remoteC := u.commitFile("feature.env", "K="+remote.Reveal()+"\n", "feature")
	u.git("update-ref", "refs/remotes/origin/feature", remoteC)
	u.git("checkout", "-q", "main")
	u.git("branch", "-q", "-D", "feature")
	// A submodule (a gitlink to a commit of another repository): not a
	// file to read, and not an error.
	u.git("update-index", "--add", "--cacheinfo", "160000,1234567890abcdef1234567890abcdef12345678,vendor/lib")
	u.git("commit", "-q", "-m", "submodule")
	// A stash.
	u.writeFile("project/a.txt", "a\nK="+stash.Reveal()+"\n", 0o644)
	u.git("stash", "-q")

	r := u.must(scanFound, "", "scan", "--git")
	for _, want := range []string{
		"min.js:1:", "in commit " + longC[:12],
		"(message of commit):1:30: Hypedata " + msg.String(), "in commit " + msgC[:12],
		"(message of tag v1):", tag.String(),
		note.String(),
		"prod.secret:1:3: Hypedata " + nodiff.String(), "in commit " + nodiffC[:12],
		"dump.txt:2:3: Hypedata " + nul.String(), "in commit " + nulC[:12],
		".env.gz:1:3: Hypedata " + gz.String(), ") gzip in commit " + gzC[:12],
		"feature.env:1:3: Hypedata " + remote.String(), "in commit " + remoteC[:12],
		"a.txt:2:3: Hypedata " + stash.String(),
		long.String(),
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("scan --git: %q missing in\n%s", want, r.stdout)
		}
	}
	for _, key := range []keys.Key{long, msg, tag, nodiff, nul, gz, remote} {
		if n := strings.Count(r.stdout, key.Fingerprint()); n != 1 {
			t.Errorf("%s found %d times, want once:\n%s", key.String(), n, r.stdout)
		}
	}
}

// TestScanHistoryUnborn: a repository whose HEAD names a branch that does
// not exist (git init && git fetch) still has history: it is scanned.
func TestScanHistoryUnborn(t *testing.T) {
	u := newUser(t)
	u.git("init", "-q", "-b", "main")
	k := newKey(t, keys.Hypedata)
	c := u.commitFile("a.env", "K="+k.Reveal()+"\n", "a")
	mirror := filepath.Join(u.home, "mirror")
	u.git("init", "-q", "-b", "trunk", mirror)
	u.git("-C", mirror, "fetch", "-q", u.cwd, "main:refs/remotes/origin/main")
	r := u.must(scanFound, "", "scan", "--git", mirror)
	if !strings.Contains(r.stdout, "a.env:1:3: Hypedata "+k.String()) || !strings.Contains(r.stdout, c[:12]) {
		t.Errorf("unborn HEAD: %s", r)
	}
	// No commit at all: nothing to scan, and that is not an error.
	empty := filepath.Join(u.home, "empty")
	u.git("init", "-q", empty)
	u.must(scanClean, "", "scan", "--git", empty)
}

// TestScanHistoryContext: a UUID's context is the file at that commit, not
// the patch: a rotated Envio token whose "# envio" line did not change is
// found; a UUID 300 lines below "# envio", in another hunk, is not.
func TestScanHistoryContext(t *testing.T) {
	u := newUser(t)
	u.git("init", "-q", "-b", "main")
	t1, t2 := newKey(t, keys.HyperSync), newKey(t, keys.HyperSync)
	u.commitFile("indexer.yaml", "# envio api token\ntoken: "+t1.Reveal()+"\n", "indexer")
	rot := u.commitFile("indexer.yaml", "# envio api token\ntoken: "+t2.Reveal()+"\n", "rotate")
	var b strings.Builder
	b.WriteString("# envio api token\n")
	for i := 0; i < 300; i++ {
		b.WriteString("line\n")
	}
	u.commitFile("far.txt", b.String(), "far")
	b.WriteString("request_id: 3f1c9a7e-2b4d-4e6f-8a0c-5d7b9e1f3a2c\n")
	u.writeFile("project/far.txt", "# envio api token changed\n"+strings.SplitN(b.String(), "\n", 2)[1], 0o644)
	u.git("commit", "-q", "-am", "far, both ends")
	r := u.must(scanFound, "", "scan", "--git")
	if !strings.Contains(r.stdout, "indexer.yaml:2:8: HyperSync "+t2.String()) || !strings.Contains(r.stdout, rot[:12]) {
		t.Errorf("the rotated token was not found with its file's context:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "far.txt") {
		t.Errorf("a UUID 300 lines below its keyword was reported (neighbours from two hunks):\n%s", r.stdout)
	}
}

// TestScanHistoryUnreachable: --unreachable scans a blob that was staged and
// never committed, and a commit no ref or reflog reaches; without it they
// are not scanned. A part of history that cannot be read (a missing
// object) makes the exit code 2 and is named; the rest is still reported.
func TestScanHistoryUnreachable(t *testing.T) {
	u := newUser(t)
	u.git("init", "-q", "-b", "main")
	staged, gone, kept := newKey(t, keys.Hypedata), newKey(t, keys.Hypersave), newKey(t, keys.HopX)
	u.commitFile("kept.env", "K="+kept.Reveal()+"\n", "kept")
	u.writeFile("project/staged.env", "K="+staged.Reveal()+"\n", 0o644)
	u.git("add", "staged.env")
	u.git("rm", "-q", "--cached", "staged.env")
	u.commitFile("gone.env", "K="+gone.Reveal()+"\n", "gone")
	u.git("reset", "-q", "--hard", "HEAD~1")
	u.git("reflog", "expire", "--expire=now", "--all")
	r := u.must(scanFound, "", "scan", "--git")
	if strings.Contains(r.stdout, staged.Fingerprint()) || strings.Contains(r.stdout, gone.Fingerprint()) {
		t.Errorf("without --unreachable, unreachable objects were scanned:\n%s", r.stdout)
	}
	r = u.must(scanFound, "", "scan", "--git", "--unreachable")
	if !strings.Contains(r.stdout, "(unreachable blob ") || !strings.Contains(r.stdout, staged.Fingerprint()) ||
		!strings.Contains(r.stdout, "gone.env:1:3: Hypersave "+gone.String()) {
		t.Errorf("--unreachable:\n%s", r)
	}
	u.must(scanError, "", "scan", "--unreachable", ".")

	// A missing object: named, exit 2, what was read before it found.
	u.commitFile("more.env", "K="+gone.Reveal()+"\n", "more")
	id := u.git("rev-parse", "HEAD:kept.env")
	if err := os.Remove(filepath.Join(u.cwd, ".git", "objects", id[:2], id[2:])); err != nil {
		t.Fatal(err)
	}
	r = u.must(scanError, "", "scan", "--git")
	// git log stops where it needs the object (it diffs the file): what it
	// printed before is scanned, and the error says which object and that
	// the rest was not.
	if !strings.Contains(r.stderr, id) || !strings.Contains(r.stderr, "not scanned") || !strings.Contains(r.stdout, "more.env:1:3: Hypersave") {
		t.Errorf("a missing object: %s", r)
	}
}
