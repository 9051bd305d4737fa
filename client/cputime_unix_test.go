//go:build unix

package client_test

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time the process has used (user and system): on a
// machine shared with other work, wall time per operation measures the
// others too, the process's CPU time much less so.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since since (a cpuTime);
// in the loopback benchmarks it includes the test server's share, the same
// for every client measured.
func reportCPU(b *testing.B, since time.Duration) {
	if since >= 0 {
		b.ReportMetric(float64(cpuTime()-since)/float64(b.N), "cpu-ns/op")
	}
}
