package pacingtest_test

import (
	"fmt"

	"github.com/apikit/apikit-go/pacing/pacingtest"
)

// The table's rules, as a pacer's documentation can list them.
func ExampleVectors() {
	for _, v := range pacingtest.Vectors()[:3] {
		fmt.Printf("%s: %s\n", v.Name, v.Rule)
	}
	// Output:
	// no-sign-holds-nothing: until the first sign of a limit, nothing is held back
	// gate-holds-for-the-hint: a 429 closes the key's gate for its Retry-After, for every caller
	// retry-now-closes-no-gate: a 429 that says retry now (Retry-After: 0) closes no gate
}
