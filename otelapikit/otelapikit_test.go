package otelapikit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/keys"
	"github.com/apikit/apikit-go/otelapikit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// harness is an instrumentation whose spans and metrics stay in memory.
type harness struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	inst   *otelapikit.Instrumentation
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	var err error
	if h.inst, err = otelapikit.New(otelapikit.WithTracerProvider(tp), otelapikit.WithMeterProvider(mp)); err != nil {
		t.Fatal(err)
	}
	return h
}

// client is a clienttest server, a key it issued, and a client of it with
// the instrumentation and opts; all closed when the test ends.
func (h *harness) client(t *testing.T, opts ...client.Option) (*clienttest.Server, keys.Key, *client.Client) {
	t.Helper()
	srv := clienttest.NewServer(client.Hypedata)
	t.Cleanup(srv.Close)
	key, _, err := srv.IssueKey(clienttest.KeyParams{Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := srv.NewClient(key, append(h.inst.ClientOptions(), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return srv, key, c
}

// metrics collects every data point, by metric name.
func (h *harness) metrics(t *testing.T) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// sum adds the points of a counter whose attributes hold every pair in want.
func sum(t *testing.T, data metricdata.Aggregation, want ...attribute.KeyValue) int64 {
	t.Helper()
	s, ok := data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("not an int64 sum: %T", data)
	}
	var n int64
	for _, p := range s.DataPoints {
		if hasAll(p.Attributes, want) {
			n += p.Value
		}
	}
	return n
}

func hasAll(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		v, ok := set.Value(kv.Key)
		if !ok || v != kv.Value {
			return false
		}
	}
	return true
}

func attr(kvs []attribute.KeyValue, k attribute.Key) (attribute.Value, bool) {
	for _, kv := range kvs {
		if kv.Key == k {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// everything is every span and metric as text, to search for the key.
func (h *harness) everything(t *testing.T) string {
	var b strings.Builder
	for _, s := range h.spans.Ended() {
		fmt.Fprintf(&b, "%s %v %v %v %v\n", s.Name(), s.Attributes(), s.Events(), s.Status(), s.Links())
	}
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%+v", rm)
	return b.String()
}

func TestSpansPerCallAndAttempt(t *testing.T) {
	h := newHarness(t)
	srv, key, c := h.client(t, client.WithRetryWait(time.Millisecond, time.Millisecond))

	srv.FailNext(1, http.StatusServiceUnavailable, 0)
	if err := c.Do(context.Background(), "GET", "/v1/whoami?verbose=1", nil, nil); err != nil {
		t.Fatal(err)
	}
	spans := h.spans.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans; want the call's and two attempts'", len(spans))
	}
	callSpan := spans[2]
	if callSpan.Name() != "hypedata GET" {
		t.Errorf("call span %q", callSpan.Name())
	}
	fp := attribute.StringValue(key.Fingerprint())
	for i, s := range spans[:2] {
		if s.Name() != "GET" || s.SpanKind().String() != "client" || s.Parent().SpanID() != callSpan.SpanContext().SpanID() {
			t.Errorf("attempt %d: %q kind %s parent %s; want GET, client, the call's %s", i+1, s.Name(), s.SpanKind(), s.Parent().SpanID(), callSpan.SpanContext().SpanID())
		}
		if v, _ := attr(s.Attributes(), "http.response.status_code"); v.AsInt64() != []int64{503, 200}[i] {
			t.Errorf("attempt %d: status %v", i+1, v.Emit())
		}
		if v, _ := attr(s.Attributes(), otelapikit.KeyFingerprintKey); v != fp {
			t.Errorf("attempt %d: fingerprint %v", i+1, v.Emit())
		}
		if v, _ := attr(s.Attributes(), "url.full"); v.AsString() != srv.URL+"/v1/whoami" {
			t.Errorf("attempt %d: url.full %q (no query: it could hold a key)", i+1, v.AsString())
		}
	}
	if v, ok := attr(spans[1].Attributes(), "http.request.resend_count"); !ok || v.AsInt64() != 1 {
		t.Errorf("the retry's resend count: %v", v.Emit())
	}
	if _, ok := attr(spans[0].Attributes(), "error.type"); !ok {
		t.Error("the 503 attempt has no error.type")
	}
	for _, want := range []attribute.KeyValue{
		otelapikit.ServiceKey.String("hypedata"), otelapikit.KeyFingerprintKey.String(key.Fingerprint()),
		otelapikit.AttemptsKey.Int(2), attribute.Int("http.response.status_code", 200), attribute.String("http.request.method", "GET"),
	} {
		if v, ok := attr(callSpan.Attributes(), want.Key); !ok || v != want.Value {
			t.Errorf("call span %s = %v; want %v", want.Key, v.Emit(), want.Value.Emit())
		}
	}

	m := h.metrics(t)
	svc := otelapikit.ServiceKey.String("hypedata")
	kfp := otelapikit.KeyFingerprintKey.String(key.Fingerprint())
	if n := sum(t, m[otelapikit.MetricCalls], svc, kfp, otelapikit.OutcomeKey.String("ok")); n != 1 {
		t.Errorf("calls %d", n)
	}
	if n := sum(t, m[otelapikit.MetricAttempts], svc, kfp); n != 2 {
		t.Errorf("attempts %d", n)
	}
	if n := sum(t, m[otelapikit.MetricRetries], svc, kfp); n != 1 {
		t.Errorf("retries %d", n)
	}
	hist, ok := m[otelapikit.MetricPacerWait].(metricdata.Histogram[float64])
	if !ok || len(hist.DataPoints) != 1 || hist.DataPoints[0].Count != 1 || !hasAll(hist.DataPoints[0].Attributes, []attribute.KeyValue{svc, kfp}) {
		t.Errorf("pacer wait histogram: %+v", m[otelapikit.MetricPacerWait])
	}
	g, ok := m[otelapikit.MetricBudgetTokens].(metricdata.Gauge[int64])
	if !ok || len(g.DataPoints) != 1 || g.DataPoints[0].Value != int64(client.DefaultRetryBudget*5) {
		t.Errorf("retry budget: %+v (a retried call that succeeds earns its tokens back)", m[otelapikit.MetricBudgetTokens])
	}
	if all := h.everything(t); strings.Contains(all, key.Reveal()) {
		t.Error("the key is in a span or a metric")
	}
}

func TestRateLimitMetrics(t *testing.T) {
	h := newHarness(t)
	srv, key, c := h.client(t)

	srv.FailNext(1, http.StatusTooManyRequests, time.Second)
	err := c.DoWith(context.Background(), "GET", "/v1/whoami", nil, nil, client.WithMaxRetries(0))
	if err == nil {
		t.Fatal("the 429 was a success")
	}
	m := h.metrics(t)
	kfp := otelapikit.KeyFingerprintKey.String(key.Fingerprint())
	if n := sum(t, m[otelapikit.MetricRateLimited], kfp); n != 1 {
		t.Errorf("429s %d", n)
	}
	if n := sum(t, m[otelapikit.MetricGateClosures], kfp); n != 1 {
		t.Errorf("gate closures %d", n)
	}
	if n := sum(t, m[otelapikit.MetricCalls], kfp, otelapikit.OutcomeKey.String("rate_limited")); n != 1 {
		t.Errorf("rate-limited calls %d", n)
	}
	if _, ok := m[otelapikit.MetricRate].(metricdata.Gauge[float64]); !ok {
		t.Errorf("no learned rate after a 429: %+v", m[otelapikit.MetricRate])
	}
	if all := h.everything(t); strings.Contains(all, key.Reveal()) {
		t.Error("the key is in a span or a metric")
	}
}

func TestPacerMetrics(t *testing.T) {
	h := newHarness(t)
	_, key, c := h.client(t, client.WithRateLimit(1000, 1))
	// A known limit sets the key's rate at its first call: the gauge.
	if err := c.Do(context.Background(), "GET", "/v1/whoami", nil, nil); err != nil {
		t.Fatal(err)
	}
	// The waits themselves depend on timing: the hook is fed directly.
	hook := h.inst.PacingHook(nil)
	for _, booked := range []bool{false, false, true} {
		hook(client.PacingEvent{KeyFingerprint: key.Fingerprint(), Booked: booked, Wait: time.Second})
	}
	m := h.metrics(t)
	kfp := otelapikit.KeyFingerprintKey.String(key.Fingerprint())
	if all, booked := sum(t, m[otelapikit.MetricPacerWaits], kfp), sum(t, m[otelapikit.MetricPacerWaits], kfp, otelapikit.BookedKey.Bool(true)); all != 3 || booked != 1 {
		t.Errorf("pacer waits %d, booked %d; want 3 and 1", all, booked)
	}
	g, ok := m[otelapikit.MetricRate].(metricdata.Gauge[float64])
	if !ok || len(g.DataPoints) != 1 || g.DataPoints[0].Value <= 0 || !hasAll(g.DataPoints[0].Attributes, []attribute.KeyValue{kfp}) {
		t.Errorf("rate gauge: %+v", m[otelapikit.MetricRate])
	}
}

// Nothing about the key reaches telemetry even when the server echoes it
// in an error.
func TestKeyNowhereOnErrors(t *testing.T) {
	h := newHarness(t)
	srv, key, c := h.client(t)
	secret := key.Reveal()
	srv.Handle("GET /v1/echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"code":"bad_request","message":"bad key %s"}}`, secret)
	}))
	if err := c.Do(context.Background(), "GET", "/v1/echo", nil, nil); err == nil {
		t.Fatal("a 400 was a success")
	}
	if all := h.everything(t); strings.Contains(all, secret) || strings.Contains(all, secret[len(secret)-12:]) {
		t.Errorf("the key is in the telemetry")
	}
}

// With the key in the query string (WithQueryAuth), the spans' URLs still
// hold no query, so no key.
func TestKeyNowhereInQueryMode(t *testing.T) {
	h := newHarness(t)
	const secret = "qk_live_9fQx2LmZpR7vT1nB8cD3eF6gH0jK5wYa"
	var seen string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.URL.Query().Get("api_key")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{}`)
	}))
	defer srv.Close()
	c, err := client.New(append(h.inst.ClientOptions(), client.WithService(client.Service{Name: "q", BaseURL: srv.URL, Auth: client.AuthQuery}),
		client.WithQueryAuth("api_key"), client.WithAPIKey(secret))...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	if err := c.Do(context.Background(), "GET", "/v1/items?page=2", nil, nil); err != nil {
		t.Fatal(err)
	}
	if seen != secret {
		t.Fatalf("the server got key %q: the test does not test query mode", seen)
	}
	if all := h.everything(t); strings.Contains(all, secret) || strings.Contains(all, secret[len(secret)-12:]) || strings.Contains(all, "page=2") {
		t.Error("the key or the query is in the telemetry")
	}
}

// A key written into the base URL (as some APIs put keys in paths) is
// refused, not shown: no span or metric holds it or any 8 characters of
// it, not even on the call that finds it there, and a key in the request
// path is scrubbed from url.full and url.path too.
func TestKeyInBaseURLNowhere(t *testing.T) {
	h := newHarness(t)
	const secret = "letmein-please-2024" // looks like no key: only the client's own key finds it
	sent := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent++ }))
	defer srv.Close()
	c, err := client.New(append(h.inst.ClientOptions(), client.WithService(client.Service{Name: "p", BaseURL: srv.URL + "/v1/" + secret}),
		client.WithCredentials(credentials.Static(secret)))...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	var msgs []string
	for _, path := range []string{"/items", "/items/" + secret} {
		err := c.Do(context.Background(), "GET", path, nil, nil)
		if !errors.Is(err, client.ErrKeyInBaseURL) {
			t.Fatalf("GET %s: %v", path, err)
		}
		msgs = append(msgs, fmt.Sprintf("%v %+v", err, err))
	}
	all := h.everything(t) + strings.Join(msgs, "\n")
	for i := 0; i+8 <= len(secret); i++ {
		if strings.Contains(all, secret[i:i+8]) {
			t.Fatalf("%q is in the telemetry or the errors:\n%s", secret[i:i+8], all)
		}
	}
	if sent != 0 || len(h.spans.Ended()) != 2 {
		t.Errorf("sent %d, %d spans; want 0 sent and a span per call", sent, len(h.spans.Ended()))
	}
}

// Calls that end before anything is sent are spans and calls too, with
// apikit.attempts 0 and their outcome: a context already done, a refusal
// by the key's pacer, a malformed key.
func TestCallsThatSendNothingRecorded(t *testing.T) {
	h := newHarness(t)
	sent := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{}`)
	}))
	defer srv.Close()
	svc := client.Service{Name: "p", BaseURL: srv.URL}
	c, err := client.New(append(h.inst.ClientOptions(), client.WithService(svc), client.WithAPIKey("opaque-key-123"),
		client.WithRateLimit(1, 1), client.WithMaxRetryAfter(100*time.Millisecond))...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	bad, err := client.New(append(h.inst.ClientOptions(), client.WithService(svc), client.WithCredentials(credentials.Static("bad key")))...)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), "GET", "/first", nil, nil); err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	_ = c.Do(done, "GET", "/x", nil, nil)
	_ = c.Do(context.Background(), "GET", "/x", nil, nil) // its slot is a second away: past the cap
	_ = bad.Do(context.Background(), "GET", "/x", nil, nil)
	if sent != 1 {
		t.Fatalf("%d requests sent; want the first call's only", sent)
	}
	var unsent int
	for _, s := range h.spans.Ended() {
		if n, ok := attr(s.Attributes(), otelapikit.AttemptsKey); ok && n.AsInt64() == 0 && s.SpanKind() == trace.SpanKindInternal {
			unsent++
		}
	}
	if unsent != 3 {
		t.Errorf("%d call spans with apikit.attempts 0; want 3", unsent)
	}
	calls := h.metrics(t)[otelapikit.MetricCalls]
	for _, out := range []string{"ok", "canceled", "rate_limited", "malformed_token"} {
		if n := sum(t, calls, otelapikit.OutcomeKey.String(out)); n != 1 {
			t.Errorf("calls with outcome %s: %d; want 1", out, n)
		}
	}
}
