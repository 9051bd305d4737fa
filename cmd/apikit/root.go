package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/apikit/apikit-go/client"
)

// run executes the command line args with a and returns the exit code.
func run(ctx context.Context, args []string, a *app) int {
	root := newRootCmd(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCodeOf(err)
	if code == exitError && isCobraUsageError(err) {
		code = exitUsage
		err = fmt.Errorf("%w (see apikit help)", err)
	}
	switch code {
	case exitUnreachable:
		err = fmt.Errorf("%w — %s", err, unreachableFix(err))
	case exitTimeout:
		err = fmt.Errorf("%w — %s", err, timeoutFix(a.timeout))
	}
	var quiet silentError
	if !errors.As(err, &quiet) { // its output already said it
		a.printError(err, code)
	}
	return code
}

// isCobraUsageError recognises the errors cobra makes itself for a command
// line it cannot follow (it has no type for them).
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires at most"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// newRootCmd builds the apikit command tree over a.
func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "apikit",
		Short: "Store, check and manage the API keys the apikit-go SDK uses",
		Long: `apikit stores a service's API key where the apikit-go SDK finds it, shows which
key a program would use and from where, finds misconfigurations, and manages
the service's keys.

Services: ` + strings.Join(serviceNames(), ", ") + `.

The SDK looks for a key in this order: the service's environment variable
(HYPEDATA_API_KEY, ...), ./.env, then the config file ($APIKIT_CONFIG_FILE, else
<user config dir>/apikit/config.yaml), profile --profile, else $APIKIT_PROFILE,
else "default". apikit never takes a key as an argument: login reads it from
stdin or a hidden prompt, so it stays out of shell history and process lists.`,
		Example: `  apikit login hypedata          # paste the key at the hidden prompt
  apikit status                  # which key each service would use, from where
  apikit doctor                  # every misconfiguration, each with its fix
  export HYPEDATA_API_KEY="$(apikit token hypedata)"`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       client.Version, // --version
	}
	root.SetVersionTemplate(currentVersion().line() + "\n")
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetIn(a.stdin)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		if strings.HasPrefix(err.Error(), "unknown shorthand flag") {
			// pflag repeats the whole word, which may be a key typed after "-".
			err = errors.New("unknown shorthand flag (the word is not repeated: it may be a key)")
		}
		return withCode(exitUsage, fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath()))
	})
	pf := root.PersistentFlags()
	pf.BoolVar(&a.json, "json", false, "print the result as JSON (errors too, as {\"error\": {...}})")
	pf.StringVar(&a.profile, "profile", "", "config file profile (default: $APIKIT_PROFILE, else \"default\")")
	pf.StringVar(&a.baseURLFlag, "base-url", "", "API root (default: $<SERVICE>_BASE_URL, the profile's base_url, built-in)")
	pf.DurationVar(&a.timeout, "timeout", 30*time.Second, "give up on network calls and key commands after this long")
	base := root.UsageTemplate()
	root.SetUsageTemplate(base + "\n" + exitCodesHelp + "\n")

	root.AddCommand(
		newLoginCmd(a),
		newLogoutCmd(a),
		newTokenCmd(a),
		newStatusCmd(a),
		newDoctorCmd(a),
		newConfigCmd(a),
		newKeysCmd(a),
		newVersionCmd(a),
	)
	addExtraCommands(root)
	// scan has exit codes of its own (0 none found, 1 found, 2 failed), in
	// its help text: the general table would contradict them.
	if scan, _, err := root.Find([]string{"scan"}); err == nil && scan != root {
		scan.SetUsageTemplate(base)
	}
	return root
}

// exactArgs accepts exactly the arguments named in names, with a usage
// error that names what is missing (and never repeats an argument, which
// may be a key typed in the wrong place).
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == len(names) {
			return nil
		}
		// The error is printed after "apikit: ", so name the command without the root.
		name := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
		if len(args) < len(names) {
			return usagef("%s: missing %s; usage: %s", name, strings.Join(names[len(args):], " "), cmd.UseLine())
		}
		return usagef("%s: %d arguments given, %d expected (%s); a key is never an argument: pipe it to apikit login", name, len(args), len(names), strings.Join(names, " "))
	}
}
