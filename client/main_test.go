package client

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: a
// response body the client forgot to close keeps its connection's read and
// write loops alive, and shows up here.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
