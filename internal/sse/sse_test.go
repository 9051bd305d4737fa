package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// all reads every event from the decoder and the error that ended it.
func all(d *Decoder) ([]Event, error) {
	var evs []Event
	for {
		ev, err := d.Next()
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
}

func TestDecoder(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []Event
	}{
		{"hypedata", "id: 41\nevent: message\ndata: {\"n\":41}\n\n" +
			"event: auth_revoked\ndata: {\"error\":{\"code\":\"revoked\"}}\n\n",
			[]Event{{"41", "message", []byte(`{"n":41}`)}, {"41", "auth_revoked", []byte(`{"error":{"code":"revoked"}}`)}}},
		{"multi-line data joined with LF", "data: YHOO\ndata: +2\ndata: 10\n\n", []Event{{"", "message", []byte("YHOO\n+2\n10")}}},
		{"CRLF", "id: 1\r\ndata: a\r\n\r\ndata: b\r\n\r\n", []Event{{"1", "message", []byte("a")}, {"1", "message", []byte("b")}}},
		{"CR", "id: 1\rdata: a\r\rdata: b\r\r", []Event{{"1", "message", []byte("a")}, {"1", "message", []byte("b")}}},
		{"mixed ends", "data: a\r\ndata: b\rdata: c\n\r\n", []Event{{"", "message", []byte("a\nb\nc")}}},
		{"BOM once", "\ufeffdata: a\n\n", []Event{{"", "message", []byte("a")}}},
		{"second BOM is data of a field named so", "\ufeff\ufeffdata: a\n\ndata: b\n\n", []Event{{"", "message", []byte("b")}}},
		{"comments", ": hello\n:\ndata: a\n: between\n\n", []Event{{"", "message", []byte("a")}}},
		{"no space after colon", "data:a\ndata:  b\n\n", []Event{{"", "message", []byte("a\n b")}}},
		{"field without colon", "data\n\ndata\ndata\n\n", []Event{{"", "message", []byte("")}, {"", "message", []byte("\n")}}},
		{"empty data only is no event", "event: x\n\ndata: y\n\n", []Event{{"", "message", []byte("y")}}},
		{"unknown fields ignored", "foo: bar\nData: no\ndata: yes\n\n", []Event{{"", "message", []byte("yes")}}},
		{"id persists", "id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n", []Event{{"7", "message", []byte("a")}, {"7", "message", []byte("b")}, {"", "message", []byte("c")}}},
		{"id with NUL ignored", "id: 3\ndata: a\n\nid: 4\x005\ndata: b\n\n", []Event{{"3", "message", []byte("a")}, {"3", "message", []byte("b")}}},
		{"id with control char ignored", "id: 3\x01\ndata: a\n\n", []Event{{"", "message", []byte("a")}}},
		{"event type reset after dispatch", "event: a\ndata: 1\n\ndata: 2\n\n", []Event{{"", "a", []byte("1")}, {"", "message", []byte("2")}}},
		{"incomplete event at EOF dropped", "data: a\n\ndata: b\n", []Event{{"", "message", []byte("a")}}},
		{"incomplete line at EOF dropped", "data: a\n\ndata: b", []Event{{"", "message", []byte("a")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, split := range []struct {
				name string
				r    func(string) io.Reader
			}{
				{"whole", func(s string) io.Reader { return strings.NewReader(s) }},
				{"byte by byte", func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) }},
			} {
				got, err := all(NewDecoder(split.r(tc.in), 1<<10))
				if !errors.Is(err, io.EOF) {
					t.Fatalf("%s: error %v, want io.EOF", split.name, err)
				}
				if !equal(got, tc.want) {
					t.Errorf("%s: got %q, want %q", split.name, got, tc.want)
				}
			}
		})
	}
}

func equal(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Type != b[i].Type || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}

func TestRetry(t *testing.T) {
	d := NewDecoder(strings.NewReader("retry: 2500\n\nretry: 1.5\nretry: -1\nretry:\nretry: 99999999999999999999\n\n"), 64)
	if _, err := all(d); !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if got, ok := d.Retry(); !ok || got != 2500*time.Millisecond {
		t.Errorf("Retry() = %v, %v; want 2.5s, true (invalid values ignored)", got, ok)
	}
	if _, ok := NewDecoder(strings.NewReader("data: a\n\n"), 64).Retry(); ok {
		t.Error("Retry() reports a value the stream never set")
	}
}

func TestLastEventIDAtBoundaryWithoutEvent(t *testing.T) {
	d := NewDecoder(strings.NewReader("id: 9\n\n"), 64)
	if _, err := all(d); !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if d.LastEventID() != "9" {
		t.Errorf("LastEventID() = %q, want 9: an id-only block sets it", d.LastEventID())
	}
	d = NewDecoder(strings.NewReader("id: 9\ndata: x\n"), 64) // cut before the blank line
	if _, err := all(d); !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if d.LastEventID() != "" {
		t.Errorf("LastEventID() = %q, want empty: the event with id 9 never completed", d.LastEventID())
	}
}

func TestReset(t *testing.T) {
	d := NewDecoder(strings.NewReader("id: 5\ndata: a\n\ndata: half"), 64)
	if evs, _ := all(d); len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	d.Reset(strings.NewReader("\ufeffdata: b\n\nid: 6\ndata: c\n\n"))
	evs, err := all(d)
	if !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	want := []Event{{"5", "message", []byte("b")}, {"6", "message", []byte("c")}}
	if !equal(evs, want) {
		t.Errorf("after Reset: got %q, want %q (the half event dropped, the id kept)", evs, want)
	}
}

// A CR at the end of what has arrived ends the line at once: the decoder
// does not wait for a LF that may never come.
func TestCRDoesNotWait(t *testing.T) {
	pr, pw := io.Pipe()
	d := NewDecoder(pr, 64)
	go func() { _, _ = pw.Write([]byte("data: a\r\r")) }()
	ev, err := d.Next()
	if err != nil || string(ev.Data) != "a" {
		t.Fatalf("Next() = %q, %v", ev.Data, err)
	}
	go func() { _, _ = pw.Write([]byte("\ndata: b\r\n\r\n")); pw.Close() }()
	ev, err = d.Next()
	if err != nil || string(ev.Data) != "b" {
		t.Fatalf("Next() = %q, %v; want b (the LF after CR belongs to the CR)", ev.Data, err)
	}
}

func TestTooLarge(t *testing.T) {
	for name, in := range map[string]string{
		"one long line": "data: " + strings.Repeat("x", 200) + "\n\n",
		"many lines":    strings.Repeat("data: "+strings.Repeat("x", 30)+"\n", 10) + "\n",
		"endless line":  strings.Repeat("y", 1000),
	} {
		d := NewDecoder(strings.NewReader(in), 100)
		_, err := all(d)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: error %v, want ErrTooLarge", name, err)
		}
		if _, again := d.Next(); !errors.Is(again, ErrTooLarge) {
			t.Errorf("%s: the error is not sticky: %v", name, again)
		}
	}
	// Exactly at the bound is fine.
	evs, err := all(NewDecoder(strings.NewReader("data: "+strings.Repeat("x", 100)+"\n\n"), 100))
	if !errors.Is(err, io.EOF) || len(evs) != 1 {
		t.Errorf("an event of exactly the bound: %d events, %v", len(evs), err)
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("connection reset")
	d := NewDecoder(io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(boom)), 64)
	evs, err := all(d)
	if len(evs) != 1 || !errors.Is(err, boom) {
		t.Errorf("got %d events, %v; want 1 and the read error", len(evs), err)
	}
}
