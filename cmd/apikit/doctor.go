package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/cmd/apikit/internal/termsafe"
)

// problem is one misconfiguration doctor found, with its one-line fix.
type problem struct {
	// Check names the kind of problem, stable for scripts: config-mode,
	// key-shadowed, key-malformed, ...
	Check string `json:"check"`
	// Subject is what it is about: a file, a variable, a service.
	Subject string `json:"subject"`
	// Problem says what is wrong; Fix, in one line, what to do.
	Problem string `json:"problem"`
	Fix     string `json:"fix"`
}

// doctorResult is doctor's --json output.
type doctorResult struct {
	ConfigFile string    `json:"config_file"`
	Problems   []problem `json:"problems"`
	Notes      []string  `json:"notes,omitempty"`
}

// checkup collects what doctor finds.
type checkup struct {
	a        *app
	ctx      context.Context
	verify   bool
	services []client.Service
	res      doctorResult
}

func (c *checkup) add(check, subject, what, fix string) {
	c.res.Problems = append(c.res.Problems, problem{Check: check, Subject: scrub(subject), Problem: scrub(what), Fix: scrub(fix)})
}

func (c *checkup) note(format string, args ...any) {
	c.res.Notes = append(c.res.Notes, scrub(fmt.Sprintf(format, args...)))
}

func newDoctorCmd(a *app) *cobra.Command {
	var verify bool
	cmd := &cobra.Command{
		Use:   "doctor [<service>]",
		Short: "Find every misconfiguration it can, each with its one-line fix",
		Long: `Find every misconfiguration apikit can see, for every service (or one), each
with its one-line fix:

  - the config file, a link to it, or its directory, owned by another user or
    writable by others (the SDK refuses it); a config file the SDK
    cannot parse; a section named like a misspelt service; a profile that
    APIKIT_PROFILE (or HOPX_PROFILE) names but the file lacks; a base_url (or
    <SERVICE>_BASE_URL) on plain HTTP to another host, or not a URL
  - a key in one place shadowing a different key in another (environment over
    .env over the config file)
  - a key that is malformed (and why), or a JWT that has expired
  - a .env the SDK does not read (one in a parent directory, .env.local, ...), a
    variable named nearly like the service's (HYPEDATA_KEY), a .env holding a
    key that other users can read
  - an api_key_command that fails; a keyring that does not answer, or lacks the
    entry the config file points at
  - with --verify: a key the service refuses, a service that cannot be reached,
    and this machine's clock far from the service's (its Date header)

Exit code: 0 when nothing was found, 8 when something was.`,
		Example: `  apikit doctor
  apikit doctor --verify
  apikit doctor hypedata --json | jq -r '.problems[] | .fix'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("%s: at most one service, %d given", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c := &checkup{a: a, verify: verify, services: services}
			if len(args) == 1 {
				svc, err := lookupService(args[0])
				if err != nil {
					return err
				}
				c.services = []client.Service{svc}
			} else if a.baseURLFlag != "" {
				return usagef("--base-url applies to one service: name it (apikit doctor <service> --base-url ...)")
			}
			ctx, cancel := a.ctx(cmd)
			defer cancel()
			c.ctx = ctx
			c.run()
			if err := a.emit(c.res, func(w io.Writer) { c.print(w) }); err != nil {
				return err
			}
			if len(c.res.Problems) > 0 {
				return withCode(exitProblems, silentError{problemsFound(len(c.res.Problems))})
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&verify, "verify", false, "also ask each service whether it accepts its key, and compare clocks")
	return cmd
}

// run makes every check.
func (c *checkup) run() {
	c.res.Problems = []problem{}
	cfg := c.checkConfig()
	c.checkKeyring(cfg)
	c.checkKeyCommands(cfg)
	c.checkEnvironment()
	c.checkDotEnvs()
	for _, svc := range c.services {
		c.checkKeys(svc)
	}
}

// problemsFound says how many problems doctor found: "1 problem found".
func problemsFound(n int) string {
	if n == 1 {
		return "1 problem found"
	}
	return fmt.Sprintf("%d problems found", n)
}

// print writes the text form. Every field is escaped for the terminal
// (termsafe.Text): paths and the messages of servers and key commands may
// hold escape sequences or line breaks that would forge or hide lines.
func (c *checkup) print(w io.Writer) {
	fmt.Fprintf(w, "Config file: %s\n", termsafe.Text(c.res.ConfigFile))
	if len(c.res.Problems) == 0 {
		fmt.Fprintln(w, "No problems found.")
	} else {
		fmt.Fprintf(w, "%s:\n", problemsFound(len(c.res.Problems)))
	}
	for i, p := range c.res.Problems {
		fmt.Fprintf(w, "%2d. [%s] %s: %s\n      fix: %s\n", i+1, p.Check, termsafe.Text(p.Subject), termsafe.Text(p.Problem), termsafe.Text(p.Fix))
	}
	for _, n := range c.res.Notes {
		fmt.Fprintf(w, "note: %s\n", termsafe.Text(n))
	}
}
