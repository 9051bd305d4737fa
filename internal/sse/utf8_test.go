package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// The WHATWG UTF-8 decoder's replacements: one U+FFFD per maximal subpart
// of an invalid sequence (the expected values are what a browser's, and
// Python's, decoder give).
func TestValidUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                "plain",
		"a\xffb":               "a\uFFFDb",
		"\xe2\x82A":            "\uFFFDA",
		"\xf0\x9f\x98":         "\uFFFD",
		"\xed\xa0\x80":         "\uFFFD\uFFFD\uFFFD",
		"\xc0\xaf":             "\uFFFD\uFFFD",
		"\xf4\x90\x80\x80":     "\uFFFD\uFFFD\uFFFD\uFFFD",
		"\xe0\x80\x80":         "\uFFFD\uFFFD\uFFFD",
		"\xf0\x9f\x98\x80":     "😀",
		"\xe2\x82\xac\xe2":     "€\uFFFD",
		"\xfe\xff\x80":         "\uFFFD\uFFFD\uFFFD",
		"ok \xf1\x80\x80\x80 ": "ok \U00040000 ",
	} {
		if got := string(validUTF8([]byte(in))); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// Data, event names and ids are decoded alike, and the id a reconnection
// would send is the decoded one.
func TestDecoderReplacesInvalidUTF8(t *testing.T) {
	d := NewDecoder(strings.NewReader("id: 7\xff\nevent: tick\xc0\ndata: a\xe2\x82\ndata: b\n\n"), 1<<10)
	ev, err := d.Next()
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "7\uFFFD" || ev.Type != "tick\uFFFD" || string(ev.Data) != "a\uFFFD\nb" || d.LastEventID() != "7\uFFFD" || !d.OwnID() {
		t.Errorf("got %q, last id %q", ev, d.LastEventID())
	}
	if _, err := d.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("then %v", err)
	}
}

// OwnID tells an event's own id from one it carries over.
func TestDecoderOwnID(t *testing.T) {
	d := NewDecoder(strings.NewReader("id: 1\ndata: a\n\ndata: b\n\n"), 1<<10)
	for _, want := range []bool{true, false} {
		if _, err := d.Next(); err != nil || d.OwnID() != want {
			t.Fatalf("OwnID %v, err %v; want %v", d.OwnID(), err, want)
		}
	}
}

// A resumed ID the caller kept is decoded as the stream's own are.
func TestSetLastEventIDDecoded(t *testing.T) {
	d := NewDecoder(strings.NewReader(""), 10)
	d.SetLastEventID("4\xff")
	if d.LastEventID() != "4\uFFFD" {
		t.Errorf("LastEventID %q", d.LastEventID())
	}
}
