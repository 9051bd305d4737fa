package otelapikit_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/otelapikit"
	"github.com/apikit/apikit-go/pacing"
)

// New with the SDK's providers, and ClientOptions on the client: a call
// that is retried once makes a span for the call and one per attempt, and
// the metrics count them. (In-memory exporters here; see examples/stdout
// for a program that prints to stdout.)
func ExampleNew() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	inst, err := otelapikit.New(otelapikit.WithTracerProvider(tp), otelapikit.WithMeterProvider(mp))
	if err != nil {
		fmt.Println(err)
		return
	}

	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "traced"})
	c, _ := srv.NewClient(key, append(inst.ClientOptions(), client.WithRetryWait(time.Millisecond, time.Millisecond))...)
	defer c.CloseIdleConnections()
	srv.FailNext(1, http.StatusServiceUnavailable, 0)
	_ = c.Do(context.Background(), "GET", "/v1/whoami", nil, nil)

	for _, s := range spans.Ended() {
		fmt.Println("span", s.Name(), s.SpanKind(), "child of the call:", s.Parent().IsValid())
	}
	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	var names []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		names = append(names, m.Name)
	}
	sort.Strings(names)
	fmt.Println(names)
	// Output:
	// span GET client child of the call: true
	// span GET client child of the call: true
	// span hypedata GET internal child of the call: false
	// [apikit.client.attempts apikit.client.calls apikit.client.pacer.wait apikit.client.retries apikit.client.retry_budget.tokens]
}

// A pacer shared by several clients (client.WithPacer) reports its gate
// closures and rate to PacerObserver; each client takes the Middleware and
// the PacingHook.
func ExampleInstrumentation_PacerObserver() {
	reader := sdkmetric.NewManualReader()
	inst, _ := otelapikit.New(otelapikit.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))

	shared := pacing.New(pacing.WithObserver(inst.PacerObserver("hypedata")))
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "shared"})
	c, _ := srv.NewClient(key, client.WithPacer(shared), client.WithRateLimit(50, 1),
		client.WithMiddleware(inst.Middleware()), client.WithPacingHook(inst.PacingHook(nil)))
	defer c.CloseIdleConnections()
	_ = c.Do(context.Background(), "GET", "/v1/whoami", nil, nil)

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if g, ok := m.Data.(metricdata.Gauge[float64]); ok && m.Name == otelapikit.MetricRate {
			fmt.Println(m.Name, g.DataPoints[0].Value > 0)
		}
	}
	// Output: apikit.client.pacer.rate true
}
