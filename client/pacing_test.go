package client

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/internal/ratelimit"
	"github.com/apikit/apikit-go/pacing"
)

// TestGateHoldsANewCallWithoutSpendingARetry: a 429 closes the key's gate;
// the next call, a new one, waits behind it (no retry: retries are off)
// and then succeeds.
func TestGateHoldsANewCallWithoutSpendingARetry(t *testing.T) {
	srv := newScripted(t, reply(429, `{"error":{"code":"rate_limited"}}`, "Retry-After", "2"), reply(200, `{}`))
	var events []PacingEvent
	c, fs := newTestClient(t, srv, WithMaxRetries(0), WithPacingHook(func(ev PacingEvent) { events = append(events, ev) }))
	ctx := context.Background()
	if err := c.Do(ctx, "GET", "/v1/x", nil, nil); !errors.Is(err, apierrors.ErrRateLimited) {
		t.Fatalf("first call: %v; want the 429", err)
	}
	if err := c.Do(ctx, "GET", "/v1/x", nil, nil); err != nil {
		t.Fatalf("second call: %v; want it to wait at the gate and succeed", err)
	}
	waits := fs.got()
	if len(waits) != 1 || waits[0] < 1900*time.Millisecond || waits[0] > 2*time.Second {
		t.Fatalf("waits %v; want one wait of about 2s at the gate", waits)
	}
	if len(events) != 1 || !events[0].Gated || !events[0].Booked || events[0].Attempt != 1 || events[0].KeyFingerprint == "" {
		t.Fatalf("pacing events %+v; want one gated wait before attempt 1", events)
	}
	if n := len(srv.got()); n != 2 {
		t.Fatalf("server saw %d requests, want 2", n)
	}
}

// TestGatePastTheDeadlineSendsNothing: a call whose wait at the gate would
// pass its deadline ends at once with a typed 429 that says nothing was
// sent and when to come back.
func TestGatePastTheDeadlineSendsNothing(t *testing.T) {
	srv := newScripted(t, reply(429, `{"error":{"code":"rate_limited"}}`, "Retry-After", "30"), reply(200, `{}`))
	c, fs := newTestClient(t, srv, WithMaxRetries(0))
	_ = c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.Do(ctx, "GET", "/v1/x", nil, nil)
	if !errors.Is(err, apierrors.ErrRateLimited) {
		t.Fatalf("err = %v; want ErrRateLimited", err)
	}
	var ae *apierrors.Error
	if !errors.As(err, &ae) || ae.Attempts != 0 || ae.NotRetried == "" {
		t.Fatalf("err = %#v; want an *apierrors.Error with Attempts 0 and NotRetried", ae)
	}
	if d, ok := apierrors.RetryAfter(err); !ok || d < 29*time.Second || d > 30*time.Second {
		t.Errorf("RetryAfter = %v, %v; want what remains of the 30s gate", d, ok)
	}
	for _, want := range []string{"nothing was sent", "gate", "deadline"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err %q does not say %q", err, want)
		}
	}
	if n := len(srv.got()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
	if w := fs.got(); len(w) != 0 {
		t.Errorf("waited %v; want no wait at all", w)
	}
}

// TestGateOverTheCapSendsNothing: the same with WithMaxRetryAfter as the
// bound, and a retry held back by the gate ends with the server's 429.
func TestGateOverTheCapSendsNothing(t *testing.T) {
	srv := newScripted(t, reply(429, `{"error":{"code":"rate_limited"}}`, "Retry-After", "30"))
	c, _ := newTestClient(t, srv, WithMaxRetries(0), WithMaxRetryAfter(10*time.Second))
	_ = c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	err := c.Do(context.Background(), "GET", "/v1/x", nil, nil)
	var ae *apierrors.Error
	if !errors.As(err, &ae) || ae.Attempts != 0 || !strings.Contains(ae.NotRetried, "cap") {
		t.Fatalf("err = %v; want a typed 429, Attempts 0, NotRetried naming the cap", err)
	}
}

// TestRetriesGoThroughThePacer: under a known limit of 1 a second, a
// retry after a 503 waits its backoff and then for its slot: retries do
// not jump the queue.
func TestRetriesGoThroughThePacer(t *testing.T) {
	srv := newScripted(t, reply(503, ``), reply(200, `{}`))
	c, fs := newTestClient(t, srv, WithRateLimit(1, 1), WithRetryWait(10*time.Millisecond, 10*time.Millisecond))
	start := time.Now()
	if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	// The sleeper is fake but the pacer's clock is not: the real time the
	// call took (long on a busy machine) counts toward the slot's wait.
	elapsed := time.Since(start)
	var total time.Duration
	for _, w := range fs.got() {
		total += w
	}
	if want := pacedInterval(1); total < want-elapsed-2*time.Millisecond {
		t.Fatalf("waits %v (total %s); want the retry to wait for its slot, %s after the first", fs.got(), total, want)
	}
}

func TestPacingOptionsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Option
		want string
	}{
		{"zero rate", WithRateLimit(0, 1), "not a rate"},
		{"negative rate", WithRateLimit(-5, 1), "not a rate"},
		{"NaN rate", WithRateLimit(math.NaN(), 1), "not a rate"},
		{"infinite rate", WithRateLimit(math.Inf(1), 1), "not a rate"},
		{"zero burst", WithRateLimit(5, 0), "burst"},
		{"nil pacer", WithPacer(nil), "nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(WithService(testService("http://127.0.0.1:1")), WithAPIKey(testKey), tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestPacingReportsTheRateAndItsSource(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	c, _ := newTestClient(t, srv, WithRateLimit(5, 1))
	if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	st, ok := c.Pacing(context.Background())
	if !ok || st.Source != pacing.SourceKnown || st.Rate != 5*(1-pacing.Margin) || st.Key == "" {
		t.Fatalf("Pacing = %+v, %v; want the known limit less the margin", st, ok)
	}
}

// TestOnePacerSharedByTwoClients: two clients with the same key and one
// *pacing.Local share the key's slots.
func TestOnePacerSharedByTwoClients(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var waits []time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		now = now.Add(d)
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	p := pacing.New(pacing.WithClock(clock))
	a, _ := newTestClient(t, srv, WithPacer(p), WithRateLimit(2, 1), withSleeper(sleep))
	b, _ := newTestClient(t, srv, WithPacer(p), WithRateLimit(2, 1), withSleeper(sleep))
	ctx := context.Background()
	for _, c := range []*Client{a, b, a, b} {
		if err := c.Do(ctx, "GET", "/v1/x", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	interval := pacedInterval(2)
	if len(waits) != 3 {
		t.Fatalf("waits %v; want three, one per call after the first", waits)
	}
	for _, w := range waits {
		if w < interval-5*time.Millisecond || w > interval {
			t.Fatalf("waits %v; want each about %s: the clients share the key's slots", waits, interval)
		}
	}
}

// TestPacingLogsSayWhyAndHoldNoKey: a gate wait and a rate change are
// debug lines, with the key's fingerprint and never the key.
func TestPacingLogsSayWhyAndHoldNoKey(t *testing.T) {
	srv := newScripted(t, reply(429, `{"error":{"code":"rate_limited"}}`, "Retry-After", "1"), reply(200, `{}`))
	var lb logBuffer
	c, _ := newTestClient(t, srv, WithLogger(lb.logger()))
	if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	out := lb.String()
	for _, want := range []string{"rate-limit gate closed", "pacing rate changed", "source=learned"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for i := 0; i+8 <= len(testKey); i++ {
		if strings.Contains(out, testKey[i:i+8]) {
			t.Fatalf("log holds a piece of the key (%q):\n%s", testKey[i:i+8], out)
		}
	}
}

// pacedInterval is the spacing of a known limit of perSecond.
func pacedInterval(perSecond float64) time.Duration {
	return time.Duration(float64(time.Second) / (perSecond * (1 - pacing.Margin)))
}

func FuzzQuota(f *testing.F) {
	f.Add("5", "4", "1")
	f.Add("100;w=60", "0", "1767225600")
	f.Add("", "-1", "x")
	f.Add("9999999999999999999", " 3 ", "0")
	f.Fuzz(func(t *testing.T, limit, remaining, reset string) {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", limit)
		h.Set("X-RateLimit-Remaining", remaining)
		h.Set("X-RateLimit-Reset", reset)
		a := pacing.Answer{Remaining: -1}
		answerQuota(&a, h, ratelimit.Names{}, time.Unix(1_700_000_000, 0))
		if a.Limit < 0 || a.Remaining < -1 || a.Reset < 0 || a.ResetPrecision < 0 || a.Window < 0 {
			t.Fatalf("answerQuota(%q, %q, %q) = %+v", limit, remaining, reset, a)
		}
		if a.Limit == 0 && a.Remaining == -1 && a.Reset != 0 {
			t.Fatalf("neither a limit nor a count, but reset %s", a.Reset)
		}
	})
}

// sentCounter is a pacer in process that counts what the trace reports.
type sentCounter struct {
	*pacing.Local
	mu   sync.Mutex
	sent []int64
}

func (s *sentCounter) Sent(r pacing.Reservation) {
	s.mu.Lock()
	s.sent = append(s.sent, r.Slot)
	s.mu.Unlock()
	s.Local.Sent(r)
}

// TestPacedAttemptsReportWhenTheyAreOnTheWire: a Departer hears Sent for
// each paced attempt, with its slot; an unpaced call carries no trace.
func TestPacedAttemptsReportWhenTheyAreOnTheWire(t *testing.T) {
	srv := newScripted(t, reply(503, ``), reply(200, `{}`))
	p := &sentCounter{Local: pacing.New()}
	c, _ := newTestClient(t, srv, WithPacer(p), WithRateLimit(1000, 1), WithRetryWait(time.Millisecond, time.Millisecond))
	if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	sent := append([]int64(nil), p.sent...)
	p.mu.Unlock()
	if len(sent) != 2 || sent[0] == 0 || sent[1] <= sent[0] {
		t.Fatalf("Sent slots %v; want one per attempt, in order", sent)
	}

	unpaced := &sentCounter{Local: pacing.New()}
	c2, _ := newTestClient(t, newScripted(t, reply(200, `{}`)), WithPacer(unpaced))
	if err := c2.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	if len(unpaced.sent) != 0 {
		t.Fatalf("an unpaced call reported %v", unpaced.sent)
	}
}

// gateDuringWait is a pacer whose one slot lies 50 s away, and whose gate
// closes for 20 s more while the caller waits for it.
type gateDuringWait struct {
	pacing.Local
	departs int
}

func (g *gateDuringWait) Reserve(_ context.Context, fp string, _ pacing.Limit, maxWait time.Duration) (pacing.Reservation, error) {
	const d = 50 * time.Second
	if d > maxWait {
		return pacing.Reservation{Delay: d, Key: fp}, nil
	}
	return pacing.Reservation{OK: true, Delay: d, Key: fp, Slot: 1}, nil
}

func (g *gateDuringWait) Depart(pacing.Reservation) time.Duration {
	if g.departs++; g.departs == 1 {
		return 20 * time.Second
	}
	return 0
}

func (g *gateDuringWait) Report(context.Context, pacing.Reservation, pacing.Answer) error { return nil }

// A call admitted to a slot within the cap is not refused after waiting
// for it because a gate closed meanwhile: the gate is weighed against the
// cap as it stands (60 s), not against the 10 s left of the first wait.
func TestAGateClosedDuringABookedWaitIsWeighedAfresh(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	p := &gateDuringWait{}
	c, fs := newTestClient(t, srv, WithPacer(p), WithMaxRetryAfter(time.Minute))
	if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
		t.Fatalf("Do: %v (waits %v)", err, fs.got())
	}
	if got := fs.got(); len(got) != 2 || got[0] != 50*time.Second || got[1] != 20*time.Second {
		t.Fatalf("waits %v; want the slot's 50s, then the gate's 20s", got)
	}
	// A slot beyond the cap is refused at once: nothing waited.
	p2 := &gateDuringWait{}
	c2, fs2 := newTestClient(t, srv, WithPacer(p2), WithMaxRetryAfter(30*time.Second))
	if err := c2.Do(context.Background(), "GET", "/v1/x", nil, nil); err == nil || len(fs2.got()) != 0 {
		t.Fatalf("slot beyond the cap: %v after waits %v; want a refusal at once", err, fs2.got())
	}
}

// comeBack is a pacer that first tells the caller to come back in 40 s
// (its slot far off), then, its rate having fallen meanwhile, books it 30 s
// further.
type comeBack struct {
	pacing.Local
	asks int
}

func (p *comeBack) Reserve(_ context.Context, fp string, _ pacing.Limit, maxWait time.Duration) (pacing.Reservation, error) {
	p.asks++
	d := 30 * time.Second
	if p.asks == 1 {
		d = 40 * time.Second
	}
	if d > maxWait {
		return pacing.Reservation{Delay: d, Key: fp}, nil
	}
	return pacing.Reservation{OK: p.asks > 1, Delay: d, Key: fp, Slot: int64(p.asks - 1)}, nil
}

func (p *comeBack) Report(context.Context, pacing.Reservation, pacing.Answer) error { return nil }

// A caller told to come back is admitted: its slot, moved by a falling
// rate, is weighed against the cap as it stands then, not against what
// remained of the first wait (it would have waited 40 s to be refused).
func TestACallerToldToComeBackIsNotRefusedAfterWaiting(t *testing.T) {
	srv := newScripted(t, reply(200, `{}`))
	c, fs := newTestClient(t, srv, WithPacer(&comeBack{}), WithMaxRetryAfter(time.Minute))
	if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
		t.Fatalf("Do: %v (waits %v)", err, fs.got())
	}
	if got := fs.got(); len(got) != 2 || got[0] != 40*time.Second || got[1] != 30*time.Second {
		t.Fatalf("waits %v; want 40s, then 30s", got)
	}
}

// gatePacer is a pacer that books every attempt at once and, told of a
// 429, closes its gate for gate (0: holds no gate), as pacing.Local does
// for a bucket of one's whole-second Retry-After.
type gatePacer struct {
	mu    sync.Mutex
	gate  time.Duration
	opens time.Time
}

func (p *gatePacer) Reserve(_ context.Context, fp string, _ pacing.Limit, _ time.Duration) (pacing.Reservation, error) {
	return pacing.Reservation{OK: true, Key: fp, Slot: time.Now().UnixNano()}, nil
}
func (p *gatePacer) Cancel(context.Context, pacing.Reservation) error { return nil }
func (p *gatePacer) Report(_ context.Context, _ pacing.Reservation, a pacing.Answer) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a.Status == 429 && p.gate > 0 {
		p.opens = time.Now().Add(p.gate)
	}
	return nil
}
func (p *gatePacer) State(_ context.Context, fp string) (pacing.State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return pacing.State{Key: fp, Source: pacing.SourceLearned, Rate: 5, GateOpens: p.opens}, nil
}

// TestARetryWaitsAtThePacersShorterGate: the retry of a call refused with
// a 429 waits at the key's gate when the pacer closed it for less than the
// server's whole-second Retry-After (a bucket of one, whose wait of tens of
// milliseconds is rounded up to a second); a pacer without a gate, or one
// about as long, leaves the hint whole.
func TestARetryWaitsAtThePacersShorterGate(t *testing.T) {
	for _, tc := range []struct {
		gate     time.Duration
		min, max time.Duration
	}{
		{gate: 70 * time.Millisecond, min: 0, max: 71 * time.Millisecond},
		{gate: 0, min: time.Second, max: time.Second},
		{gate: 990 * time.Millisecond, min: time.Second, max: time.Second},
	} {
		srv := newScripted(t, reply(429, `{"error":{"code":"rate_limited"}}`, "Retry-After", "1"), reply(200, `{}`))
		c, fs := newTestClient(t, srv, WithPacer(&gatePacer{gate: tc.gate}))
		if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); err != nil {
			t.Fatalf("gate %s: %v", tc.gate, err)
		}
		waits := fs.got()
		if len(waits) != 1 || waits[0] < tc.min || waits[0] > tc.max {
			t.Fatalf("pacer gate %s: waits %v; want one in [%s, %s]", tc.gate, waits, tc.min, tc.max)
		}
	}
}
