package redispacing

import (
	"testing"
	"time"

	"github.com/apikit/apikit-go/pacing"
)

// A 429 that says "retry now" (Retry-After: 0, which the client reports as
// Answer.RetryAfter below 0) holds nobody back, in the fleet as in
// pacing.Local: no gate closes and no rate is learned from it.
func TestRetryNowClosesNoGate(t *testing.T) {
	clk := newClock()
	_, ps := fleet(t, 2, clk)
	r, _ := ps[0].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	if err := ps[0].Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: -1, Remaining: -1}); err != nil {
		t.Fatal(err)
	}
	r2, _ := ps[1].Reserve(ctx, fp, pacing.Limit{}, time.Minute)
	if !r2.OK || r2.Gated || r2.Delay != 0 {
		t.Fatalf("after a 429 that said retry now: %+v, want an immediate slot", r2)
	}
	st, err := ps[1].State(ctx, fp)
	if err != nil || st.Source != pacing.SourceNone || !st.GateOpens.IsZero() {
		t.Fatalf("state %+v %v, want nothing learned and no gate", st, err)
	}
}
