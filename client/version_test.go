package client

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// releaseHeading is a released version's heading in CHANGELOG.md (Keep a
// Changelog): "## [0.2.0] - 2026-11-27".
var releaseHeading = regexp.MustCompile(`^## \[(\d+)\.(\d+)\.(\d+)\] - (\d{4}-\d{2}-\d{2})$`)

// TestVersionMatchesChangelog: Version, which the User-Agent carries, is
// the newest released version of CHANGELOG.md, every released heading is
// dated, and the versions only go down the file.
func TestVersionMatchesChangelog(t *testing.T) {
	b, err := os.ReadFile("../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(Version) {
		t.Fatalf("Version %q is not MAJOR.MINOR.PATCH", Version)
	}
	var released [][3]int
	var newest string
	for i, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "## [") || strings.HasPrefix(line, "## [Unreleased]") {
			continue
		}
		m := releaseHeading.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("CHANGELOG.md:%d: %q is not a released heading (\"## [1.2.3] - YYYY-MM-DD\")", i+1, line)
			continue
		}
		var v [3]int
		for j := range v {
			v[j], _ = strconv.Atoi(m[j+1])
		}
		if n := len(released); n > 0 && !less(v, released[n-1]) {
			t.Errorf("CHANGELOG.md:%d: %s is not older than the version above it", i+1, line)
		}
		if newest == "" {
			newest = strings.Join(m[1:4], ".")
		}
		released = append(released, v)
	}
	if newest == "" {
		t.Skipf("CHANGELOG.md has no released version yet; Version %s is checked against the first one", Version)
	}
	if Version != newest {
		t.Errorf("client.Version is %q, but the newest release in CHANGELOG.md is %s: bump one to match the other", Version, newest)
	}
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
