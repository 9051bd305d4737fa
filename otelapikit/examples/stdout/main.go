// Command stdout shows otelapikit's spans and metrics on stdout: it runs a
// few calls against an in-memory clienttest server (one retried after a
// 503, one refused with a 429) and prints what the OpenTelemetry SDK's
// stdout exporters receive.
//
//	go run ./otelapikit/examples/stdout
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/otelapikit"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	spans, err := stdouttrace.New(stdouttrace.WithWriter(os.Stdout), stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(ctx) //nolint:errcheck // an exit path
	metrics, err := stdoutmetric.New(stdoutmetric.WithWriter(os.Stdout), stdoutmetric.WithPrettyPrint())
	if err != nil {
		return err
	}
	reader := sdkmetric.NewPeriodicReader(metrics, sdkmetric.WithInterval(time.Hour)) // exported at Shutdown
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	inst, err := otelapikit.New(otelapikit.WithTracerProvider(tp), otelapikit.WithMeterProvider(mp))
	if err != nil {
		return err
	}
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, err := srv.IssueKey(clienttest.KeyParams{Name: "otel-demo"})
	if err != nil {
		return err
	}
	c, err := srv.NewClient(key, append(inst.ClientOptions(), client.WithRetryWait(10*time.Millisecond, 10*time.Millisecond))...)
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()

	srv.FailNext(1, http.StatusServiceUnavailable, 0)
	fmt.Fprintln(os.Stderr, "call 1 (503, then 200):", c.Do(ctx, "GET", "/v1/whoami", nil, nil))
	srv.FailNext(1, http.StatusTooManyRequests, time.Second)
	fmt.Fprintln(os.Stderr, "call 2 (429, not retried):", c.DoWith(ctx, "GET", "/v1/whoami", nil, nil, client.WithMaxRetries(0)))
	return mp.Shutdown(ctx) // exports the metrics
}
