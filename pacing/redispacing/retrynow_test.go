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

// A key passed where its fingerprint belongs (k.Reveal() instead of
// k.Fingerprint()) is refused, so that it can never name a Redis key or sit
// in the fleet's list.
func TestRawKeyIsNoFingerprint(t *testing.T) {
	_, ps := fleet(t, 1, newClock())
	raw := "hd_live_8K2nB7q4XwY1pVzR9tL6mDfC0sJaE3gH"
	if k, err := ps[0].Key(raw); err == nil {
		t.Errorf("Key(raw key) = %q, want an error", k)
	}
	if _, err := ps[0].Reserve(ctx, raw, pacing.Limit{}, time.Minute); err == nil {
		t.Error("Reserve with a raw key: want an error")
	}
	for _, fp := range []string{"fp_0123456789ab", "fp_keyless"} {
		if _, err := ps[0].Key(fp); err != nil {
			t.Errorf("Key(%q): %v", fp, err)
		}
	}
}
