package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// jitterProbe measures how late this process's timers fire while the cells
// run: a pacer's booked slots are timers, and nginx refuses a request that
// arrives even 1 ms early, so a busy machine shows up in the figures. The
// probe sleeps 10 ms at a time and records how much later it woke.
type jitterProbe struct {
	late []time.Duration
	done chan struct{}
}

const jitterInterval = 10 * time.Millisecond

// startJitterProbe runs the probe until ctx ends; stop returns its summary.
func startJitterProbe(ctx context.Context) *jitterProbe {
	p := &jitterProbe{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTimer(jitterInterval)
		defer t.Stop()
		for {
			want := time.Now().Add(jitterInterval)
			t.Reset(jitterInterval)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				p.late = append(p.late, max(time.Since(want), 0))
			}
		}
	}()
	return p
}

// wait waits for the probe to stop (its context must have ended) and says
// how late its timers fired, and the 99th percentile of it.
func (p *jitterProbe) wait() (string, time.Duration) {
	<-p.done
	return summarizeLateness(p.late), percentile(p.late, 0.99)
}

// percentile returns the q-th quantile of ds (0 for none).
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(int(q*float64(len(s))), len(s)-1)]
}

// summarizeLateness says "timer lateness p50 0.1 ms, p99 4.2 ms, max 17.0 ms
// (n samples)".
func summarizeLateness(late []time.Duration) string {
	if len(late) == 0 {
		return "timer lateness not measured"
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	return fmt.Sprintf("timer lateness during the run p50 %s, p99 %s, max %s (%d wake-ups of a 10 ms sleep)",
		ms(percentile(late, 0.5)), ms(percentile(late, 0.99)), ms(percentile(late, 1)), len(late))
}
