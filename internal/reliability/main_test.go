package reliability

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind (the
// client's retries, the server's delays, the proxy's links).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// No net/http goroutine is ignored: a connection whose response
		// body was never closed keeps its read and write loops, and that
		// is exactly what this check is for. (goleak retries for a while,
		// so loops that exit asynchronously after CloseIdleConnections
		// are not reported.)
		//
		// Toxiproxy's links outlive a stopped proxy until their toxic
		// (say, 5 s of latency) has run its course: the fault tool's
		// goroutines, not the SDK's.
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2.(*ToxicLink).write"),
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2/toxics.(*ToxicStub).Run"),
	)
}
