package configfile

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any of them leaves a goroutine
// running (the concurrent-writer tests must all finish).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
