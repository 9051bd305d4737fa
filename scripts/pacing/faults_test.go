package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"slices"
	"testing"
	"time"
)

// The delaying proxy forwards every byte, in order, both ways.
func TestDelayProxyKeepsTheBytes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(c, c) // echo
	}()
	p, err := startDelayProxy(l.Addr().String(), 2*time.Millisecond, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	c, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for i := range 200 {
		want := fmt.Sprintf("line %d\n", i)
		if _, err := c.Write([]byte(want)); err != nil {
			t.Fatal(err)
		}
		got, err := r.ReadString('\n')
		if err != nil || got != want {
			t.Fatalf("echo %d: %q %v, want %q", i, got, err, want)
		}
	}
}

// Only the latency faults put Redis at a distance.
func TestLatencyOf(t *testing.T) {
	for _, f := range faultNames {
		_, ok := latencyOf(f)
		if ok != slices.Contains([]string{faultLatency10, faultLatency50}, f) {
			t.Fatalf("latencyOf(%q) = %v", f, ok)
		}
	}
	if _, ok := latencyOf(faultLatency50); !ok {
		t.Fatal("latency50 has no latency")
	}
	if _, ok := latencyOf(faultPause); ok {
		t.Fatal("pause has a latency")
	}
}

// A stretch alone that began before Redis answered again counts until it
// ended; one that began after (a process's first call after a failover) is
// counted apart, by its length.
func TestAfterReachable(t *testing.T) {
	r := time.Date(2027, 1, 1, 0, 0, 10, 0, time.UTC)
	at := func(s float64) time.Time { return r.Add(time.Duration(s * float64(time.Second))) }
	back, later, n := afterReachable([]stretch{{at(-3), at(1.5)}, {at(-2.5), at(0.2)}, {at(7), at(7.3)}, {at(8), at(8.1)}}, r)
	if back != 1500*time.Millisecond || later != 300*time.Millisecond || n != 2 {
		t.Fatalf("afterReachable: back %s, later %s (%d), want 1.5s, 300ms (2)", back, later, n)
	}
}
