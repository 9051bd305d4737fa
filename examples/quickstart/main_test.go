package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.uber.org/goleak"

	"github.com/apikit/apikit-go/client"
)

// TestMain fails the package if the walk-through leaves a goroutine behind
// (a server, a connection, a retry timer).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestOutputFitsTerminal runs the offline walk-through and checks that it
// reads well in a 100-column terminal: no line passes 100 columns, and none
// of the words a newcomer does not know yet (the SDK's own jargon) is used.
func TestOutputFitsTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("the walk-through waits out a one-second rate limit")
	}
	// runOffline points these at its sandbox; t.Setenv puts them back.
	for _, name := range []string{"APIKIT_CONFIG_FILE", "APIKIT_PROFILE", client.Hypedata.BaseURLEnvVar, client.Hypedata.EnvVar} {
		t.Setenv(name, "")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := runOffline(ctx, &printer{w: &out, width: width}); err != nil {
		t.Fatalf("runOffline: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) < 30 {
		t.Fatalf("only %d lines of output:\n%s", len(lines), out.String())
	}
	for i, line := range lines {
		if n := utf8.RuneCountInString(line); n > width {
			t.Errorf("line %d is %d columns, over %d: %q", i+1, n, width, line)
		}
	}
	for _, jargon := range []string{"dialect", "shadowed", "shadows"} {
		if strings.Contains(strings.ToLower(out.String()), jargon) {
			t.Errorf("the output uses %q, a word a newcomer does not know yet", jargon)
		}
	}
}

func TestWrap(t *testing.T) {
	cases := []struct{ text, want string }{
		{"a   b  c", "  a   b  c\n"}, // fits: spacing kept
		{"aaa bbb ccc ddd", "  aaa bbb\n    ccc ddd\n"},
		{"averyveryverylongword x", "  averyveryverylongword\n    x\n"},
		{"", "  \n"},
	}
	for _, tc := range cases {
		if got := wrap(tc.text, "  ", "    ", 12); got != tc.want {
			t.Errorf("wrap(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
