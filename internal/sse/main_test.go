package sse

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any of them leaves a goroutine
// running (the pipe writers of the split-read tests must all finish).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
