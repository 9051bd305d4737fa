package main

import "github.com/apikit/apikit-go/client"

// knownLimitOption is the SDK option that tells the client its key's limit,
// and false while the SDK has none (as it had not when the baseline in
// docs/PACING.md was measured).
func knownLimitOption(perSecond float64, burst int) (client.Option, bool) {
	return client.WithRateLimit(perSecond, burst), true
}
