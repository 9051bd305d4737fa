package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apikit/apikit-go/keys"
	"github.com/apikit/apikit-go/pacing/redispacing/redistest"
)

// The faults of -fault (issue 22), each put on the Redis of a fleet run
// (-procs N -redis) while its shared cells run: the fault matrix of
// docs/PACING.md runs the short matrix (known and learned) once per fault.
const (
	faultKill      = "kill"      // redis-server killed (SIGKILL) and restarted, empty, 3 s later
	faultEmpty     = "empty"     // redis-server killed and restarted at once: the fleet finds it empty
	faultPause     = "pause"     // redis-server stopped (SIGSTOP) for 3 s: connections open, no answers
	faultLatency10 = "latency10" // Redis 10 ms away (round trip), ±2 ms jitter, the whole run
	faultLatency50 = "latency50" // Redis 50 ms away, ±10 ms jitter, the whole run
	faultSkew      = "skew"      // the first process's clock 500 ms ahead, the whole run
	faultFailover  = "failover"  // Redis Cluster (3 masters, 3 replicas): the key's master killed; its replica takes over
)

// faultNames lists the faults in the matrix's order.
var faultNames = []string{faultKill, faultEmpty, faultPause, faultLatency10, faultLatency50, faultSkew, faultFailover}

// Fault timing, from a batch's start.
const (
	faultAfter         = 4 * time.Second
	faultFor           = 3 * time.Second
	skewOffset         = 500 * time.Millisecond
	clusterNodeTimeout = 2 * time.Second
)

func latencyOf(fault string) (time.Duration, bool) {
	switch fault {
	case faultLatency10:
		return 10 * time.Millisecond, true
	case faultLatency50:
		return 50 * time.Millisecond, true
	}
	return 0, false
}

// faultRecord is what happened to Redis in one batch.
type faultRecord struct {
	at, reachable time.Time // when the fault began, and when Redis answered again (zero: never down)
	what          string
}

// during puts the run's fault on Redis faultAfter into the batch, when the
// batch has a shared cell; the returned func waits for it to end and says
// whether Redis came back. Faults that last the whole run (latency, skew)
// do nothing here.
func (f *fleetRedis) during(ctx context.Context, cells []cell, batch []int, startAt time.Time) func() error {
	none := func() error { return nil }
	if f == nil {
		return none
	}
	shared := false
	for _, i := range batch {
		shared = shared || cells[i].Redis != ""
	}
	switch f.fault {
	case faultKill, faultEmpty, faultPause, faultFailover:
	default:
		return none
	}
	if !shared {
		return none
	}
	done := make(chan error, 1)
	go func() {
		select {
		case <-time.After(time.Until(startAt.Add(faultAfter))):
		case <-ctx.Done():
			done <- ctx.Err()
			return
		}
		rec := faultRecord{at: time.Now()}
		var err error
		switch f.fault {
		case faultKill:
			f.srv.Kill()
			sleepCtx(ctx, faultFor)
			err = f.srv.Restart(context.WithoutCancel(ctx))
			rec.what = fmt.Sprintf("redis-server killed (SIGKILL) %s into the batch, restarted empty %s later", faultAfter, faultFor)
		case faultEmpty:
			err = f.srv.Restart(context.WithoutCancel(ctx))
			rec.what = fmt.Sprintf("redis-server killed and restarted at once, empty, %s into the batch", faultAfter)
		case faultPause:
			if err = f.srv.Pause(); err == nil {
				sleepCtx(ctx, faultFor)
				err = f.srv.Resume()
			}
			rec.what = fmt.Sprintf("redis-server stopped (SIGSTOP) %s into the batch for %s", faultAfter, faultFor)
		case faultFailover:
			err = f.failover(ctx)
			rec.what = fmt.Sprintf("the master of the cells' keys killed (SIGKILL) %s into the batch; its replica took over after the cluster node timeout (%s)", faultAfter, clusterNodeTimeout)
		}
		rec.reachable = time.Now()
		f.faults = append(f.faults, rec)
		done <- err
	}()
	return func() error {
		if err := <-done; err != nil {
			return fmt.Errorf("-fault %s: %w", f.fault, err)
		}
		return nil
	}
}

// failover kills the master serving the shared cells' keys (measure picks
// keys served by one master: see sameMaster) and waits until another node
// serves them.
func (f *fleetRedis) failover(ctx context.Context) error {
	key := "apikit:pacing:{" + f.faultFP + "}"
	master, err := f.cluster.MasterOf(ctx, key)
	if err != nil {
		return err
	}
	master.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if s, err := f.cluster.MasterOf(ctx, key); err == nil && s != master {
			return nil
		}
		if !sleepCtx(ctx, 50*time.Millisecond) {
			return ctx.Err()
		}
	}
	return errors.New("no replica took over the killed master's slots within 60 s")
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// faultSummary says what the fault was and, per shared cell, how long its
// processes paced alone and how soon after Redis answered again the last
// of them shared pacing again.
func (f *fleetRedis) faultSummary(results []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fault %s: ", f.fault)
	switch f.fault {
	case faultLatency10, faultLatency50:
		rtt, _ := latencyOf(f.fault)
		fmt.Fprintf(&b, "Redis %s away (round trip, through a delaying TCP proxy), ±%s jitter, the whole run", rtt, rtt/10)
	case faultSkew:
		fmt.Fprintf(&b, "the first process's Pacer clock %s ahead of the others', the whole run", skewOffset)
	}
	for _, r := range f.faults {
		fmt.Fprintf(&b, "%s; Redis answered again %.1f s after the fault began", r.what, r.reachable.Sub(r.at).Seconds())
	}
	for _, r := range results {
		if r.Cell.Redis == "" {
			continue
		}
		fmt.Fprintf(&b, "; %s: paced alone %.1f s at most (a process)", r.Cell.Mode, r.Unshared.Seconds())
		if len(f.faults) > 0 && len(r.Alone) > 0 {
			back, later, n := afterReachable(r.Alone, f.faults[len(f.faults)-1].reachable)
			fmt.Fprintf(&b, ", every process shared again %.1f s after Redis answered (target ≤ 5 s)", max(back, 0).Seconds())
			if n > 0 {
				fmt.Fprintf(&b, "; later, with Redis answering, %d stretch(es) alone, the longest %.1f s", n, later.Seconds())
			}
		}
	}
	return b.String()
}

// stretch is a time a process paced alone: from when its Pacer stopped
// sharing to when it shared again (or the cell ended).
type stretch struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// watchShared samples the Pacer's Shared every 20 ms until ctx ends: how
// long it paced alone in all, when it last came back to sharing, and each
// stretch alone.
func watchShared(ctx context.Context, shared func() bool) (wait func() (alone time.Duration, back time.Time, stretches []stretch)) {
	var alone time.Duration
	var back time.Time
	var stretches []stretch
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		was, since := true, time.Time{}
		for {
			select {
			case <-ctx.Done():
				if !was {
					alone += time.Since(since)
					stretches = append(stretches, stretch{since, time.Now()})
				}
				return
			case now := <-t.C:
				is := shared()
				switch {
				case was && !is:
					since = now
				case !was && is:
					alone += now.Sub(since)
					back = now
					stretches = append(stretches, stretch{since, now})
				}
				was = is
			}
		}
	}()
	return func() (time.Duration, time.Time, []stretch) {
		<-done
		return alone, back, stretches
	}
}

// afterReachable reads the stretches alone against when Redis answered
// again: back is how long after it the last process that paced alone
// through the fault shared again (a stretch that began before Redis
// answered); later is the longest stretch that began after — a process
// whose first call after a failover went to the dead master (its Redis
// client learns the new layout only then), or a call that timed out.
func afterReachable(stretches []stretch, reachable time.Time) (back, later time.Duration, n int) {
	for _, s := range stretches {
		if s.From.Before(reachable) {
			back = max(back, s.To.Sub(reachable))
			continue
		}
		later = max(later, s.To.Sub(s.From))
		n++
	}
	return back, later, n
}

// delayProxy is a TCP proxy on loopback that delays what it forwards by
// half a round trip each way, with jitter, keeping the order of bytes: a
// Redis that far away.
type delayProxy struct {
	l           net.Listener
	target      string
	rtt, jitter time.Duration
	wg          sync.WaitGroup
	mu          sync.Mutex
	conns       []net.Conn
}

func startDelayProxy(target string, rtt, jitter time.Duration) (*delayProxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("latency proxy: %w", err)
	}
	p := &delayProxy{l: l, target: target, rtt: rtt, jitter: jitter}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *delayProxy) addr() string { return p.l.Addr().String() }

func (p *delayProxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.l.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

// pipe copies from src to dst, each chunk delivered rtt/2 ± jitter/2
// after it was read, never before the chunk ahead of it.
func (p *delayProxy) pipe(src, dst net.Conn) {
	defer p.wg.Done()
	type chunk struct {
		b  []byte
		at time.Time
	}
	q := make(chan chunk, 1024)
	go func() {
		defer close(q)
		last := time.Time{}
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				d := p.rtt/2 + time.Duration((rand.Float64()-0.5)*float64(p.jitter))
				at := time.Now().Add(d)
				if at.Before(last) {
					at = last
				}
				last = at
				q <- chunk{buf[:n], at}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.b); err != nil {
			break
		}
	}
	_ = dst.(*net.TCPConn).CloseWrite()
	_, _ = io.Copy(io.Discard, src)
}

func (p *delayProxy) stop() {
	p.l.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// sortedFaults is faultNames, for flag help.
func sortedFaults() string {
	s := append([]string(nil), faultNames...)
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// sameMaster reports whether one master of the cluster serves the pacing
// of every one of the keys fps: a failover then hits every shared cell.
func (f *fleetRedis) sameMaster(ctx context.Context, fps []string) bool {
	var first *redistest.Server
	for _, fp := range fps {
		s, err := f.cluster.MasterOf(ctx, "apikit:pacing:{"+fp+"}")
		if err != nil || (first != nil && s != first) {
			return false
		}
		first = s
	}
	return true
}

// pickKeys draws new keys for the shared cells until one master serves
// them all, and remembers one for failover.
func (f *fleetRedis) pickKeys(ctx context.Context, cells []cell, ks []keys.Key) error {
	for range 100 {
		var fps []string
		for i, c := range cells {
			if c.Redis != "" {
				fps = append(fps, ks[i].Fingerprint())
			}
		}
		if len(fps) == 0 {
			return nil
		}
		if f.sameMaster(ctx, fps) {
			f.faultFP = fps[0]
			return nil
		}
		first := true
		for i, c := range cells {
			if c.Redis == "" {
				continue
			}
			if first {
				first = false // keep the first; draw the others again
				continue
			}
			{
				k, err := newTestKey()
				if err != nil {
					return err
				}
				ks[i] = k
			}
		}
	}
	return errors.New("-fault failover: no keys served by one master after 100 draws")
}
