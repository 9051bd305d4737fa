// Command apikit is the command line a key's owner lives in: it stores a
// service's API key where the apikit-go SDK finds it (login, logout), shows
// which key a program would use and from where (status, token), finds every
// misconfiguration it can (doctor), edits the config file safely (config),
// and manages the service's keys (keys). Run `apikit help` for the commands
// and the exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], newOSApp())
	stop()
	os.Exit(code)
}
