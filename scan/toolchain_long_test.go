package scan

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoFindingsInToolchain: over text nobody here wrote — Go's own source
// tree and the module cache (its .zip files decoded too) — the scanner
// reports nothing: none of it holds a key of these formats. A read error
// is allowed only for an archive that is itself broken (the test data of
// compression libraries holds some), and is logged.
func TestNoFindingsInToolchain(t *testing.T) {
	if os.Getenv("APIKIT_LONG_TESTS") != "1" {
		t.Skip("long suite: set APIKIT_LONG_TESTS=1")
	}
	if raceEnabled {
		// The corpus is the whole toolchain and module cache: under -race
		// it takes minutes and finds no race the plain pass would not
		// reach through the same code on the other tests' inputs.
		t.Skip("run in the plain test pass (CI runs both): -race only slows the corpus walk")
	}
	var roots []string
	for _, v := range []string{"GOROOT", "GOMODCACHE"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", v, err)
		}
		if dir := strings.TrimSpace(string(out)); dir != "" {
			if v == "GOROOT" {
				dir = filepath.Join(dir, "src")
			}
			roots = append(roots, dir)
		}
	}
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var files, size int64
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				return nil
			}
			defer f.Close()
			if st, err := f.Stat(); err == nil {
				size += st.Size()
			}
			files++
			err = s.Scan(context.Background(), f, func(fd Finding) error {
				t.Errorf("%s: %v %s", p, fd, fd.Chain)
				return nil
			})
			if err != nil {
				if !Decodable(head(p)) {
					t.Errorf("%s: %v", p, err)
				} else {
					t.Logf("%s: a broken archive: %v", p, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d files, %d MB in %s: no finding", files, size>>20, strings.Join(roots, ", "))
}

// head returns the first bytes of the file at p.
func head(p string) []byte {
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	b := make([]byte, sniffLen)
	n, _ := f.Read(b)
	return b[:n]
}
