// Package longtest splits the repository's tests in two: the default run,
// which a newcomer's `go test $(go list -f '{{.Dir}}/...' -m)` must finish
// in two minutes on a busy two-core machine, and the long suite (stress,
// soak, large fault matrices, real-server runs of more than a few seconds),
// which runs only when the environment variable APIKIT_LONG_TESTS is 1.
// CI (.ci/run) sets it, so every long test still runs there.
package longtest

import (
	"os"
	"testing"
)

// Var is the environment variable that turns the long suite on.
const Var = "APIKIT_LONG_TESTS"

// Enabled reports whether the long suite runs (APIKIT_LONG_TESTS=1).
func Enabled() bool { return os.Getenv(Var) == "1" }

// Skip skips t unless the long suite runs. A test that has a small version
// for the default run checks Enabled instead and picks its size.
func Skip(t testing.TB) {
	t.Helper()
	if !Enabled() {
		t.Skip("long suite: set APIKIT_LONG_TESTS=1")
	}
}
