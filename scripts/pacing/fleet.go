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
// shared through Redis at addr (a comma-separated list: a Redis Cluster's
// nodes), and the Pacer, whose Shared the worker watches. offset puts the
// Pacer's clock that far off (the -fault skew cell's first process).
func sharedPacerOption(addr string, offset time.Duration) (client.Option, *redispacing.Pacer, error) {
	var rdb redis.UniversalClient
	if strings.Contains(addr, ",") {
		rdb = redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addr, ","), MaxRetries: -1, DialTimeout: time.Second})
	} else {
		rdb = redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	}
	opts := []redispacing.Option{}
	tr := openFleetTrace()
	if tr != nil {
		opts = append(opts, redispacing.WithObserver(tr.event), redispacing.WithLogger(tr.logger()))
	}
	if offset != 0 {
		opts = append(opts, redispacing.WithClock(func() time.Time { return time.Now().Add(offset) }))
	}
	p, err := redispacing.New(rdb, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("redispacing.New: %w", err)
	}
	if tr != nil {
		return client.WithPacer(&tracedPacer{Pacer: p, tr: tr}), p, nil
	}
	return client.WithPacer(p), p, nil
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

// fleetRedis is the Redis of a run (a redis-server, or with -fault
// failover a Redis Cluster), with its command counts at the start, and the
// fault the run puts it through.
type fleetRedis struct {
	srv     *redistest.Server
	cluster *redistest.Cluster
	proxy   *delayProxy // -fault latency*: the cells reach Redis through it
	before  map[string]int64
	fault   string
	faultFP string        // -fault failover: the key whose master is killed
	faults  []faultRecord // one per batch with a shared cell
}

func startFleetRedis(ctx context.Context, fault string) (*fleetRedis, error) {
	f := &fleetRedis{fault: fault}
	if fault == faultFailover {
		c, err := redistest.StartCluster(ctx, 3, clusterNodeTimeout)
		if err != nil {
			return nil, err
		}
		f.cluster = c
		return f, nil
	}
	srv, err := redistest.Start(ctx)
	if err != nil {
		return nil, err
	}
	f.srv = srv
	before, err := srv.CommandStats(ctx)
	if err != nil {
		srv.Stop()
		return nil, fmt.Errorf("reading redis-server's INFO commandstats: %w", err)
	}
	f.before = before
	if rtt, ok := latencyOf(fault); ok {
		if f.proxy, err = startDelayProxy(srv.Addr(), rtt, rtt/5); err != nil {
			srv.Stop()
			return nil, err
		}
	}
	return f, nil
}

// addr is where the shared cells reach Redis.
func (f *fleetRedis) addr() string {
	switch {
	case f.cluster != nil:
		return strings.Join(f.cluster.Addrs(), ",")
	case f.proxy != nil:
		return f.proxy.addr()
	}
	return f.srv.Addr()
}

// usage says how many commands the shared cells sent to Redis per attempt
// nginx answered for them: scripts (EVALSHA, and EVAL once per process to
// load each script) as round trips, and everything else (the HELLO and
// CLIENT commands of each new connection).
func (f *fleetRedis) usage(ctx context.Context, results []result) string {
	if f.fault != "" {
		return f.faultSummary(results)
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

func (f *fleetRedis) stop() {
	if f.proxy != nil {
		f.proxy.stop()
	}
	if f.cluster != nil {
		f.cluster.Stop()
	}
	if f.srv != nil {
		f.srv.Stop()
	}
}
