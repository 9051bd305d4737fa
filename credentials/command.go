package credentials

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
	"time"
)

// DefaultCommandTimeout bounds a key command that hangs (a password manager
// waiting for a prompt nobody sees) when no other timeout is given: Command
// and a config file's api_key_command use it.
const DefaultCommandTimeout = 10 * time.Second

// commandWaitDelay is how long a command's output may stay open after the
// command itself has exited (a child process it left running).
const commandWaitDelay = time.Second

// Bounds on a key command's output.
const (
	maxCommandStdout = 64 << 10 // more is not a key
	maxCommandStderr = 1 << 10  // shown in errors, after redaction
)

// Command yields the output of a program run without a shell, for keys kept
// in a password manager or secret store: Command("op", "read",
// "op://prod/hypedata/key"). One trailing newline (LF or CR LF) is trimmed
// from its output. A non-zero exit, no output, or more than
// DefaultCommandTimeout (or the end of the context) is a *SourceError that
// includes the program's stderr, redacted. The program runs in a process
// group of its own; when it fails, times out or is cancelled, the whole
// group is killed, so no child it started outlives it. The Source is
// "command" and the arguments, with the output and anything key-shaped in
// them redacted.
func Command(argv ...string) Provider {
	return CommandWithTimeout(DefaultCommandTimeout, argv...)
}

// CommandWithTimeout is Command with a timeout other than
// DefaultCommandTimeout, for a secret store that is slow to answer (or one
// that should be given up on sooner). A timeout that is not positive is an
// error at Retrieve.
func CommandWithTimeout(timeout time.Duration, argv ...string) Provider {
	argv = append([]string(nil), argv...) // the caller may reuse its slice
	return ProviderFunc(func(ctx context.Context) (Credential, error) {
		out, shown, err := runCommand(ctx, argv, timeout)
		src := Source{Kind: KindCommand, Detail: shown}
		if err != nil {
			return Credential{}, sourceError(src, err)
		}
		return found(out, src)
	})
}

// runCommand runs argv and returns its output with one trailing line ending
// trimmed, and argv as it may be shown (redacted). Its error says what went
// wrong without naming the source (the caller does) and never quotes the
// output.
func runCommand(ctx context.Context, argv []string, timeout time.Duration) (out, shown string, err error) {
	shown = commandString(argv, "")
	if len(argv) == 0 || argv[0] == "" {
		return "", shown, errors.New("no program given: give the program and its arguments")
	}
	if timeout <= 0 {
		return "", shown, fmt.Errorf("the timeout is %s; give a positive duration", timeout)
	}
	if err := ctx.Err(); err != nil {
		return "", shown, fmt.Errorf("not run: %w", callerStopped(err))
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, argv[0], argv[1:]...)
	stdout := boundedBuffer{max: maxCommandStdout}
	stderr := boundedBuffer{max: 4 * maxCommandStderr}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = commandWaitDelay
	inOwnGroup(cmd)
	runErr := cmd.Run()
	if runErr != nil {
		// Timed out, cancelled, or a child kept the output open past the
		// exit: whatever the command started goes with it.
		_ = killGroup(cmd)
	}

	out = stdout.String()
	shown = commandString(argv, out)
	if runErr != nil {
		why := commandFailure(ctx, cctx, runErr, timeout, redactKeys(argv[0], false))
		if msg := cleanStderr(stderr.String(), stderr.overflow, out); msg != "" {
			why = fmt.Errorf("%w (stderr: %s)", why, msg)
		}
		return "", shown, why
	}
	if stdout.overflow {
		return "", shown, fmt.Errorf("printed more than %d bytes, which is not a key", maxCommandStdout)
	}
	out = strings.TrimSuffix(out, "\n")
	out = strings.TrimSuffix(out, "\r")
	if out == "" {
		msg := cleanStderr(stderr.String(), stderr.overflow, "")
		if msg != "" {
			msg = " (stderr: " + msg + ")"
		}
		return "", shown, fmt.Errorf("printed nothing%s; it should print the key", msg)
	}
	return out, shown, nil
}

// commandFailure says why a command failed: the caller's context ended
// (matching its error), the command's own timer fired (matching
// context.DeadlineExceeded), the program could not be started, a child kept
// the output open, or the exit status.
func commandFailure(parent, cctx context.Context, err error, timeout time.Duration, program string) error {
	if perr := parent.Err(); perr != nil {
		return fmt.Errorf("stopped before it finished: %w", callerStopped(perr))
	}
	if errors.Is(cctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("did not finish within %s (is it waiting for input, such as a sign-in prompt?): %w", timeout, context.DeadlineExceeded)
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		return fmt.Errorf("cannot run %s: %w", program, ee.Err)
	}
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("cannot run %s: %w", program, pe.Err)
		}
		return fmt.Errorf("cannot run %s: %w", program, err)
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		return fmt.Errorf("the command exited but a child process kept its output open for more than %s; make the command wait for its children, or close their output: %w", commandWaitDelay, err)
	}
	return err // *exec.ExitError: "exit status 3"
}

// callerStopped says which end of the caller's context err is, wrapping it
// so that errors.Is(err, context.Canceled) or DeadlineExceeded holds.
func callerStopped(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("the caller's deadline passed: %w", err)
	}
	return fmt.Errorf("the caller cancelled: %w", err)
}
