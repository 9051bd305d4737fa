package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/scan"
)

// FuzzPatch: any git patch output, however malformed, is read without a
// panic, and every finding has a positive line and a path.
func FuzzPatch(f *testing.F) {
	f.Add([]byte("commit 1234\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -0,0 +1,2 @@\n+KEY=hd_live_Q7w2Ls9XkR4vN1pZ8cT3yB6mH0dJ5fGa\n+b\n"))
	f.Add([]byte("diff --git a/y b/y\n+++ \"b/sp ace\"\n@@ -3 +7 @@ x\n-old\n+hs_test_Xb41Kq9sLm2Rz7TwQ\n\\ No newline at end of file\n"))
	f.Add([]byte("@@ garbage\n+++ /dev/null\n+\n@@ -1 +x,y @@\n+"))
	s, err := scan.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, patch []byte) {
		var out bytes.Buffer
		r := &scanRun{o: scanOptions{json: true}, s: s, out: &out, errw: io.Discard}
		p := &patchScanner{r: r, ctx: context.Background()}
		if err := p.read(bytes.NewReader(patch)); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if line == "" {
				continue
			}
			// Read as --json prints it: a file may be named ":" (text
			// output "::1:1: ..."), so the text form cannot tell.
			var f struct {
				Path string `json:"path"`
				Line int    `json:"line"`
			}
			if err := json.Unmarshal([]byte(line), &f); err != nil {
				t.Fatalf("finding %q: %v", line, err)
			}
			if f.Path == "" || f.Line < 1 {
				t.Fatalf("a finding without a path or with a line below 1: %q", line)
			}
		}
	})
}
