package redispacing

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apikit/apikit-go/pacing"
)

// reserveReply is the reserve script's reply, read.
type reserveReply struct {
	ok, gated, changed bool
	delay, slot        int64 // µs
	src                pacing.Source
	rate, prev         float64
	reason             string
	procs              int   // processes on the key; 0 when this call did not register
	index              int   // this process's place among them, from 0
	now, tat, epoch    int64 // Redis's clock when the script ran, the next free slot, the hash's epoch (µs)
	burst              int
	move               move // the last cut's move of the slots booked before it
}

// move is how the last cut of a learned rate moved the slots booked before
// it (Redis's clock, µs): a slot t from at to end goes to gate + (t - at)
// * k, behind the cut's gate and at the new interval. The zero move moves
// nothing.
type move struct {
	at, gate, end int64
	k             float64
}

// of is where the move puts slot t (µs).
func (m move) of(t int64) int64 {
	if m.at <= 0 || t < m.at || t >= m.end {
		return t
	}
	return m.gate + int64(float64(t-m.at)*m.k+0.5)
}

// parseMove reads a move from four reply fields (at, gate, k as text,
// end); one out of range (a gate before the cut, a k below 1 or above 100)
// is no move.
func parseMove(a []any, i int) move {
	var m move
	m.at, _ = intAt(a, i)
	m.gate, _ = intAt(a, i+1)
	m.k, _ = floatAt(a, i+2)
	m.end, _ = intAt(a, i+3)
	if m.at <= 0 || m.gate < m.at || m.end <= m.at || !(m.k >= 1 && m.k <= 100) {
		return move{}
	}
	return m
}

// reportReply is the report script's reply, read.
type reportReply struct {
	src        pacing.Source
	rate, prev float64
	changed    bool
	reason     string
	gateClosed bool
	gate       int64 // µs
	move       move
}

// parseReserve reads the reserve script's reply (see reserveScript).
func parseReserve(v any) (reserveReply, error) {
	var r reserveReply
	a, err := fields(v, 19)
	if err != nil {
		return r, err
	}
	r.move = parseMove(a, 15)
	r.now, _ = intAt(a, 11)
	r.tat, _ = intAt(a, 12)
	r.epoch, _ = intAt(a, 13)
	burst, _ := intAt(a, 14)
	r.burst = int(max(min(burst, 1<<20), 0))
	r.reason, _ = a[8].(string)
	procs, _ := intAt(a, 9)
	r.procs = int(max(min(procs, 1<<20), 0))
	index, _ := intAt(a, 10)
	if index < 0 || index >= max(procs, 1) {
		index = 0
	}
	r.index = int(index)
	ok, e1 := intAt(a, 0)
	r.delay, err = intAt(a, 1)
	gated, e2 := intAt(a, 2)
	r.slot, _ = intAt(a, 3)
	src, e3 := intAt(a, 4)
	r.rate, _ = floatAt(a, 5)
	changed, _ := intAt(a, 6)
	r.prev, _ = floatAt(a, 7)
	if err = firstErr(err, e1, e2, e3); err != nil {
		return r, err
	}
	if src < 0 || src > int64(pacing.SourceLearned) {
		return r, fmt.Errorf("reserve reply: source %d is not one this pacer knows", src)
	}
	if r.delay < 0 || r.slot < 0 {
		return r, fmt.Errorf("reserve reply: a negative delay (%d µs) or slot (%d µs)", r.delay, r.slot)
	}
	r.ok, r.gated, r.changed = ok == 1, gated == 1, changed == 1
	r.src = pacing.Source(src)
	return r, nil
}

// parseReport reads the report script's reply (see reportScript).
func parseReport(v any) (reportReply, error) {
	var r reportReply
	a, err := fields(v, 11)
	if err != nil {
		return r, err
	}
	r.move = parseMove(a, 7)
	src, err := intAt(a, 0)
	r.rate, _ = floatAt(a, 1)
	r.prev, _ = floatAt(a, 2)
	changed, e1 := intAt(a, 3)
	r.reason, _ = a[4].(string)
	closed, e2 := intAt(a, 5)
	r.gate, _ = intAt(a, 6)
	if err = firstErr(err, e1, e2); err != nil {
		return r, err
	}
	if src < 0 || src > int64(pacing.SourceLearned) {
		return r, fmt.Errorf("report reply: source %d is not one this pacer knows", src)
	}
	r.src, r.changed, r.gateClosed = pacing.Source(src), changed == 1, closed == 1
	return r, nil
}

// parseState reads the state script's reply: src rate burst gate (as
// HMGET gives them) and Redis's clock. Times are Redis's.
func parseState(fp string, vals []any) (pacing.State, error) {
	st := pacing.State{Key: fp}
	if len(vals) != 5 {
		return st, fmt.Errorf("state reply: %d fields, want 5", len(vals))
	}
	num := func(v any) float64 {
		if n, ok := v.(int64); ok {
			return float64(n)
		}
		s, _ := v.(string)
		f, _ := strconv.ParseFloat(s, 64)
		return f
	}
	now := time.UnixMicro(int64(num(vals[4])))
	src := int(num(vals[0]))
	if src < 0 || src > int(pacing.SourceLearned) {
		return st, fmt.Errorf("state reply: source %d is not one this pacer knows", src)
	}
	st.Source, st.Rate, st.Burst = pacing.Source(src), num(vals[1]), int(num(vals[2]))
	if g := time.UnixMicro(int64(num(vals[3]))); g.After(now) {
		st.GateOpens = g
	}
	return st, nil
}

func fields(v any, n int) ([]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("script reply: %T, want an array", v)
	}
	if len(a) != n {
		return nil, fmt.Errorf("script reply: %d fields, want %d", len(a), n)
	}
	return a, nil
}

func intAt(a []any, i int) (int64, error) {
	switch x := a[i].(type) {
	case int64:
		return x, nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("script reply: field %d: %w", i, err)
		}
		return n, nil
	}
	return 0, fmt.Errorf("script reply: field %d is %T, want an integer", i, a[i])
}

func floatAt(a []any, i int) (float64, error) {
	s, ok := a[i].(string)
	if !ok {
		return 0, fmt.Errorf("script reply: field %d is %T, want a number as text", i, a[i])
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("script reply: field %d: %w", i, err)
	}
	return f, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
