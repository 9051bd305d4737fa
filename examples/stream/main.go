// Command stream reads a server-sent events stream, offline, against an
// in-memory Hypedata server (client/clienttest): the stream survives cut
// connections without losing or repeating an event, and ends for good, with
// the typed error, when the key is revoked.
//
//  1. c.Stream opens /v1/stream; Next/Event read its events.
//  2. The server cuts the connection three ways — mid-event, after a retry
//     field, and by a 503 with Retry-After on the reconnection — and the
//     client reconnects each time with Last-Event-ID: the ids go on by one.
//  3. An admin revokes the key. The server ends the open stream with a
//     final auth_revoked event; Next returns false and Err matches
//     apierrors.ErrRevoked, with the time and reason of the revocation.
//
// Run it with:
//
//	go run ./examples/stream
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/errors"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "stream:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	fmt.Println("apikit-go streams — offline, against an in-memory Hypedata server (client/clienttest)")
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	srv.SetStreamInterval(20 * time.Millisecond)

	key, info, err := srv.IssueKey(clienttest.KeyParams{Name: "worker", Scopes: []string{"stream"}})
	if err != nil {
		return err
	}
	admin, _, err := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	if err != nil {
		return err
	}
	c, err := srv.NewClient(key,
		client.WithRetryWait(50*time.Millisecond, 200*time.Millisecond),
		client.WithRetryHook(func(ev client.RetryEvent) {
			fmt.Printf("   reconnecting in %s: %s\n", ev.Wait.Round(time.Millisecond), ev.Reason)
		}))
	if err != nil {
		return err
	}
	ac, err := srv.NewClient(admin)
	if err != nil {
		return err
	}

	fmt.Println("\n1. Open the stream")
	s, err := c.Stream(ctx, "/v1/stream")
	if err != nil {
		return err
	}
	defer s.Close()
	var ids []string
	read := func(n int) error {
		for i := 0; i < n; i++ {
			if !s.Next() {
				return fmt.Errorf("the stream ended early: %w", s.Err())
			}
			ev := s.Event()
			ids = append(ids, ev.ID)
			fmt.Printf("   event %s (%s): %s\n", ev.ID, ev.Type, ev.Data)
		}
		return nil
	}
	if err := read(3); err != nil {
		return err
	}

	fmt.Println("\n2. Cut connections: mid-event, after a retry field, then a 503 with Retry-After")
	srv.CutNextStream(clienttest.StreamCut{After: 2, MidEvent: true, Abort: true})
	srv.CutNextStream(clienttest.StreamCut{After: 2, Retry: 300 * time.Millisecond})
	srv.CutOpenStreams() // the connection open now ends; the next two follow the cuts above
	if err := read(4); err != nil {
		return err
	}
	srv.FailNext(1, 503, time.Second)
	if err := read(3); err != nil {
		return err
	}
	fmt.Printf("   ids read: %s — none lost, none repeated\n", strings.Join(ids, " "))

	fmt.Println("\n3. Revoke the key while the stream is open")
	start := time.Now()
	if _, err := ac.Keys().Revoke(ctx, info.ID, "leaked in a public repository"); err != nil {
		return err
	}
	for s.Next() {
		fmt.Printf("   event %s\n", s.Event().ID)
	}
	err = s.Err()
	var apiErr *apierrors.Error
	if !errors.Is(err, apierrors.ErrRevoked) || !errors.As(err, &apiErr) {
		return fmt.Errorf("want a revocation error, got %v", err)
	}
	fmt.Printf("   the stream ended %s after the revocation:\n", time.Since(start).Round(time.Millisecond))
	printErr(err)
	fmt.Printf("   errors.Is(err, apierrors.ErrRevoked) = true\n   RevokedAt %s; Reason %q\n",
		apiErr.RevokedAt.Format(time.RFC3339), apiErr.Reason)
	return nil
}

// printErr prints err indented, wrapped at 100 columns.
func printErr(err error) {
	line := "  "
	for _, w := range strings.Fields(err.Error()) {
		if len([]rune(line))+1+len([]rune(w)) > 100 && strings.TrimSpace(line) != "" {
			fmt.Println(line)
			line = "    "
		}
		line += " " + w
	}
	fmt.Println(line)
}
