package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/apikit/apikit-go/cmd/apikit/internal/secretstore"
	"github.com/apikit/apikit-go/cmd/apikit/internal/termsafe"
)

// app is what every command works with: its streams, the keyring, the
// clock and the global flags. main builds one over the process's own; tests
// build theirs.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	keyring        secretstore.Store
	exe            string // this program's path, for the api_key_command login writes
	now            func() time.Time

	// Global flags.
	json        bool
	profile     string
	baseURLFlag string
	timeout     time.Duration
}

// newOSApp is the app over the process's streams and the OS keyring.
func newOSApp() *app {
	exe, err := os.Executable()
	if err == nil {
		if p, err := filepath.EvalSymlinks(exe); err == nil {
			exe = p
		}
	} else {
		exe = "apikit"
	}
	return &app{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		keyring: secretstore.OS(secretstore.DefaultTimeout),
		exe:     exe,
		now:     time.Now,
	}
}

// ctx returns the command's context bounded by --timeout.
func (a *app) ctx(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if a.timeout > 0 {
		return context.WithTimeout(ctx, a.timeout)
	}
	return context.WithCancel(ctx)
}

// emit prints v as JSON with --json, else calls text to print for a person.
func (a *app) emit(v any, text func(w io.Writer)) error {
	if a.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("writing JSON: %w", err)
		}
		return nil
	}
	// Text output holds strings from servers and files (a key's name, a
	// path): it is escaped as a whole before it reaches the terminal.
	var buf bytes.Buffer
	text(&buf)
	_, err := io.WriteString(a.stdout, termsafe.Lines(buf.String()))
	return err
}

// printError reports err: as {"error": {...}} on stdout with --json, else
// "apikit: <message>" on stderr. Anything key-shaped in the message is
// redacted first (cobra repeats what was typed: `apikit hd_live_…` is an
// "unknown command").
func (a *app) printError(err error, code int) {
	msg := scrub(err.Error())
	if a.json {
		_ = json.NewEncoder(a.stdout).Encode(map[string]any{"error": map[string]any{
			"exit_code": code, "kind": kindOf(err, code), "message": msg,
		}})
		return
	}
	fmt.Fprintf(a.stderr, "apikit: %s\n", termsafe.Text(msg)) // it may quote a path or a server's words
}

// readSecret reads a key from stdin: with a hidden prompt when stdin is a
// terminal, else all of it (bounded), less one trailing line ending.
func (a *app) readSecret(prompt string) (string, error) {
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(a.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("reading the key from the terminal: %w", err)
		}
		return string(b), nil
	}
	const max = 64 << 10
	b, err := io.ReadAll(io.LimitReader(a.stdin, max+1))
	if err != nil {
		return "", fmt.Errorf("reading the key from stdin: %w", err)
	}
	if len(b) > max {
		return "", errors.New("stdin holds more than 64 KiB, which is not a key; pipe the key alone")
	}
	s := strings.TrimSuffix(string(b), "\n")
	s = strings.TrimSuffix(s, "\r")
	if s == "" {
		return "", withCode(exitNoKey, errors.New("no key on stdin: pipe the key in (apikit login <service> < keyfile), or run on a terminal to be prompted"))
	}
	return s, nil
}
