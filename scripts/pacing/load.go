package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apikit/apikit-go/client"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
)

// The clients a cell can drive. apikit is the one with targets; the other two
// are the references issue 11 compares it with, in the same run.
const (
	clientAPIKit    = "apikit"        // one shared client.Client, default options
	clientRetryable = "retryablehttp" // plain go-retryablehttp, default options
	clientXRate     = "x/time/rate"   // net/http paced by x/time/rate at 0.9x the limit, no retries
)

// How the client knows the limit, which decides the gateway it talks to.
const (
	modeKnown   = "known"   // client.WithRateLimit(5, 1); blind gateway
	modeHeaders = "headers" // learned from X-RateLimit-*; headers gateway
	modeBlind   = "blind"   // learned from 429s alone; blind gateway
)

// xratePace is the reference client's pace, as a fraction of the limit.
const xratePace = 0.9

// cell is one measurement: W goroutines (in each of Procs processes) sharing
// Calls calls on one fresh key, through one client.
type cell struct {
	W     int    `json:"w"`
	Calls int    `json:"calls"`
	Procs int    `json:"procs"` // separate OS processes on the key, each with W goroutines and a share of the calls
	Kind  string `json:"client"`
	Mode  string `json:"mode"`
	// Redis, when set, is the address of the redis-server through which
	// the cell's processes share one redispacing.Pacer (-redis; fleet.go).
	Redis string `json:"redis,omitempty"`
	// ClockOffset puts a worker's Pacer clock that far off (-fault skew:
	// the first process only).
	ClockOffset time.Duration `json:"clock_offset,omitempty"`
	// Lim is the third-party limiter the cell runs against (limiters.go);
	// nil for nginx.
	Lim *limiterConfig `json:"-"`
}

// id names the cell in the request path, so the server's access log can be
// split by cell without logging the key.
func (c cell) id() string {
	kind := map[string]string{clientAPIKit: "apikit", clientRetryable: "retryablehttp", clientXRate: "xrate"}[c.Kind]
	id := fmt.Sprintf("p%d-w%d-n%d-%s-%s", c.Procs, c.W, c.Calls, kind, c.Mode)
	if c.Lim != nil {
		id = c.Lim.Name + "-" + id
	}
	if c.Redis != "" {
		id += "-redis"
	}
	return id
}

// path is the request path of every call of the cell.
func (c cell) path() string { return "/v1/pacing/" + c.id() }

// callers is how many goroutines share the key, across processes.
func (c cell) callers() int { return c.W * max(c.Procs, 1) }

// limitTime is how long the gateway's limit needs for the cell's calls.
// For a quota (a window longer than the pacer spreads), it is the ideal:
// a burst of the limit at the start of each window, so the last call goes
// when the window of its burst opens.
func (c cell) limitTime() time.Duration {
	if c.Lim == nil {
		return time.Duration(float64(c.Calls) / gatewayRate * float64(time.Second))
	}
	if c.Lim.quota() {
		windows := (c.Calls + c.Lim.Limit - 1) / c.Lim.Limit
		return max(time.Duration(windows-1)*c.Lim.window(), time.Second)
	}
	return time.Duration(float64(c.Calls) / c.Lim.rate() * float64(time.Second))
}

// rate is the limit's sustained rate, and what a caller who knows it
// passes to WithRateLimit.
func (c cell) rate() (perSecond float64, burst int) {
	if c.Lim == nil {
		return gatewayRate, 1
	}
	return c.Lim.known()
}

// result is what one cell measured. The client's side is filled in by
// runCell; the server's side by countServer from nginx's access log.
type result struct {
	Cell cell `json:"cell"`

	// The client's side.
	Start     time.Time `json:"start"`      // the barrier opened
	End       time.Time `json:"end"`        // the last call returned
	Failed    int       `json:"failed"`     // calls that returned an error
	Errors    []string  `json:"errors"`     // a few distinct failure texts
	Client429 int       `json:"client_429"` // 429 answers the client saw
	FirstSign time.Time `json:"first_sign"` // when the client first saw a 429; zero if never
	Skipped   string    `json:"skipped,omitempty"`
	Pacer     string    `json:"pacer,omitempty"` // apikit: the pacer's state after the last call, e.g. "learned 4.60/s"
	SentEarly int       `json:"sent_early"`      // requests sent (entered the transport) before FirstSign: the cold first wave's candidates
	// Shared cells: how long the Pacer paced alone (Redis not answering),
	// and when it last came back to sharing (zero: never alone).
	Unshared    time.Duration `json:"unshared,omitempty"`
	SharedAgain time.Time     `json:"shared_again,omitempty"`
	Alone       []stretch     `json:"alone,omitempty"` // each stretch paced alone, of every process
	unfinished  int           // calls never made (the cell's deadline passed)
	leaked      bool          // a worker process printed the key (a harness failure)

	// The server's side (nginx's access log), the truth.
	Served      int `json:"served"`       // requests nginx answered
	Server429   int `json:"server_429"`   // of which 429
	FirstWave   int `json:"first_wave"`   // 429s to requests sent before the client saw any 429, at most callers-1
	OtherStatus int `json:"other_status"` // neither 200 nor 429
	Conns       int `json:"conns"`        // distinct TCP connections
}

// wall is the cell's wall time.
func (r result) wall() time.Duration { return r.End.Sub(r.Start) }

// ratio is the wall time over the limit's time.
func (r result) ratio() float64 { return r.wall().Seconds() / r.Cell.limitTime().Seconds() }

// later429 are the 429s after the cold first wave: those the targets count.
func (r result) later429() int { return r.Server429 - r.FirstWave }

// newTestKey makes a fresh Hypedata test key: "hd_test_" and 32 URL-safe
// characters. A fresh key per cell gives it a fresh bucket in nginx's zone.
func newTestKey() (keys.Key, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return keys.Key{}, fmt.Errorf("making a test key: %w", err)
	}
	k, err := keys.Parse("hd_test_"+base64.RawURLEncoding.EncodeToString(b[:]), keys.Hypedata)
	if err != nil {
		return keys.Key{}, fmt.Errorf("making a test key: %w", err)
	}
	return k, nil
}

// observer collects the client's own view of a cell, from any goroutine.
type observer struct {
	mu        sync.Mutex
	n429      int
	firstSign time.Time
	failed    int
	errs      []string
	sent      []time.Time // when each request (every attempt) entered net/http's transport
}

// trace records when each request of a call enters the transport (asks for
// a connection): from then on no pacer can hold it back. It works through
// the request's context, so whatever client sits above net/http.
func (o *observer) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) {
			at := time.Now()
			o.mu.Lock()
			o.sent = append(o.sent, at)
			o.mu.Unlock()
		},
	})
}

// sentBefore is how many requests entered the transport before t.
func (o *observer) sentBefore(t time.Time) int {
	n := 0
	for _, w := range o.sent {
		if w.Before(t) {
			n++
		}
	}
	return n
}

func (o *observer) saw429(at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n429++
	if o.firstSign.IsZero() || at.Before(o.firstSign) {
		o.firstSign = at
	}
}

const maxErrorTexts = 3

func (o *observer) fail(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed++
	text := err.Error()
	for _, e := range o.errs {
		if e == text {
			return
		}
	}
	if len(o.errs) < maxErrorTexts {
		o.errs = append(o.errs, text)
	}
}

// caller makes one call of a cell.
type caller interface {
	call(ctx context.Context) error
	close()
	// pacer describes how the client paces the key after the run; "" for
	// clients without a pacer of their own.
	pacer(ctx context.Context) string
}

// newCaller builds the client the cell measures, shared by its goroutines.
func newCaller(c cell, baseURL string, key keys.Key, obs *observer) (caller, error) {
	url := baseURL + c.path()
	switch c.Kind {
	case clientAPIKit:
		opts := []client.Option{
			client.WithService(client.Hypedata),
			client.WithAPIKey(key.Reveal()),
			client.WithBaseURL(baseURL),
			client.WithRetryHook(func(e client.RetryEvent) {
				if e.StatusCode == http.StatusTooManyRequests {
					obs.saw429(time.Now())
				}
			}),
		}
		if os.Getenv("PACING_DEBUG") != "" {
			// The client's debug log (its pacer's gates and rate changes)
			// on standard error, to study a cell.
			opts = append(opts, client.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		}
		if c.Mode == modeKnown {
			opt, ok := knownLimitOption(c.rate())
			if !ok {
				return nil, errNoKnownLimit
			}
			opts = append(opts, opt)
		}
		var shared func() bool
		if c.Redis != "" {
			opt, p, err := sharedPacerOption(c.Redis, c.ClockOffset)
			if err != nil {
				return nil, err
			}
			opts = append(opts, opt)
			shared = p.Shared
		}
		cl, err := client.New(opts...)
		if err != nil {
			return nil, fmt.Errorf("client.New: %w", err)
		}
		return &apikitCaller{c: cl, path: c.path(), obs: obs, shared: shared}, nil
	case clientRetryable:
		rc := retryablehttp.NewClient()
		rc.Logger = nil
		rc.HTTPClient.Transport = &observing{base: rc.HTTPClient.Transport, obs: obs}
		return &retryableCaller{rc: rc, url: url, auth: "Bearer " + key.Reveal()}, nil
	case clientXRate:
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = c.W
		return &xrateCaller{
			hc:   &http.Client{Transport: &observing{base: t, obs: obs}},
			lim:  rate.NewLimiter(rate.Limit(xratePace*c.Lim.rateOr(gatewayRate)), 1),
			url:  url,
			auth: "Bearer " + key.Reveal(),
		}, nil
	}
	return nil, fmt.Errorf("unknown client %q", c.Kind)
}

// errNoKnownLimit says the SDK being measured has no client.WithRateLimit.
var errNoKnownLimit = errors.New("this SDK has no client.WithRateLimit: no known-limit cells")

type apikitCaller struct {
	c      *client.Client
	path   string
	obs    *observer
	shared func() bool // a shared cell's Pacer.Shared; nil otherwise
}

func (a *apikitCaller) call(ctx context.Context) error {
	var out struct {
		OK bool `json:"ok"`
	}
	err := a.c.Do(ctx, http.MethodGet, a.path, nil, &out)
	var ae *apierrors.Error
	if errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests && ae.Attempts > 0 {
		// The final answer was a 429 (the retry hook saw the earlier ones).
		a.obs.saw429(time.Now())
	}
	if err == nil && !out.OK {
		return errors.New(`the 200 did not carry {"ok":true}`)
	}
	return err
}

func (a *apikitCaller) close() {}

func (a *apikitCaller) pacer(ctx context.Context) string {
	st, ok := a.c.Pacing(ctx)
	if !ok {
		return "?"
	}
	s := st.Source.String()
	if st.Rate > 0 {
		s += fmt.Sprintf(" %.2f/s", st.Rate)
	}
	if st.Burst > 1 {
		s += fmt.Sprintf(" burst %d", st.Burst)
	}
	return s
}

type retryableCaller struct {
	rc   *retryablehttp.Client
	url  string
	auth string
}

func (r *retryableCaller) call(ctx context.Context) error {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", r.auth)
	resp, err := r.rc.Do(req)
	if err != nil {
		return err
	}
	return drainOK(resp)
}

func (r *retryableCaller) close() { r.rc.HTTPClient.CloseIdleConnections() }

func (r *retryableCaller) pacer(context.Context) string { return "" }

type xrateCaller struct {
	hc   *http.Client
	lim  *rate.Limiter
	url  string
	auth string
}

func (x *xrateCaller) call(ctx context.Context) error {
	if err := x.lim.Wait(ctx); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, x.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", x.auth)
	resp, err := x.hc.Do(req)
	if err != nil {
		return err
	}
	return drainOK(resp)
}

func (x *xrateCaller) close() { x.hc.CloseIdleConnections() }

func (x *xrateCaller) pacer(context.Context) string {
	return fmt.Sprintf("x/time/rate %.2f/s", float64(x.lim.Limit()))
}

// drainOK reads and closes the body (so the connection is reused) and
// turns anything but 200 into an error.
func drainOK(resp *http.Response) error {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

// observing counts the 429s a reference client receives.
type observing struct {
	base http.RoundTripper
	obs  *observer
}

func (o *observing) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		o.obs.saw429(time.Now())
	}
	return resp, err
}

// runCell runs calls of cell c in this process: W goroutines take them one
// at a time from a shared counter, as a worker pool does, all starting when
// start is closed. The calls are bounded by ctx and by a deadline well past
// the slowest target, so a hung client cannot hang the harness. calls is
// c.Calls, or a worker process's share of them (see runCellProcs); the
// requests go to c's path either way, so nginx counts the cell as one.
func runCell(ctx context.Context, c cell, calls int, baseURL string, key keys.Key, start <-chan struct{}) result {
	r := result{Cell: c}
	obs := &observer{}
	cl, err := newCaller(c, baseURL, key, obs)
	if err != nil {
		if errors.Is(err, errNoKnownLimit) {
			r.Skipped = "the SDK had no WithRateLimit"
			return r
		}
		r.Failed = calls
		r.Errors = []string{err.Error()}
		return r
	}
	defer cl.close()
	ctx, cancel := context.WithTimeout(ctx, cellDeadline(c))
	defer cancel()
	var watched func() (time.Duration, time.Time, []stretch)
	if a, ok := cl.(*apikitCaller); ok && a.shared != nil {
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		w := watchShared(wctx, a.shared)
		watched = func() (time.Duration, time.Time, []stretch) { stop(); return w() }
	}

	var next atomic.Int64
	var done atomic.Int64
	var wg sync.WaitGroup
	for range c.W {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-start:
			case <-ctx.Done():
				return
			}
			for next.Add(1) <= int64(calls) {
				if ctx.Err() != nil {
					return
				}
				if err := cl.call(obs.trace(ctx)); err != nil {
					obs.fail(err)
				}
				done.Add(1)
			}
		}()
	}
	select {
	case <-start:
	case <-ctx.Done():
	}
	r.Start = time.Now()
	wg.Wait()
	r.End = time.Now()
	r.Pacer = cl.pacer(context.WithoutCancel(ctx))
	if watched != nil {
		r.Unshared, r.SharedAgain, r.Alone = watched()
	}

	obs.mu.Lock()
	defer obs.mu.Unlock()
	r.unfinished = calls - int(done.Load())
	r.Failed = obs.failed + r.unfinished
	r.Errors = obs.errs
	if r.unfinished > 0 {
		r.Errors = append(r.Errors, fmt.Sprintf("%d calls never made: the cell's deadline (%s) passed", r.unfinished, cellDeadline(c)))
	}
	r.Client429 = obs.n429
	r.FirstSign = obs.firstSign
	if !r.FirstSign.IsZero() {
		r.SentEarly = obs.sentBefore(r.FirstSign)
	}
	return r
}

// cellDeadline bounds a cell: five times the limit's time and 15 s more, far
// past every target, so it only ends a client that is stuck.
func cellDeadline(c cell) time.Duration {
	return 5*c.limitTime() + 15*time.Second
}

// countServer fills in the server's side of r from the access log entries
// of the cell's path.
//
// The cold first wave is the refusals no pacer could have prevented: answers
// to requests the client had already sent when it first saw a 429. The
// client knows how many it had sent (SentEarly); nginx logged them as its
// first SentEarly arrivals, so the first wave is the 429s among those, and
// at most callers - 1 (nginx's burst is 0: one request of the wave passes).
func countServer(r *result, entries []logEntry) {
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b logEntry) int { return a.Arrived.Compare(b.Arrived) })
	conns := map[uint64]bool{}
	early := 0
	for i, e := range sorted {
		r.Served++
		conns[e.Conn] = true
		switch e.Status {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			r.Server429++
			if i < r.SentEarly {
				early++
			}
		default:
			r.OtherStatus++
		}
	}
	r.Conns = len(conns)
	r.FirstWave = min(early, max(r.Cell.callers()-1, 0))
}
