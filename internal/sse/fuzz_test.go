package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// chunked reads r in pieces whose sizes cycle through sizes.
type chunked struct {
	r     io.Reader
	sizes []byte
	i     int
}

func (c *chunked) Read(p []byte) (int, error) {
	n := 1
	if len(c.sizes) > 0 {
		n = int(c.sizes[c.i%len(c.sizes)])%7 + 1
		c.i++
	}
	return c.r.Read(p[:min(n, len(p))])
}

// FuzzDecoder checks, for any input, that the decoder never panics, keeps
// its bounds, yields only well-formed events, and yields the same events
// and the same final state whether the input arrives whole, byte by byte or
// in uneven pieces (a CR at the end of one read and a LF at the start of the
// next are one line end). Events it yields, written back out, read back the
// same.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte("id: 41\nevent: message\ndata: {\"n\":1}\n\nevent: auth_revoked\ndata: {}\n\n"), []byte{1, 2, 3})
	f.Add([]byte("\ufeffdata: a\r\ndata: b\r\rid: 1\x00\nretry: 10\n\n: c\n"), []byte{5})
	f.Add([]byte("data\rdata:\n\nid\n\nretry: 99999999999999999999\n\n"), []byte{})
	f.Add([]byte("data: "+strings.Repeat("x", 80)+"\n\n"), []byte{6, 0})
	f.Add([]byte("\xef\xbb\n\xef\xbb\xbfdata: \xff\xfe\n\n"), []byte{0, 1})
	const max = 64
	f.Fuzz(func(t *testing.T, in, sizes []byte) {
		type result struct {
			evs            []Event
			err            error
			lastID         string
			retry          int64
			retrySet, fail bool
		}
		run := func(r io.Reader) result {
			d := NewDecoder(r, max)
			evs, err := all(d)
			rd, ok := d.Retry()
			return result{evs, err, d.LastEventID(), int64(rd), ok, !errors.Is(err, io.EOF)}
		}
		whole := run(bytes.NewReader(in))
		if whole.fail && !errors.Is(whole.err, ErrTooLarge) {
			t.Fatalf("error %v from an in-memory reader", whole.err)
		}
		for _, ev := range whole.evs {
			switch {
			case len(ev.Data) > max:
				t.Fatalf("event of %d bytes, over the %d bound", len(ev.Data), max)
			case ev.Type == "":
				t.Fatal("event without a type")
			case !sendable([]byte(ev.ID)):
				t.Fatalf("id %q holds a control character", ev.ID)
			case !utf8.ValidString(ev.ID) || !utf8.ValidString(ev.Type) || !utf8.Valid(ev.Data):
				t.Fatalf("invalid UTF-8 passed through: %q", ev)
			case strings.ContainsAny(ev.Type, "\r\n") || bytes.ContainsAny(ev.Data, "\r"):
				t.Fatalf("a line end inside a field: %q", ev)
			}
		}
		for name, r := range map[string]io.Reader{
			"byte by byte": iotest.OneByteReader(bytes.NewReader(in)),
			"chunked":      &chunked{r: bytes.NewReader(in), sizes: sizes},
		} {
			got := run(r)
			if !equal(got.evs, whole.evs) || got.lastID != whole.lastID || got.retry != whole.retry ||
				got.retrySet != whole.retrySet || got.fail != whole.fail {
				t.Fatalf("%s read differs from the whole read:\n got %q %q %v\nwant %q %q %v",
					name, got.evs, got.lastID, got.err, whole.evs, whole.lastID, whole.err)
			}
		}
		if whole.fail {
			return
		}
		// Written back out, the events read back the same (ids and types
		// that are valid UTF-8 and free of line ends, as a server writes them).
		var out bytes.Buffer
		var want []Event
		for _, ev := range whole.evs {
			if !utf8.ValidString(ev.ID) || !utf8.ValidString(ev.Type) || strings.ContainsRune(ev.ID, '\ufeff') {
				continue
			}
			writeField(&out, "id", []byte(ev.ID))
			writeField(&out, "event", []byte(ev.Type))
			for _, line := range bytes.Split(ev.Data, []byte("\n")) {
				writeField(&out, "data", line)
			}
			out.WriteByte('\n')
			want = append(want, ev)
		}
		back := run(&out)
		if back.fail || !equal(back.evs, want) {
			t.Fatalf("round trip: got %q (%v), want %q", back.evs, back.err, want)
		}
	})
}

// writeField writes "name:value", with the optional space after the colon
// only when the value starts with one (so the line is no longer than the
// one it was read from).
func writeField(b *bytes.Buffer, name string, value []byte) {
	b.WriteString(name + ":")
	if len(value) > 0 && value[0] == ' ' {
		b.WriteByte(' ')
	}
	b.Write(value)
	b.WriteByte('\n')
}

// FuzzValidUTF8: the output is valid UTF-8, valid input comes back as it
// is, and decoding is idempotent; no more U+FFFD appear than invalid bytes.
func FuzzValidUTF8(f *testing.F) {
	for _, s := range []string{"", "a", "a\xffb", "\xe2\x82A", "\xed\xa0\x80", "\xf4\x90\x80\x80", "😀\xf0\x9f\x98"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := validUTF8(in)
		if !utf8.Valid(out) {
			t.Fatalf("%q -> %q: not valid", in, out)
		}
		if utf8.Valid(in) && !bytes.Equal(in, out) {
			t.Fatalf("valid %q changed to %q", in, out)
		}
		if again := validUTF8(out); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q", out, again)
		}
		added := bytes.Count(out, []byte(replacement)) - bytes.Count(in, []byte(replacement))
		if added > len(in) {
			t.Fatalf("%q -> %q: %d replacements for %d bytes", in, out, added, len(in))
		}
	})
}
