//go:build unix

package main

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestScanFIFO: a FIFO named on the command line is skipped, not waited on.
func TestScanFIFO(t *testing.T) {
	u := newUser(t)
	if err := syscall.Mkfifo(filepath.Join(u.cwd, "pipe"), 0o600); err != nil {
		t.Fatal(err)
	}
	u.must(scanClean, "", "scan", "pipe")
	u.must(scanClean, "", "scan", ".")
}
