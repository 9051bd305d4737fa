package credentials

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// noPartOf fails the test if text holds any 6 characters in a row of
// secret: not even a recognisable part of a key may show.
func noPartOf(t *testing.T, what, text, secret string) {
	t.Helper()
	for i := 0; i+6 <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+6]) {
			t.Errorf("%s shows part of the key (%q): %s", what, secret[i:i+6], text)
			return
		}
	}
}

func TestCommand(t *testing.T) {
	ctx := context.Background()
	cred, err := Command(helper(t, "print", cmdKey)...).Retrieve(ctx)
	if err != nil || cred.Key.Reveal() != cmdKey || !strings.HasPrefix(cred.Source.String(), "command ") {
		t.Fatalf("print: %v %v", cred, err)
	}
	noPartOf(t, "Source", cred.Source.String(), cmdKey[8:])

	_, err = Command(helper(t, "fail")...).Retrieve(ctx)
	var exit *exec.ExitError
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "op: not signed in") || !errors.As(err, &exit) {
		t.Fatalf("fail: %v", err)
	}
	_, err = Command(helper(t, "empty")...).Retrieve(ctx)
	if err == nil || !strings.Contains(err.Error(), "printed nothing") {
		t.Fatalf("empty: %v", err)
	}
	_, err = Command("/nonexistent/apikit-op").Retrieve(ctx)
	if err == nil || !strings.Contains(err.Error(), "cannot run /nonexistent/apikit-op") {
		t.Fatalf("missing program: %v", err)
	}
	for _, argv := range [][]string{nil, {""}} {
		if _, err = Command(argv...).Retrieve(ctx); err == nil || !strings.Contains(err.Error(), "no program given") {
			t.Fatalf("no program: %v", err)
		}
	}
}

// A CR LF line ending is trimmed whole, as an LF is.
func TestCommandCRLF(t *testing.T) {
	cred, err := Command(helper(t, "print-crlf", cmdKey)...).Retrieve(context.Background())
	if err != nil || cred.Key.Reveal() != cmdKey {
		t.Fatalf("CR LF output: %v, %v", cred.Key, err)
	}
}

// The command's own timer: "did not finish within", matching
// context.DeadlineExceeded.
func TestCommandOwnTimeout(t *testing.T) {
	_, err := CommandWithTimeout(300*time.Millisecond, helper(t, "hang")...).Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "did not finish within 300ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hang: %v", err)
	}
	for _, d := range []time.Duration{0, -time.Second} {
		_, err = CommandWithTimeout(d, helper(t, "print", cmdKey)...).Retrieve(context.Background())
		if err == nil || !strings.Contains(err.Error(), "positive") {
			t.Fatalf("timeout %s: %v", d, err)
		}
	}
}

// The caller's deadline or cancel ends the command with the caller's
// context error, not a made-up timeout.
func TestCommandCallerContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := Command(helper(t, "hang")...).Retrieve(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "within 10s") || !strings.Contains(err.Error(), "caller's deadline") {
		t.Fatalf("caller deadline: %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	stop := time.AfterFunc(200*time.Millisecond, cancel) // the caller gives up while the command runs
	defer stop.Stop()
	_, err = Command(helper(t, "hang")...).Retrieve(ctx)
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "within") || !strings.Contains(err.Error(), "the caller cancelled") {
		t.Fatalf("caller cancel: %v", err)
	}
	var se *SourceError
	if !errors.As(err, &se) || se.Source.Kind != KindCommand {
		t.Fatalf("not a *SourceError naming the command: %v", err)
	}
	// Done before the command starts: it does not run.
	_, err = Command("/nonexistent/apikit-op").Retrieve(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "not run") {
		t.Fatalf("cancelled before the run: %v", err)
	}
}

// Whatever a failing command prints on stderr, no key shows: not the
// output, not a key of a built-in format, not a long random-looking word.
func TestCommandStderrRedacted(t *testing.T) {
	opaque := "Zq8vLm2pXr5tWc9yBn4k" // no built-in format: caught as random-looking
	_, err := Command(helper(t, "fail-stderr", "error: token "+cmdKey+" is revoked", "hint: old token "+opaque, "second line")...).Retrieve(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	noPartOf(t, "error", msg, cmdKey[8:])
	noPartOf(t, "error", msg, opaque)
	// All of stderr is kept, one line.
	if !strings.Contains(msg, "is revoked | hint: old token [redacted] | second line") || strings.Contains(msg, "\n") {
		t.Errorf("stderr not kept whole on one line: %s", msg)
	}
	// Words are not mistaken for keys.
	_, err = Command(helper(t, "fail-stderr", "secret projects/my-project-1234567/secrets/hypedata-api-key not found")...).Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "my-project-1234567/secrets/hypedata-api-key not found") {
		t.Errorf("plain words redacted: %v", err)
	}
}

// Output is read up to a bound: a command that prints far more is refused,
// and what is kept stays within the bound, however os/exec copies it.
func TestCommandOutputBounded(t *testing.T) {
	_, err := Command(helper(t, "flood")...).Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "printed more than 65536 bytes") {
		t.Fatalf("err = %.300v", err)
	}
	b := boundedBuffer{max: 10}
	if n, err := io.Copy(&b, strings.NewReader(strings.Repeat("x", 100))); n != 100 || err != nil || len(b.String()) != 10 || !b.overflow {
		t.Fatalf("io.Copy: %d, %v; kept %d bytes, overflow %v", n, err, len(b.String()), b.overflow)
	}
}

// Stderr is bounded, and a key cut by the bound does not show in part.
func TestCommandStderrBounded(t *testing.T) {
	long := strings.Repeat("x ", 3000)
	_, err := Command(helper(t, "fail-stderr", long)...).Retrieve(context.Background())
	if err == nil || len(err.Error()) > 2*maxCommandStderr || !strings.Contains(err.Error(), "x x x") {
		t.Fatalf("err (%d bytes) = %.200v", len(err.Error()), err)
	}
	// Blank lines (dropped from the message) fill the 4 KiB read bound, so
	// that a key's first 16 characters are what is left of it at the cut:
	// too few, and too regular, to be recognised as a key there.
	secret := "Q7x" + strings.Repeat("a", 30)
	_, err = Command(helper(t, "fail-stderr", strings.Repeat("\n", 4*maxCommandStderr-16)+secret)...).Retrieve(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	noPartOf(t, "error", err.Error(), secret)
}

// The argument list: an argument that is, or contains, a key, or the
// command's output, never shows — also where the 80-character cut falls in
// the middle of it.
func TestCommandArgumentsRedacted(t *testing.T) {
	ctx := context.Background()
	// --token=<key>: a key inside an argument, not the output.
	argv := helper(t, "print", cmdKey)
	argv = append(argv, "--token="+envKey)
	cred, err := Command(argv...).Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	noPartOf(t, "Source", cred.Source.String(), envKey[8:])

	// Output that no format knows, and no longer than 16: only the [key]
	// replacement hides it.
	odd := "p@ss:W0rd!x#"
	cred, err = Command(helper(t, "print", odd)...).Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := cred.Source.String(); strings.Contains(s, odd) || !strings.Contains(s, "[key]") {
		t.Errorf("Source shows the output: %s", s)
	}

	// The output where the 80-byte cut falls in it: the program is a link
	// whose path length puts the output's first byte at 60 to 79.
	exe := helper(t)[0]
	dir := t.TempDir()
	out := "Zq8#Lm2!pX5@tWc9*yBn4k%Rd" // no built-in format, no long run: only [key] hides it
	for start := 60; start < maxCommandShown; start += 2 {
		n := start - len(" print ") - len(dir) - 1
		if n < 1 {
			t.Skipf("the temp dir's path (%d bytes) is too long for this test", len(dir))
		}
		link := filepath.Join(dir, strings.Repeat("k", n))
		if err := os.Symlink(exe, link); err != nil && !errors.Is(err, fs.ErrExist) {
			t.Skipf("no symlinks: %v", err)
		}
		cred, err := Command(link, "print", out).Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		noPartOf(t, "Source", cred.Source.String(), out)
	}
}

// An argument with a newline is shown quoted, so the message stays one line.
func TestCommandArgumentsOneLine(t *testing.T) {
	_, err := Command(helper(t, "fail-stderr", "two\nlines")...).Retrieve(context.Background())
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), `"two\nlines"`) {
		t.Fatalf("err = %q", err)
	}
}

// A command that exits but leaves a child holding its output gets a clear
// message, not "exec: WaitDelay expired before I/O complete".
func TestCommandChildKeepsOutputOpen(t *testing.T) {
	_, err := Command(helper(t, "orphan")...).Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "a child process kept its output open") || !errors.Is(err, exec.ErrWaitDelay) {
		t.Fatalf("err = %v", err)
	}
}
