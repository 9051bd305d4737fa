package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/pacing/redispacing"
	"github.com/apikit/apikit-go/pacing/redispacing/redistest"
)

// The fleet on Redis (-procs N -redis, issue 13): each cell's N worker
// processes share one redispacing.Pacer on a redis-server this program
// starts on a free loopback port (and stops after), and each cell also runs
// without it, each process pacing itself, for contrast. The run reports
// the Redis commands the shared cells cost per attempt, from INFO
// commandstats.

// sharedPacerOption is the option a worker's client gets when its cell is
// shared through Redis at addr.
func sharedPacerOption(addr string) (client.Option, error) {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	p, err := redispacing.New(rdb)
	if err != nil {
		return nil, fmt.Errorf("redispacing.New: %w", err)
	}
	return client.WithPacer(p), nil
}

// kindLabel is a cell's client as the tables show it.
func kindLabel(c cell) string {
	if c.Redis != "" {
		return c.Kind + " + Redis"
	}
	return c.Kind
}

// fleetCells gives each multi-process cell a twin shared through the Redis
// at addr, placed before it; without contrast only the twins are kept.
func fleetCells(cells []cell, addr string, contrast bool) []cell {
	var out []cell
	for _, c := range cells {
		if c.Procs < 2 || c.Kind != clientAPIKit {
			out = append(out, c)
			continue
		}
		shared := c
		shared.Redis = addr
		out = append(out, shared)
		if contrast {
			out = append(out, c)
		}
	}
	return out
}

// fleetRedis is the redis-server of a run, with its command counts at the
// start.
type fleetRedis struct {
	srv    *redistest.Server
	before map[string]int64
	killed bool // -kill-redis: the counts start again at each restart
}

func startFleetRedis(ctx context.Context) (*fleetRedis, error) {
	srv, err := redistest.Start(ctx)
	if err != nil {
		return nil, err
	}
	before, err := srv.CommandStats(ctx)
	if err != nil {
		srv.Stop()
		return nil, fmt.Errorf("reading redis-server's INFO commandstats: %w", err)
	}
	return &fleetRedis{srv: srv, before: before}, nil
}

// usage says how many commands the shared cells sent to Redis per attempt
// nginx answered for them: scripts (EVALSHA, and EVAL once per process to
// load each script) as round trips, and everything else (the HELLO and
// CLIENT commands of each new connection).
func (f *fleetRedis) usage(ctx context.Context, results []result) string {
	if f.killed {
		return fmt.Sprintf("Redis (-kill-redis): killed %s into each batch with a shared cell and restarted %s later; its command counts start again at each restart, so none are reported", killAfter, restartAfter)
	}
	after, err := f.srv.CommandStats(ctx)
	if err != nil {
		return fmt.Sprintf("Redis: could not read INFO commandstats: %v", err)
	}
	attempts := 0
	for _, r := range results {
		if r.Cell.Redis != "" {
			attempts += r.Served
		}
	}
	delta := func(name string) int64 { return after[name] - f.before[name] }
	scripts := delta("evalsha") + delta("eval")
	// The commands a new pooled connection sends (HELLO, CLIENT SETINFO);
	// the scripts' own commands (HGETALL, HSET, ZADD, …) run inside them
	// and are no round trips.
	var other int64
	for name, n := range after {
		if name == "hello" || strings.HasPrefix(name, "client") {
			other += n - f.before[name]
		}
	}
	if attempts == 0 {
		return fmt.Sprintf("Redis: %d scripts and %d other commands, no attempts counted", scripts, other)
	}
	n := float64(attempts)
	return fmt.Sprintf("Redis (shared cells, INFO commandstats): %d EVALSHA + %d EVAL for %d attempts = %.2f scripts per attempt (target ≤ 2); "+
		"plus %d connection set-up commands (HELLO, CLIENT SETINFO: once per pooled connection) = %.2f commands per attempt in all",
		delta("evalsha"), delta("eval"), attempts, float64(scripts)/n, other, float64(scripts+other)/n)
}

func (f *fleetRedis) stop() { f.srv.Stop() }

// Fault timing of -kill-redis, from a batch's start.
const (
	killAfter    = 4 * time.Second
	restartAfter = 3 * time.Second
)

// killDuring kills redis-server killAfter into the batch when it has a
// shared cell, and restarts it restartAfter later; the returned func waits
// for that and says whether the restart worked. With kill false (or no
// Redis) it does nothing.
func (f *fleetRedis) killDuring(ctx context.Context, kill bool, cells []cell, batch []int, startAt time.Time) func() error {
	none := func() error { return nil }
	if f == nil || !kill {
		return none
	}
	shared := false
	for _, i := range batch {
		shared = shared || cells[i].Redis != ""
	}
	if !shared {
		return none
	}
	done := make(chan error, 1)
	go func() {
		select {
		case <-time.After(time.Until(startAt.Add(killAfter))):
		case <-ctx.Done():
			done <- ctx.Err()
			return
		}
		f.srv.Kill()
		select {
		case <-time.After(restartAfter):
		case <-ctx.Done():
		}
		f.killed = true
		done <- f.srv.Restart(context.WithoutCancel(ctx))
	}()
	return func() error {
		if err := <-done; err != nil {
			return fmt.Errorf("-kill-redis: restarting redis-server: %w", err)
		}
		return nil
	}
}
