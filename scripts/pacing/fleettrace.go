package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/apikit/apikit-go/pacing"
	"github.com/apikit/apikit-go/pacing/redispacing"
)

// fleetTraceEnv names a directory: when set, each worker of a shared cell
// writes there what its redispacing.Pacer did (every reservation, answer,
// rate change, gate and fall back), one line each, stamped with the
// process's clock (Unix seconds), to study a fault's timeline beside
// nginx's (-timeline). Fingerprints only: never the key.
const fleetTraceEnv = "PACING_FLEET_TRACE"

// fleetTrace is one worker's trace file.
type fleetTrace struct {
	mu sync.Mutex
	f  *os.File
}

func openFleetTrace() *fleetTrace {
	dir := os.Getenv(fleetTraceEnv)
	if dir == "" {
		return nil
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("worker-%d.log", os.Getpid())))
	if err != nil {
		fmt.Fprintf(os.Stderr, "pacing worker: %s: %v\n", fleetTraceEnv, err)
		return nil
	}
	return &fleetTrace{f: f}
}

func (t *fleetTrace) printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.f, "%.3f %d ", float64(time.Now().UnixMicro())/1e6, os.Getpid())
	fmt.Fprintf(t.f, format+"\n", args...)
}

func (t *fleetTrace) event(ev pacing.Event) {
	switch ev.Kind {
	case pacing.RateChanged:
		t.printf("rate %s %.3f -> %.3f (%s)", ev.Source, ev.Previous, ev.Rate, ev.Reason)
	case pacing.GateClosed:
		t.printf("gate closed for %.3f s (%s)", time.Until(ev.GateOpens).Seconds(), ev.Reason)
	default:
		t.printf("event %v", ev)
	}
}

func (t *fleetTrace) Write(b []byte) (int, error) {
	t.printf("log %s", string(b[:max(len(b)-1, 0)]))
	return len(b), nil
}

func (t *fleetTrace) logger() *slog.Logger { return slog.New(slog.NewTextHandler(t, nil)) }

// tracedPacer traces each reservation and answer of a shared Pacer.
type tracedPacer struct {
	*redispacing.Pacer
	tr *fleetTrace
}

func (p *tracedPacer) Reserve(ctx context.Context, fp string, lim pacing.Limit, maxWait time.Duration) (pacing.Reservation, error) {
	r, err := p.Pacer.Reserve(ctx, fp, lim, maxWait)
	slot := int64(0)
	if r.Slot < 0 {
		slot = -r.Slot - 1
	}
	p.tr.printf("reserve lim=%g ok=%v delay=%.3f gated=%v redis=%v shared=%v err=%v slot=%.3f", lim.PerSecond, r.OK, r.Delay.Seconds(), r.Gated, r.Slot < 0, p.Shared(), err, float64(slot)/1e6)
	return r, err
}

func (p *tracedPacer) Report(ctx context.Context, r pacing.Reservation, a pacing.Answer) error {
	p.tr.printf("answer %d redis=%v", a.Status, r.Slot < 0)
	return p.Pacer.Report(ctx, r, a)
}
