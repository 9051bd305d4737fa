package main

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/apikit/apikit-go/scan"
)

// FuzzPatch: any git patch output, however malformed, is read without a
// panic; its hunk headers and paths parse to sane values.
func FuzzPatch(f *testing.F) {
	f.Add([]byte("commit 1234\n    message\n\ndiff --git a/x b/x\nindex 00..ab 100644\n--- a/x\n+++ b/x\n@@ -0,0 +1,2 @@\n+KEY=1\n+b\n"))
	f.Add([]byte("diff --git a/y b/y\n+++ \"b/sp ace\"\n@@ -3 +7 @@ x\n-old\n+new\n\\ No newline at end of file\n"))
	f.Add([]byte("@@ garbage\n+++ /dev/null\n+\n@@ -1 +x,y @@\n+Binary files /dev/null and b/a b.png differ\n"))
	s, err := scan.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, patch []byte) {
		r := &scanRun{o: scanOptions{json: true}, s: s, out: io.Discard, errw: io.Discard}
		p := &patchScanner{r: r, ctx: context.Background()}
		if err := p.read(bytes.NewReader(patch)); err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(patch, []byte("\n")) {
			if first, n := hunkRange(line); first < 0 || n < 0 {
				t.Fatalf("hunk %q: %d, %d", line, first, n)
			}
			_ = binaryPath(string(line))
		}
	})
}
