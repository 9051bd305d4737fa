// Package sse reads the server-sent events wire format, as the WHATWG HTML
// standard defines it ("Server-sent events", parsing an event stream): lines
// ended by CRLF, LF or CR; an optional UTF-8 byte-order mark at the start;
// comment lines starting with ':'; the fields id, event, data and retry; and
// an event dispatched at each blank line.
//
// The stream is UTF-8: bytes that are not (a server's bug, or a hostile
// server's attempt to smuggle raw bytes into a header or a log) are
// replaced with U+FFFD as the standard's UTF-8 decode does, one for each
// maximal invalid subpart, in data, event names and ids alike — so no
// invalid byte reaches an Event or a Last-Event-ID header.
//
// It departs from the standard in three bounded ways, each because the
// client resumes a cut stream from the last event ID: the last event ID
// outlives the connection (see [Decoder.Reset]); an id that could not be
// sent back in a Last-Event-ID header (one holding NUL, as the standard
// says, or any other control character but tab) is ignored; and an event or
// line larger than the decoder's bound is an error, not an allocation
// without end.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// Event is one dispatched event.
type Event struct {
	// ID is the stream's last event ID as of this event: the event's own
	// id field, or the last one before it.
	ID string
	// Type is the event field, or "message" when the event named none.
	Type string
	// Data is the event's data lines joined with "\n".
	Data []byte
}

// ErrTooLarge is returned when an event's data, or a single line, is larger
// than the decoder's bound. The decoder cannot go on after it.
var ErrTooLarge = errors.New("sse: event too large")

// lineSlack is how much longer than the event bound a line may be: the field
// name and separator in front of a value of the largest size.
const lineSlack = 64

// Decoder reads events from a stream. It is not safe for concurrent use.
type Decoder struct {
	r   *bufio.Reader
	max int

	bomChecked bool
	skipLF     bool // the last line ended with CR: a LF that follows belongs to it
	err        error

	line   []byte
	data   []byte
	typ    string
	idBuf  string // the last event ID buffer
	idSet  bool   // the current block has an id field
	ownID  bool   // the event Next returned last had an id field of its own
	lastID string // the last event ID string, set at each dispatch

	retry    time.Duration
	retrySet bool
}

// NewDecoder returns a decoder reading r, refusing any event whose data,
// or any line, is larger than max bytes (max must be positive).
func NewDecoder(r io.Reader, max int) *Decoder {
	if max <= 0 {
		max = 1
	}
	return &Decoder{r: bufio.NewReaderSize(r, 4096), max: max}
}

// Reset makes the decoder read a new connection's stream from r: any event
// half received is dropped, a byte-order mark is again allowed at the
// start. The last event ID and the retry time are kept, so that an event
// of the new stream without an id field still carries the ID the stream
// resumed from.
func (d *Decoder) Reset(r io.Reader) {
	d.r.Reset(r)
	d.bomChecked, d.skipLF, d.err = false, false, nil
	d.data, d.typ = d.data[:0], ""
	d.idBuf, d.idSet = d.lastID, false
}

// LastEventID returns the last event ID string: the id in force at the last
// event boundary (a blank line), whether or not an event was dispatched
// there. It is what a reconnecting client sends as Last-Event-ID.
func (d *Decoder) LastEventID() string { return d.lastID }

// SetLastEventID sets the last event ID, as if the stream had sent it: for
// a client that resumes a stream from an ID it kept. Invalid UTF-8 in it is
// replaced, as in a stream's own ids.
func (d *Decoder) SetLastEventID(id string) {
	id = string(validUTF8([]byte(id)))
	d.lastID, d.idBuf = id, id
}

// OwnID reports whether the event Next returned last had an id field of
// its own (its ID is then that field), rather than carrying an earlier
// event's: only such an event can be recognised when a server sends it
// again.
func (d *Decoder) OwnID() bool { return d.ownID }

// Retry returns the reconnection time the stream last set with a retry
// field, and whether it set one.
func (d *Decoder) Retry() (time.Duration, bool) { return d.retry, d.retrySet }

// Next returns the next event. At the end of the stream it returns io.EOF
// (or the read error), dropping an event whose blank line never came. After
// an error, every call returns the same error.
func (d *Decoder) Next() (Event, error) {
	if d.err != nil {
		return Event{}, d.err
	}
	if !d.bomChecked {
		if err := d.skipBOM(); err != nil {
			d.err = err
			return Event{}, err
		}
		d.bomChecked = true
	}
	for {
		line, err := d.readLine()
		if err != nil {
			d.err = err
			return Event{}, err
		}
		line = validUTF8(line)
		if len(line) == 0 {
			if ev, ok := d.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		if err := d.field(line); err != nil {
			d.err = err
			return Event{}, err
		}
	}
}

// skipBOM drops one leading U+FEFF. It reads only as far as the bytes
// match one, so it never waits for bytes a shorter stream will not send.
func (d *Decoder) skipBOM() error {
	const bom = "\xef\xbb\xbf"
	for i := 1; i <= len(bom); i++ {
		b, err := d.r.Peek(i)
		if len(b) < i || b[i-1] != bom[i-1] {
			if len(b) == 0 && err != nil {
				return err
			}
			return nil
		}
	}
	_, _ = d.r.Discard(len(bom))
	return nil
}

// readLine returns the next line without its end (CRLF, LF or CR). A line
// cut off by the end of the stream is not a line: the read error is
// returned instead.
func (d *Decoder) readLine() ([]byte, error) {
	d.line = d.line[:0]
	for {
		if d.r.Buffered() == 0 {
			if _, err := d.r.Peek(1); err != nil {
				return nil, err
			}
		}
		buf, _ := d.r.Peek(d.r.Buffered())
		if d.skipLF {
			d.skipLF = false
			if buf[0] == '\n' {
				_, _ = d.r.Discard(1)
				continue
			}
		}
		i := bytes.IndexAny(buf, "\r\n")
		if i < 0 {
			if len(d.line)+len(buf) > d.max+lineSlack {
				return nil, fmt.Errorf("%w: a line of more than %d bytes", ErrTooLarge, d.max+lineSlack)
			}
			d.line = append(d.line, buf...)
			_, _ = d.r.Discard(len(buf))
			continue
		}
		if len(d.line)+i > d.max+lineSlack {
			return nil, fmt.Errorf("%w: a line of more than %d bytes", ErrTooLarge, d.max+lineSlack)
		}
		d.line = append(d.line, buf[:i]...)
		n := i + 1
		if buf[i] == '\r' {
			if i+1 < len(buf) {
				if buf[i+1] == '\n' {
					n++
				}
			} else {
				d.skipLF = true // the LF, if any, has not arrived yet; the line is complete without it
			}
		}
		_, _ = d.r.Discard(n)
		return d.line, nil
	}
}

// field applies one non-blank line.
func (d *Decoder) field(line []byte) error {
	if line[0] == ':' {
		return nil // a comment
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "event":
		d.typ = string(value)
	case "data":
		if len(d.data)+len(value)+1 > d.max+1 { // +1: the trailing LF is removed at dispatch
			return fmt.Errorf("%w: more than %d bytes of data", ErrTooLarge, d.max)
		}
		d.data = append(d.data, value...)
		d.data = append(d.data, '\n')
	case "id":
		if sendable(value) {
			d.idBuf, d.idSet = string(value), true
		}
	case "retry":
		if ms, ok := digits(value); ok {
			d.retry, d.retrySet = time.Duration(ms)*time.Millisecond, true
		}
	}
	return nil
}

// dispatch ends the current block at a blank line.
func (d *Decoder) dispatch() (Event, bool) {
	d.lastID = d.idBuf
	own := d.idSet
	d.idSet = false
	if len(d.data) == 0 {
		d.typ = ""
		return Event{}, false
	}
	ev := Event{ID: d.lastID, Type: d.typ, Data: bytes.Clone(d.data[:len(d.data)-1])}
	d.ownID = own
	if ev.Type == "" {
		ev.Type = "message"
	}
	d.data, d.typ = d.data[:0], ""
	return ev, true
}

// sendable reports whether an id can be sent back as a header value: no
// control character but horizontal tab (the standard ignores only NUL).
func sendable(v []byte) bool {
	for _, c := range v {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// maxRetryMillis is the largest retry value kept: more would overflow a
// time.Duration.
const maxRetryMillis = math.MaxInt64 / int64(time.Millisecond)

// digits reads a retry value: ASCII digits only, else it is ignored.
func digits(v []byte) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n > maxRetryMillis {
		return 0, false
	}
	return n, true
}
