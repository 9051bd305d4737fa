package main

import "github.com/apikit/apikit-go/client"

// knownLimitOption is the SDK option that tells the client its key's limit,
// and false while the SDK has none (the "before" baseline).
func knownLimitOption(perSecond float64, burst int) (client.Option, bool) {
	return nil, false
}
