package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/apikit/apikit-go/cmd/apikit/internal/secretstore"
	"github.com/apikit/apikit-go/keys"
)

// TestEveryCommandHasExamplesAndJSON walks the command tree: every command
// a person runs has examples in its help and takes --json, and `apikit
// help` lists the exit codes.
func TestEveryCommandHasExamplesAndJSON(t *testing.T) {
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, keyring: secretstore.NewMemory(nil)}
	root := newRootCmd(a)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c.Name() == "help" || strings.HasPrefix(c.CommandPath(), "apikit completion") ||
			strings.HasPrefix(c.CommandPath(), "apikit scan") { // scan's own tests cover its help
			return
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no examples", c.CommandPath())
		}
		if c.Flags().Lookup("json") == nil && c.InheritedFlags().Lookup("json") == nil {
			t.Errorf("%s has no --json", c.CommandPath())
		}
	}
	walk(root)

	var out bytes.Buffer
	a = &app{stdout: &out, stderr: &out, keyring: secretstore.NewMemory(nil)}
	if code := run(context.Background(), []string{"help"}, a); code != 0 {
		t.Fatalf("apikit help: exit %d", code)
	}
	for _, want := range []string{"Exit codes:", "7  no keyring", "login", "doctor", "keys"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("apikit help does not show %q:\n%s", want, out.String())
		}
	}
}

// FuzzScrub checks that scrub removes any key of a built-in format put
// anywhere in a message, whatever surrounds it.
func FuzzScrub(f *testing.F) {
	f.Add("unknown command %q for apikit", uint8(0), uint8(0))
	f.Add("-%s", uint8(1), uint8(3))
	f.Add("a/b/%s.yaml: nope", uint8(2), uint8(9))
	formats := []*keys.Format{keys.Hypedata, keys.Hypersave, keys.HopX, keys.HyperSync}
	f.Fuzz(func(t *testing.T, around string, which, seed uint8) {
		format := formats[int(which)%len(formats)]
		k, err := format.Generate(keys.EnvLive, bytes.NewReader(bytes.Repeat([]byte{seed, seed ^ 0x5a, seed + 7}, 64)))
		if err != nil {
			t.Skip()
		}
		secret := k.Reveal()
		msg := strings.Replace(around, "%s", secret, 1)
		if !strings.Contains(msg, secret) {
			msg = around + " " + secret
		}
		if got := scrub(msg); strings.Contains(got, secretBody(secret)) {
			t.Fatalf("scrub(%q) = %q keeps the key", msg, got)
		}
	})
}

// FuzzParseSetting feeds config get/set's setting names: no panic, and an
// accepted name is a known field of a plausible service.
func FuzzParseSetting(f *testing.F) {
	for _, s := range []string{"hypedata.base_url", "x.api_key", ".", "a..b", "hypedata.", hdKey, "Hypedata.api_key_command"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		svc, field, err := parseSetting(s)
		if err != nil {
			if strings.Contains(err.Error(), secretBody(hdKey)) {
				t.Fatalf("the error repeats a key: %v", err)
			}
			return
		}
		if !serviceNameRE.MatchString(svc) || field != fieldAPIKey && field != fieldKeyCommand && field != fieldBaseURL {
			t.Fatalf("parseSetting(%q) = %q, %q", s, svc, field)
		}
	})
}

// TestHelpFitsIn100Columns: every command's --help reads in a 100-column
// terminal (cobra does not wrap flag usages, so each must be short).
func TestHelpFitsIn100Columns(t *testing.T) {
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, keyring: secretstore.NewMemory(nil)}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.Name() == "help" || strings.HasPrefix(c.CommandPath(), "apikit completion") {
			return
		}
		var out bytes.Buffer
		c.SetOut(&out)
		if err := c.Help(); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if n := len([]rune(line)); n > 100 {
				t.Errorf("%s --help: a line of %d columns: %s", c.CommandPath(), n, line)
			}
		}
	}
	walk(newRootCmd(a))
}
