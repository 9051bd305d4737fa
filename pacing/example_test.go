package pacing_test

import (
	"context"
	"fmt"
	"time"

	"github.com/apikit/apikit-go/pacing"
)

// A known limit of 5 requests a second: slots are about 206 ms apart (the
// limit less pacing.Margin). A slot further ahead than the caller can wait
// is refused at once, without booking it.
func ExampleNew() {
	clk := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	p := pacing.New(pacing.WithClock(func() time.Time { return clk }))
	ctx := context.Background()
	lim := pacing.Limit{PerSecond: 5, Burst: 1}

	for range 3 {
		r, _ := p.Reserve(ctx, "fp_0123456789ab", lim, time.Minute)
		fmt.Println("booked:", r.OK, "wait:", r.Delay.Round(time.Millisecond))
	}
	r, _ := p.Reserve(ctx, "fp_0123456789ab", lim, 100*time.Millisecond)
	fmt.Println("booked:", r.OK, "wait needed:", r.Delay.Round(time.Millisecond))
	// Output:
	// booked: true wait: 0s
	// booked: true wait: 206ms
	// booked: true wait: 412ms
	// booked: false wait needed: 619ms
}

// A 429 closes the key's gate for the server's hint: every caller, new ones
// too, waits behind it.
func ExampleLocal_Report() {
	clk := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	p := pacing.New(pacing.WithClock(func() time.Time { return clk }))
	ctx := context.Background()

	r, _ := p.Reserve(ctx, "fp_0123456789ab", pacing.Limit{}, time.Minute)
	_ = p.Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: 2 * time.Second, Remaining: -1})

	st, _ := p.State(ctx, "fp_0123456789ab")
	fmt.Println("source:", st.Source, "gate opens in:", st.GateOpens.Sub(clk))
	r, _ = p.Reserve(ctx, "fp_0123456789ab", pacing.Limit{}, time.Minute)
	fmt.Println("booked:", r.OK, "gated:", r.Gated, "wait:", r.Delay)
	// Output:
	// source: learned gate opens in: 2s
	// booked: true gated: true wait: 2s
}

// The observer hears each time a key's gate closes and each time its rate
// is set; a client with a logger writes these as debug lines.
func ExampleWithObserver() {
	clk := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	p := pacing.New(
		pacing.WithClock(func() time.Time { return clk }),
		pacing.WithObserver(func(ev pacing.Event) {
			fmt.Printf("%s: %s at %.2f/s (%s)\n", ev.Kind, ev.Source, ev.Rate, ev.Reason)
		}),
	)
	ctx := context.Background()
	r, _ := p.Reserve(ctx, "fp_0123456789ab", pacing.Limit{}, time.Minute)
	_ = p.Report(ctx, r, pacing.Answer{Status: 200, Limit: 5, Remaining: 4, Reset: time.Second})
	r, _ = p.Reserve(ctx, "fp_0123456789ab", pacing.Limit{}, time.Minute)
	_ = p.Report(ctx, r, pacing.Answer{Status: 429, RetryAfter: time.Second, Remaining: -1})
	// Output:
	// rate changed: headers at 4.85/s (5 requests per 1s)
	// rate changed: headers at 4.70/s (429: a wider margin)
	// gate closed: headers at 4.70/s (429)
}
