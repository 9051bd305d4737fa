// Package otelapikit reports what an apikit-go client does as OpenTelemetry
// traces and metrics: a span per call with a child span per attempt (the
// HTTP client semantic conventions), and counters, a histogram and gauges
// for calls, attempts, 429s, retries, pacer waits, gate closures, the
// key's learned rate and the retry budget.
//
// It lives in a module of its own, so that go.opentelemetry.io reaches only
// the programs that ask for it. Wire it in when building the client:
//
//	inst, err := otelapikit.New() // the global providers, or WithTracerProvider / WithMeterProvider
//	c, err := client.New(append(inst.ClientOptions(), client.WithService(client.Hypedata))...)
//
// The key is never an attribute, a span name or an event: keys appear by
// their fingerprint (apikit.key.fingerprint), which names a key without
// revealing it.
package otelapikit

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/apikit/apikit-go/client"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/pacing"
)

// ScopeName is the instrumentation scope of the tracer and the meter.
const ScopeName = "github.com/apikit/apikit-go/otelapikit"

// Attribute keys of this package (the HTTP ones are the semantic
// conventions').
const (
	ServiceKey        = attribute.Key("apikit.service")         // the client's Service.Name
	KeyFingerprintKey = attribute.Key("apikit.key.fingerprint") // keys.Key.Fingerprint, never the key
	AttemptsKey       = attribute.Key("apikit.attempts")        // requests a call sent
	PacerWaitKey      = attribute.Key("apikit.pacer.wait")      // seconds a call waited for the key's pacer
	OutcomeKey        = attribute.Key("apikit.outcome")         // "ok", or the error's class (see outcome)
	BookedKey         = attribute.Key("apikit.pacer.booked")    // a pacer wait after which the attempt leaves
	RateSourceKey     = attribute.Key("apikit.pacer.source")    // where the pacing rate comes from
)

// Metric names.
const (
	MetricCalls        = "apikit.client.calls"
	MetricAttempts     = "apikit.client.attempts"
	MetricRateLimited  = "apikit.client.rate_limited"
	MetricRetries      = "apikit.client.retries"
	MetricPacerWait    = "apikit.client.pacer.wait"
	MetricPacerWaits   = "apikit.client.pacer.waits"
	MetricGateClosures = "apikit.client.pacer.gate_closures"
	MetricRate         = "apikit.client.pacer.rate"
	MetricBudgetTokens = "apikit.client.retry_budget.tokens"
)

// Option configures New.
type Option func(*config) error

type config struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
}

// WithTracerProvider sets where spans go (default: otel.GetTracerProvider()).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		if tp == nil {
			return errors.New("otelapikit: WithTracerProvider: the provider is nil")
		}
		c.tp = tp
		return nil
	}
}

// WithMeterProvider sets where metrics go (default: otel.GetMeterProvider()).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) error {
		if mp == nil {
			return errors.New("otelapikit: WithMeterProvider: the provider is nil")
		}
		c.mp = mp
		return nil
	}
}

// Instrumentation holds a tracer and the instruments. One serves any number
// of clients, concurrently.
type Instrumentation struct {
	tracer trace.Tracer

	mu    sync.RWMutex
	cache map[preparedKey]*prepared

	calls, attempts, rateLimited, retries, paceWaits, gateClosures metric.Int64Counter
	pacerWait                                                      metric.Float64Histogram
	rate                                                           metric.Float64Gauge
	budget                                                         metric.Int64Gauge
}

// New builds the tracer and the instruments.
func New(opts ...Option) (*Instrumentation, error) {
	var cfg config
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	m := cfg.mp.Meter(ScopeName, metric.WithInstrumentationVersion(client.Version))
	i := &Instrumentation{tracer: cfg.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(client.Version)),
		cache: map[preparedKey]*prepared{}}
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	i.calls = counter(MetricCalls, "{call}", "Calls made (Do, DoWith, Send; a Stream's connections), by outcome.")
	i.attempts = counter(MetricAttempts, "{attempt}", "Requests sent, retries included, by status.")
	i.rateLimited = counter(MetricRateLimited, "{response}", "429 answers received.")
	i.retries = counter(MetricRetries, "{retry}", "Requests sent again after a failure (attempts beyond each call's first).")
	i.paceWaits = counter(MetricPacerWaits, "{wait}", "Waits for the key's pacer: one per wait, an attempt whose slot is far off waits in steps; booked=true counts attempts held back.")
	i.gateClosures = counter(MetricGateClosures, "{closure}", "Times the key's rate-limit gate closed (a 429 or a spent quota).")
	var err error
	i.pacerWait, err = m.Float64Histogram(MetricPacerWait, metric.WithUnit("s"),
		metric.WithDescription("Time a call's attempts waited, in total, for the key's pacer."),
		metric.WithExplicitBucketBoundaries(0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
	errs = append(errs, err)
	i.rate, err = m.Float64Gauge(MetricRate, metric.WithUnit("{request}/s"),
		metric.WithDescription("The rate the key is paced at, as last set or learned."))
	errs = append(errs, err)
	i.budget, err = m.Int64Gauge(MetricBudgetTokens, metric.WithUnit("{token}"),
		metric.WithDescription("Tokens left in the client's retry budget when a call ended (a 5xx retry spends 5, a timeout's 10, a success earns 1)."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("otelapikit: making the instruments: %w", err)
	}
	return i, nil
}

// ClientOptions are the client options that report to i: the middleware
// (spans, call and attempt metrics), the pacing hook (pacer waits) and the
// pacer observer (gate closures, the rate). They replace a WithPacingHook
// or WithPacerObserver given before them. A client with a shared pacer
// (client.WithPacer) cannot take the observer: use Middleware and
// PacingHook, and give PacerObserver to the pacer (pacing.WithObserver).
func (i *Instrumentation) ClientOptions() []client.Option {
	return []client.Option{
		client.WithMiddleware(i.Middleware()),
		client.WithPacingHook(i.PacingHook(nil)),
		client.WithPacerObserver(i.PacerObserver("")),
	}
}

// Middleware is the client.Middleware that makes the spans and records the
// call and attempt metrics.
func (i *Instrumentation) Middleware() client.Middleware {
	return func(ctx context.Context, call *client.Call, next func(context.Context) error) error {
		pre := i.prepared(call.Service, call.BaseURL, call.Method, call.KeyFingerprint)
		// The call's span is named by service and method (a path may hold
		// ids: too many names); the attempts' by method, as the HTTP
		// conventions name client spans without a route template. url.full
		// has no query: in query mode it would hold the key.
		target := pre.base + call.Path
		ctx, span := i.tracer.Start(ctx, pre.callName, pre.callOpts...)
		if span.IsRecording() {
			span.SetAttributes(semconv.URLFull(target), semconv.URLPath(call.Path))
		}
		call.AttemptHook = func(ctx context.Context, n int) (context.Context, func(client.Attempt)) {
			actx, as := i.tracer.Start(ctx, pre.attemptName, pre.attemptOpts...)
			if as.IsRecording() {
				as.SetAttributes(semconv.URLFull(target))
				if n > 1 {
					as.SetAttributes(semconv.HTTPRequestResendCount(n - 1))
				}
			}
			return actx, func(a client.Attempt) { i.attemptDone(ctx, call, as, a) }
		}

		err := next(ctx)

		out := outcome(err)
		if span.IsRecording() {
			if call.KeyFingerprint != "" {
				span.SetAttributes(KeyFingerprintKey.String(call.KeyFingerprint))
			}
			span.SetAttributes(AttemptsKey.Int(call.Attempts), PacerWaitKey.Float64(call.PacerWait.Seconds()))
			if call.StatusCode > 0 {
				span.SetAttributes(semconv.HTTPResponseStatusCode(call.StatusCode))
			}
			if err != nil {
				span.SetAttributes(semconv.ErrorTypeKey.String(out))
				span.SetStatus(codes.Error, out)
			}
		}
		span.End()

		if call.KeyFingerprint != pre.fp { // resolved during the call
			pre = i.prepared(call.Service, call.BaseURL, call.Method, call.KeyFingerprint)
		}
		i.calls.Add(ctx, 1, pre.with(OutcomeKey.String(out)))
		if call.Attempts > 1 {
			i.retries.Add(ctx, int64(call.Attempts-1), pre.key)
		}
		i.pacerWait.Record(ctx, call.PacerWait.Seconds(), pre.key)
		if call.RetryBudgetTokens >= 0 {
			i.budget.Record(ctx, call.RetryBudgetTokens, pre.service)
		}
		return err
	}
}

// attemptDone ends an attempt's span and counts it.
func (i *Instrumentation) attemptDone(ctx context.Context, call *client.Call, as trace.Span, a client.Attempt) {
	if as.IsRecording() {
		if a.StatusCode > 0 {
			as.SetAttributes(semconv.HTTPResponseStatusCode(a.StatusCode))
		}
		switch {
		case a.Err != nil:
			as.SetAttributes(semconv.ErrorTypeKey.String(transportErrorType(a.Err)))
			as.SetStatus(codes.Error, a.Err.Error()) // the client scrubbed the key from it
		case a.StatusCode >= 400:
			as.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(a.StatusCode)))
			as.SetStatus(codes.Error, "")
		}
	}
	as.End()
	pre := i.prepared(call.Service, call.BaseURL, call.Method, call.KeyFingerprint)
	i.attempts.Add(ctx, 1, pre.status(a.StatusCode))
	if a.StatusCode == 429 {
		i.rateLimited.Add(ctx, 1, pre.key)
	}
}

// preparedKey names what the span options and attribute sets of a call
// depend on.
type preparedKey struct{ service, base, method, fp string }

// prepared holds, per service, base URL, method and key, the span options
// and metric attribute sets its calls use, made once: a call then builds
// no attribute set of its own.
type prepared struct {
	fp, base              string
	callName, attemptName string
	callOpts, attemptOpts []trace.SpanStartOption
	key, service          metric.MeasurementOption // service and fingerprint; service alone

	mu    sync.Mutex
	extra map[attribute.KeyValue]metric.MeasurementOption // with an outcome or a status
	attrs []attribute.KeyValue                            // service and fingerprint
}

// maxPrepared bounds the cache: past it (a program cycling through keys),
// calls build their options afresh.
const maxPrepared = 1024

func (i *Instrumentation) prepared(service, base, meth, fp string) *prepared {
	k := preparedKey{service, base, meth, fp}
	i.mu.RLock()
	p := i.cache[k]
	i.mu.RUnlock()
	if p != nil {
		return p
	}
	host, port := hostPort(base)
	m := method(meth)
	common := []attribute.KeyValue{ServiceKey.String(service), semconv.HTTPRequestMethodKey.String(m), semconv.ServerAddress(host)}
	if port > 0 {
		common = append(common, semconv.ServerPort(port))
	}
	if fp != "" {
		common = append(common, KeyFingerprintKey.String(fp))
	}
	kv := []attribute.KeyValue{ServiceKey.String(service), KeyFingerprintKey.String(fp)}
	p = &prepared{
		fp: fp, base: strings.TrimRight(base, "/"), callName: service + " " + m, attemptName: m,
		callOpts:    []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(common...)},
		attemptOpts: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(common...)},
		key:         metric.WithAttributeSet(attribute.NewSet(kv...)),
		service:     metric.WithAttributeSet(attribute.NewSet(kv[0])),
		extra:       map[attribute.KeyValue]metric.MeasurementOption{},
		attrs:       kv,
	}
	i.mu.Lock()
	if len(i.cache) < maxPrepared {
		if q := i.cache[k]; q != nil {
			p = q
		} else {
			i.cache[k] = p
		}
	}
	i.mu.Unlock()
	return p
}

// with is the attribute set of service, fingerprint and kv.
func (p *prepared) with(kv attribute.KeyValue) metric.MeasurementOption {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok := p.extra[kv]
	if !ok {
		o = metric.WithAttributeSet(attribute.NewSet(append(p.attrs[:2:2], kv)...))
		p.extra[kv] = o
	}
	return o
}

// status is the attribute set of an attempt's metric with its status
// (none when no answer came).
func (p *prepared) status(code int) metric.MeasurementOption {
	if code <= 0 {
		return p.key
	}
	return p.with(semconv.HTTPResponseStatusCode(code))
}

// PacingHook is the client.WithPacingHook function that counts pacer waits
// (apikit.client.pacer.waits, one per wait, booked=true once per attempt
// held back); then calls next, if not nil.
func (i *Instrumentation) PacingHook(next func(client.PacingEvent)) func(client.PacingEvent) {
	return func(ev client.PacingEvent) {
		i.paceWaits.Add(context.Background(), 1, metric.WithAttributes(KeyFingerprintKey.String(ev.KeyFingerprint),
			BookedKey.Bool(ev.Booked)))
		if next != nil {
			next(ev)
		}
	}
}

// PacerObserver is the observer (client.WithPacerObserver, or
// pacing.WithObserver for a shared pacer) that counts gate closures and
// records the key's pacing rate. service names the service for a shared
// pacer's metrics ("" leaves the attribute out).
func (i *Instrumentation) PacerObserver(service string) func(pacing.Event) {
	return func(ev pacing.Event) {
		attrs := []attribute.KeyValue{KeyFingerprintKey.String(ev.Key)}
		if service != "" {
			attrs = append(attrs, ServiceKey.String(service))
		}
		switch ev.Kind {
		case pacing.GateClosed:
			i.gateClosures.Add(context.Background(), 1, metric.WithAttributes(attrs...))
		case pacing.RateChanged:
			i.rate.Record(context.Background(), ev.Rate, metric.WithAttributes(append(attrs, RateSourceKey.String(ev.Source.String()))...))
		}
	}
}

// outcome is a call's outcome as a low-cardinality word: "ok", the API
// error's canonical code (rate_limited also for a call the key's pacer
// held back, whose span has apikit.attempts 0), the code of a key that
// could not be used before sending (missing_credentials, malformed_token,
// expired), "key_environment" (client.ErrEnvMismatch), "key_in_base_url"
// (client.ErrKeyInBaseURL), "transport", "timeout" or "canceled".
func outcome(err error) string {
	var ae *apierrors.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ae) && ae.Code != "":
		return string(ae.Code)
	case errors.As(err, &ae):
		return strconv.Itoa(ae.StatusCode)
	case errors.Is(err, apierrors.ErrExpired):
		return string(apierrors.CodeExpired)
	case errors.Is(err, apierrors.ErrMalformedToken):
		return string(apierrors.CodeMalformedToken)
	case errors.Is(err, apierrors.ErrMissingCredentials):
		return string(apierrors.CodeMissingCredentials)
	case errors.Is(err, client.ErrEnvMismatch):
		return "key_environment"
	case errors.Is(err, client.ErrKeyInBaseURL):
		return "key_in_base_url"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	var te *client.TransportError
	if errors.As(err, &te) {
		return "transport"
	}
	return "_OTHER"
}

// transportErrorType is error.type for an attempt that got no answer.
func transportErrorType(err error) string {
	switch {
	case errors.Is(err, client.ErrAttemptTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "transport"
}

// method is http.request.method: the known methods, else _OTHER.
func method(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY":
		return m
	}
	return "_OTHER"
}

// hostPort splits the base URL's host; the port is the scheme's default
// when the URL names none.
func hostPort(base string) (string, int) {
	u, err := url.Parse(base)
	if err != nil {
		return "", 0
	}
	host, p := u.Hostname(), u.Port()
	if p == "" {
		switch u.Scheme {
		case "https":
			return host, 443
		case "http":
			return host, 80
		}
		return host, 0
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return host, 0
	}
	return host, n
}
