package reliability

import (
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/internal/longtest"
)

// sample is the part of a fault matrix the default test run tries: the
// entries at idx, a few seconds' worth. The long suite
// (APIKIT_LONG_TESTS=1, as CI runs it) tries every entry.
func sample[T any](all []T, idx ...int) []T {
	if longtest.Enabled() {
		return all
	}
	out := make([]T, 0, len(idx))
	for _, i := range idx {
		out = append(out, all[i])
	}
	return out
}

// TestMain runs the package in an environment of its own (see isolate) and
// fails it if any test leaves a goroutine behind (the client's retries, the
// server's delays, the proxy's links).
func TestMain(m *testing.M) {
	isolate()
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
		// A link cut by reset_peer or limit_data while the server keeps
		// writing (an open event stream, stream_test.go) leaves the proxy's
		// reader blocked sending into a toxic chain nobody drains any more,
		// after the proxy has stopped: again the fault tool's goroutine.
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2/stream.(*ChanWriter).Write"),
	)
}

// isolate removes what a developer's or CI's environment could feed the
// clients built here: every built-in service's key, base-URL and profile
// variables, APIKIT_PROFILE, and the config file (pointed at one that does
// not exist). Tests that want any of them set them with t.Setenv.
func isolate() {
	for _, svc := range []client.Service{client.Hypedata, client.Hypersave, client.HopX, client.HyperSync, client.Web3Storage} {
		for _, v := range []string{svc.EnvVar, svc.BaseURLEnvVar, svc.ProfileEnvVar} {
			if v != "" {
				os.Unsetenv(v)
			}
		}
	}
	os.Unsetenv("APIKIT_PROFILE")
	os.Setenv("APIKIT_CONFIG_FILE", filepath.Join(os.TempDir(), "apikit-reliability-no-such-dir", "config.yaml"))
}
