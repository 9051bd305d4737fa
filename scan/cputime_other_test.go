//go:build !unix

package scan

import "time"

// cpuTime is 0 where the platform does not say: no CPU-time figure.
func cpuTime() time.Duration { return 0 }
