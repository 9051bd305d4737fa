package reliability

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
)

// streamCut is one way an open stream's connection ends early.
type streamCut struct {
	name string
	// cut breaks the open connection (a toxic, the proxy, the server).
	cut func(t *testing.T, r *rig)
	// heal undoes it; it runs at the healAt-th reconnection attempt after
	// the cut (1: the first), so that healAt > 1 makes reconnections fail
	// too before one succeeds.
	heal   func(r *rig)
	healAt int32
	opts   []client.RequestOption
	rounds int // cuts per run; 3 unless set
}

// streamIdle is the idle timeout of the stalled-connection cuts: a few
// hundred stream intervals.
const streamIdle = 300 * time.Millisecond

func streamCuts() []streamCut {
	toxic := func(js string) func(*testing.T, *rig) {
		return func(t *testing.T, r *rig) { r.toxic(t, js) }
	}
	clear := func(r *rig) { r.clearAfterCut() }
	return []streamCut{
		{name: "TCP reset, server to client (reset_peer downstream)",
			cut: toxic(`{"name":"c","type":"reset_peer","stream":"downstream","attributes":{"timeout":0}}`), heal: clear},
		{name: "TCP reset 30 ms later, mid-flow (reset_peer downstream, timeout 30)",
			cut: toxic(`{"name":"c","type":"reset_peer","stream":"downstream","attributes":{"timeout":30}}`), heal: clear},
		{name: "cut mid-event after 100 bytes (limit_data)",
			cut: toxic(`{"name":"c","type":"limit_data","stream":"downstream","attributes":{"bytes":100}}`), heal: clear},
		{name: "cut mid-event after a fragmented stream (slicer, then limit_data)",
			cut: func(t *testing.T, r *rig) {
				r.toxic(t, `{"name":"s","type":"slicer","stream":"downstream","attributes":{"average_size":3,"size_variation":2,"delay":0}}`)
				r.toxic(t, `{"name":"c","type":"limit_data","stream":"downstream","attributes":{"bytes":150}}`)
			}, heal: clear},
		{name: "silent connection (timeout toxic, WithStreamIdleTimeout)",
			cut:  toxic(`{"name":"c","type":"timeout","stream":"downstream","attributes":{"timeout":0}}`),
			heal: clear, opts: []client.RequestOption{client.WithStreamIdleTimeout(streamIdle)}},
		{name: "server ends the stream (clean end of the response)",
			cut: func(t *testing.T, r *rig) { r.srv.CutOpenStreams() }},
		{name: "proxy down: the reconnection is refused twice",
			cut: func(t *testing.T, r *rig) { r.proxy.Stop() }, heal: func(r *rig) { _ = r.proxy.Start() }, healAt: 3},
		{name: "server ends the stream, then drops the reconnection (DropNext)",
			cut: func(t *testing.T, r *rig) { r.srv.DropNext(1); r.srv.CutOpenStreams() }},
		{name: "server ends the stream, then answers 503 with Retry-After: 1",
			cut: func(t *testing.T, r *rig) { r.srv.FailNext(1, 503, time.Second); r.srv.CutOpenStreams() }, rounds: 1},
	}
}

// streamTally is what one run of a cut delivered.
type streamTally struct {
	events, lost, repeated int
	reconnects             int32
}

// TestStreamCutsLoseNothing cuts an open stream through a real fault proxy
// (Toxiproxy), in every way above, three times a run, and checks that the
// reader gets every event once, in order: no id skipped (lost) and none
// seen twice (repeated). The figures go in docs/RELIABILITY.md.
func TestStreamCutsLoseNothing(t *testing.T) {
	var total streamTally
	cuts := sample(streamCuts(), 0, 2, 5, 7) // resets, a cut mid-event, the server's end, a dropped reconnection
	for _, sc := range cuts {
		t.Run(sc.name, func(t *testing.T) {
			tally := runStreamCut(t, sc)
			t.Logf("%-70s events %3d, reconnection attempts %2d, lost %d, repeated %d",
				sc.name, tally.events, tally.reconnects, tally.lost, tally.repeated)
			if tally.lost != 0 || tally.repeated != 0 {
				t.Errorf("%d events lost, %d repeated", tally.lost, tally.repeated)
			}
			total.events += tally.events
			total.lost += tally.lost
			total.repeated += tally.repeated
			total.reconnects += tally.reconnects
		})
	}
	t.Logf("all %d kinds of cut: %d events, %d reconnection attempts, %d lost, %d repeated",
		len(cuts), total.events, total.reconnects, total.lost, total.repeated)
}

func runStreamCut(t *testing.T, sc streamCut) streamTally {
	r := newRig(t)
	r.srv.SetStreamInterval(2 * time.Millisecond)
	key, _, err := r.srv.IssueKey(clienttest.KeyParams{Name: "stream", Scopes: []string{"stream"}})
	if err != nil {
		t.Fatal(err)
	}
	var attempts, healAfter atomic.Int32
	healAfter.Store(-1)
	c, err := r.srv.NewClient(key, client.WithBaseURL(r.base), client.WithHTTPClient(&http.Client{Transport: r.transport()}),
		client.WithRetryWait(fastWaitMin, fastWaitMax), client.WithMaxRetries(10),
		client.WithRetryHook(func(client.RetryEvent) {
			if n := attempts.Add(1); n == healAfter.Load() && sc.heal != nil {
				sc.heal(r)
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := c.Stream(ctx, "/v1/stream", sc.opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		s.Close()
		if err := r.srv.WaitOpenStreams(ctx, 0); err != nil {
			t.Errorf("after Close: %v", err)
		}
	}()

	var tally streamTally
	prev := 0
	next := func() {
		t.Helper()
		if !s.Next() {
			t.Fatalf("after %d events and %d reconnection attempts: %v", tally.events, attempts.Load(), s.Err())
		}
		id, err := strconv.Atoi(s.Event().ID)
		if err != nil {
			t.Fatalf("event id %q: %v", s.Event().ID, err)
		}
		switch {
		case id <= prev:
			tally.repeated++
		case id > prev+1:
			tally.lost += id - prev - 1
		}
		if id > prev {
			prev = id
		}
		tally.events++
	}
	rounds := sc.rounds
	if rounds == 0 {
		rounds = 3
	}
	healAt := max(sc.healAt, 1)
	for round := 0; round < rounds; round++ {
		for i := 0; i < 3; i++ {
			next()
		}
		before := attempts.Load()
		healAfter.Store(before + healAt)
		sc.cut(t, r)
		for attempts.Load() < before+healAt { // events already on their way, then the cut
			next()
		}
		for i := 0; i < 5; i++ { // the stream goes on after the reconnection
			next()
		}
	}
	tally.reconnects = attempts.Load()
	return tally
}
