package client

import (
	"fmt"
	"slices"
	"testing"
	"unicode/utf8"
)

// A server that replays after a reconnection — inclusively (the event named
// by Last-Event-ID again, as r3labs/sse does) or from the start of its
// buffer (as tmaxmax/go-sse does) — still has each event delivered once.
// Events without an id of their own are not judged.
func TestStreamDropsReplayedEvents(t *testing.T) {
	for _, tc := range []struct {
		name   string
		second string
	}{
		{"inclusive", ev(3) + ev(4) + ev(5)},
		{"from the buffer's start", ev(1) + ev(2) + ev(3) + ev(4) + ev(5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newScripted(t, events(ev(1)+ev(2)+ev(3)), eventsThenHold(tc.second))
			c, _ := newTestClient(t, srv)
			s := openStream(t, c)
			got := readIDs(t, s, 5)
			if want := []string{"1", "2", "3", "4", "5"}; !slices.Equal(got, want) {
				t.Errorf("delivered %v, want %v", got, want)
			}
			if h := srv.got()[1].Header.Get("Last-Event-ID"); h != "3" {
				t.Errorf("Last-Event-ID %q", h)
			}
		})
	}
}

// A caller resuming with its own Last-Event-ID does not get that event
// again from an inclusive server; events that carry an earlier id (no id
// field of their own) are delivered as they come.
func TestStreamResumeFromCallersID(t *testing.T) {
	srv := newScripted(t, eventsThenHold(ev(7)+"data: no id\n\n"+ev(8)))
	c, _ := newTestClient(t, srv)
	s := openStream(t, c, WithHeader("Last-Event-ID", "7"))
	var got []string
	for len(got) < 2 && s.Next() {
		got = append(got, fmt.Sprintf("%s:%s", s.Event().ID, s.Event().Data))
	}
	if want := []string{"7:no id", `8:{"seq":8}`}; !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
}

// Invalid UTF-8 in an id, an event name or data arrives as U+FFFD, and the
// reconnection's Last-Event-ID is the decoded id.
func TestStreamInvalidUTF8(t *testing.T) {
	srv := newScripted(t, events("id: 7\xff\nevent: tick\xc0\ndata: a\xe2\x82\n\n"), eventsThenHold(ev(8)))
	c, _ := newTestClient(t, srv)
	s := openStream(t, c)
	if !s.Next() {
		t.Fatal(s.Err())
	}
	e := s.Event()
	if e.ID != "7\uFFFD" || e.Type != "tick\uFFFD" || string(e.Data) != "a\uFFFD" {
		t.Errorf("event %q", e)
	}
	readIDs(t, s, 1)
	h := srv.got()[1].Header.Get("Last-Event-ID")
	if h != "7\uFFFD" || !utf8.ValidString(h) {
		t.Errorf("Last-Event-ID %q", h)
	}
}

// The window forgets the oldest IDs past its size.
func TestRecentIDsWindow(t *testing.T) {
	var r recentIDs
	for i := range replayWindow + 10 {
		r.add(fmt.Sprint(i))
	}
	if r.has("0") || r.has("9") || !r.has("10") || !r.has(fmt.Sprint(replayWindow+9)) || r.has("x") {
		t.Error("window holds the wrong IDs")
	}
	if len(r.count) != replayWindow {
		t.Errorf("%d hashes kept", len(r.count))
	}
}
