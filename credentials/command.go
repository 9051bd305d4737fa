package credentials

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apikit/apikit-go/keys"
)

// defaultCommandTimeout bounds a key command that hangs (a password manager
// waiting for a prompt nobody sees).
const defaultCommandTimeout = 10 * time.Second

// Bounds on a key command's output.
const (
	maxCommandStdout = 64 << 10
	maxCommandStderr = 512
)

// Command yields the output of a program run without a shell, for keys kept
// in a password manager or secret store: Command("op", "read",
// "op://prod/hypedata/key"). One trailing newline is trimmed from its
// output; a non-zero exit, no output, or more than 10 seconds (or the
// context's deadline) is an error that includes the program's stderr. The
// Source is "command" and the argv, never the output.
func Command(argv ...string) Provider {
	return ProviderFunc(func(ctx context.Context) (Credential, error) {
		return runCommand(ctx, argv, defaultCommandTimeout)
	})
}

func runCommand(ctx context.Context, argv []string, timeout time.Duration) (Credential, error) {
	src := Source{Kind: KindCommand, Detail: commandString(argv)}
	if len(argv) == 0 || argv[0] == "" {
		return Credential{}, fmt.Errorf("%s: no program given", src)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr boundedBuffer
	stdout.max, stderr.max = maxCommandStdout, maxCommandStderr*4
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	out := stdout.String()
	if k := strings.TrimSpace(out); len(k) >= 8 {
		// A command line that contains its own output holds the key
		// itself (echo hd_live_…): never show that part.
		src.Detail = strings.ReplaceAll(src.Detail, k, "[key]")
	}
	if err != nil {
		why := err.Error()
		if ctx.Err() != nil {
			why = fmt.Sprintf("did not finish within %s", timeout)
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) > 0 {
				why = ctx.Err().Error()
			}
		}
		var ee *exec.Error
		if errors.As(err, &ee) {
			why = fmt.Sprintf("cannot run %s: %v", argv[0], ee.Err)
		} else if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			why = fmt.Sprintf("cannot run %s: %v", argv[0], errors.Unwrap(err))
		}
		if msg := cleanStderr(stderr.String(), out); msg != "" {
			why += ": " + msg
		}
		return Credential{}, fmt.Errorf("%s: %s", src, why)
	}
	if stdout.overflow {
		return Credential{}, fmt.Errorf("%s: printed more than %d bytes, which is not a key", src, maxCommandStdout)
	}
	out = strings.TrimSuffix(out, "\n")
	out = strings.TrimSuffix(out, "\r")
	if out == "" {
		msg := cleanStderr(stderr.String(), "")
		if msg != "" {
			msg = " (stderr: " + msg + ")"
		}
		return Credential{}, fmt.Errorf("%s: printed nothing%s; it should print the key", src, msg)
	}
	return found(out, src)
}

// commandString renders argv for a Source, bounded, with any argument that
// is a key of a known format shown redacted.
func commandString(argv []string) string {
	shown := make([]string, len(argv))
	for i, a := range argv {
		shown[i] = a
		if k, err := keys.Parse(a); err == nil {
			shown[i] = k.String()
		}
	}
	s := strings.Join(shown, " ")
	if len(s) > 80 {
		s = s[:77] + "…"
	}
	return s
}

// cleanStderr is the first line of stderr, bounded, printable, and without
// anything the command printed on stdout (which may be the key).
func cleanStderr(stderr, stdout string) string {
	s := strings.TrimSpace(stderr)
	if out := strings.TrimSpace(stdout); len(out) >= 4 {
		s = strings.ReplaceAll(s, out, "[output]")
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	if len(s) > maxCommandStderr {
		s = s[:maxCommandStderr] + "…"
	}
	return s
}

// boundedBuffer keeps at most max bytes and notes that more came.
type boundedBuffer struct {
	bytes.Buffer
	max      int
	overflow bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room < len(p) {
		b.overflow = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
