package credentials

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxCommandShown bounds the argument list shown in a Source.
const maxCommandShown = 80

// outputKey replaces a command's output where it shows up in its arguments
// or stderr (echo hd_live_…).
const outputKey = "[key]"

// commandString renders argv for a Source: the command's output (when at
// least 4 characters) shown as "[key]", anything key-shaped shown as
// "[redacted]" (see redactKeys; the program's own name only when it is
// certainly a key), an argument with spaces, quotes or control characters
// quoted so that the line stays one line — all before it is cut to 80
// bytes, so no part of a key survives the cut.
func commandString(argv []string, output string) string {
	outs := outputLines(output)
	shown := make([]string, len(argv))
	for i, a := range argv {
		for _, o := range outs {
			a = strings.ReplaceAll(a, o, outputKey)
		}
		a = redactKeys(a, i > 0)
		if a == "" || strings.IndexFunc(a, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '"' }) >= 0 {
			a = strconv.Quote(a)
		}
		shown[i] = a
	}
	return cutText(strings.Join(shown, " "), maxCommandShown)
}

// outputLines is what of a command's output to hide in its arguments and
// stderr: the whole trimmed output and each of its first lines, when at
// least 4 bytes long (shorter text is not a key, and hiding it would garble
// the message), longest first.
func outputLines(output string) []string {
	var outs []string
	add := func(s string) {
		if s = strings.TrimSpace(s); len(s) >= 4 {
			outs = append(outs, s)
		}
	}
	add(output)
	lines := strings.Split(output, "\n")
	if len(lines) > 1 {
		for i, l := range lines {
			if i == 16 {
				break
			}
			add(l)
		}
	}
	// Longest first, so a line inside the whole output is not replaced
	// before the whole.
	for i := 1; i < len(outs); i++ {
		for j := i; j > 0 && len(outs[j]) > len(outs[j-1]); j-- {
			outs[j], outs[j-1] = outs[j-1], outs[j]
		}
	}
	return outs
}

// cleanStderr makes a command's stderr fit for an error message: the
// command's output and anything key-shaped redacted (before anything is
// cut), lines joined with " | ", control characters dropped, bounded to
// maxCommandStderr bytes. cut says the buffer was cut when it was read; the
// word at the cut is then dropped, as a part of a key there could no longer
// be recognised.
func cleanStderr(stderr string, cut bool, stdout string) string {
	if cut {
		i := len(stderr)
		for i > 0 && isKeyChar(stderr[i-1]) {
			i--
		}
		stderr = stderr[:i] + "…"
	}
	for _, o := range outputLines(stdout) {
		stderr = strings.ReplaceAll(stderr, o, outputKey)
	}
	stderr = redactKeys(stderr, true)
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.Map(func(r rune) rune {
			if r == '\t' {
				return ' '
			}
			if r < ' ' || r == 0x7f || r == utf8.RuneError {
				return -1
			}
			return r
		}, l)
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return cutText(strings.Join(lines, " | "), maxCommandStderr)
}

// boundedBuffer keeps at most max bytes and notes that more came. It holds
// its bytes.Buffer in a field, not embedded: an embedded one would lend it
// ReadFrom, which io.Copy (and so os/exec) uses instead of Write, bypassing
// the bound.
type boundedBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

// Write keeps what fits and reports all of p written, so that the command
// is not stopped by a broken pipe.
func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room < len(p) {
		b.overflow = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

// String returns what was kept.
func (b *boundedBuffer) String() string { return b.buf.String() }
