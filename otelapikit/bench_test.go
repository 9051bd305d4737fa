//go:build unix

package otelapikit_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/otelapikit"
)

// memTransport answers every request with the same 1 KiB JSON body, in
// memory, so that the benchmark measures the client and the
// instrumentation, not the loopback.
type memTransport struct{ body []byte }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: r,
		Header:        http.Header{"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(m.body))}},
		ContentLength: int64(len(m.body)), Body: io.NopCloser(bytes.NewReader(m.body))}, nil
}

// discard is a span processor that drops every span once ended: the SDK
// still records it (what a sampled span costs), nothing is exported.
type discard struct{}

func (discard) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (discard) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (discard) Shutdown(context.Context) error                  { return nil }
func (discard) ForceFlush(context.Context) error                { return nil }

// BenchmarkOverhead is one successful GET per operation over an in-memory
// transport: the client alone, with the instrumentation over no-op
// providers (otel installed, no SDK), and over the SDK (every span sampled
// and recorded, metrics aggregated by a manual reader).
func BenchmarkOverhead(b *testing.B) {
	body := bytes.Repeat([]byte(`{"id":"item_0123456789","name":"a benchmark item","tags":["a","b"]},`), 14)
	body = append(append([]byte(`{"items":[`), body[:len(body)-1]...), `]}`...)
	sdk := func(b *testing.B) []client.Option {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(discard{}))
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
		inst, err := otelapikit.New(otelapikit.WithTracerProvider(tp), otelapikit.WithMeterProvider(mp))
		if err != nil {
			b.Fatal(err)
		}
		return inst.ClientOptions()
	}
	noop := func(b *testing.B) []client.Option {
		inst, err := otelapikit.New(otelapikit.WithTracerProvider(tracenoop.NewTracerProvider()),
			otelapikit.WithMeterProvider(metricnoop.NewMeterProvider()))
		if err != nil {
			b.Fatal(err)
		}
		return inst.ClientOptions()
	}
	for _, mode := range []struct {
		name string
		opts func(*testing.B) []client.Option
	}{
		{"apikit", func(*testing.B) []client.Option { return nil }},
		{"apikit-otel-noop", noop},
		{"apikit-otel-sdk", sdk},
	} {
		b.Run(mode.name, func(b *testing.B) {
			opts := append([]client.Option{client.WithService(client.Hypedata), client.WithBaseURL("https://api.example.test"),
				client.WithAPIKey("hd_test_" + "4f9Qx2LmZpR7vT1nB8cD3eF6gH0jK5wY"),
				client.WithHTTPClient(&http.Client{Transport: memTransport{body: body}})}, mode.opts(b)...)
			c, err := client.New(opts...)
			if err != nil {
				b.Fatal(err)
			}
			var out struct{ Items []struct{ ID, Name string } }
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for b.Loop() {
				if err := c.Do(context.Background(), "GET", "/v1/items", nil, &out); err != nil {
					b.Fatal(err)
				}
			}
			// The process's own CPU time, beside ns/op: on a machine
			// shared with other work, wall time per operation measures the
			// others too, CPU time much less so.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
