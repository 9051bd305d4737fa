package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/apikit/apikit-go/client"
)

// statusResult is status's --json output.
type statusResult struct {
	Services []*serviceReport `json:"services"`
}

func newStatusCmd(a *app) *cobra.Command {
	var verify bool
	cmd := &cobra.Command{
		Use:   "status [<service>]",
		Short: "Show which key each service would use, from where, and what it shadows",
		Long: `Show, for one service or all, the key a program using the SDK would get: redacted,
with its fingerprint, the source it comes from, the lower sources it shadows
(the usual answer to "why is the wrong key used?"), and when it expires if the
key says so. With --verify, the service is asked whether it accepts the key.

Exit code: 0 when every key found is valid (and accepted, with --verify); 3
when no key is found at all; 4 when a key is malformed or expired; 1 when a
source cannot be read (a broken config file); 9 when a key command did not
finish within --timeout; 5 when the service refuses the key; 6 when the
service cannot be reached.`,
		Example: `  apikit status
  apikit status hypedata --verify
  apikit status --json | jq '.services[] | {service, source, fingerprint}'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("%s: at most one service, %d given", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			list := services
			if len(args) == 1 {
				svc, err := lookupService(args[0])
				if err != nil {
					return err
				}
				list = []client.Service{svc}
			} else if a.baseURLFlag != "" {
				return usagef("--base-url applies to one service: name it (apikit status <service> --base-url ...)")
			}
			ctx, cancel := a.ctx(cmd)
			defer cancel()
			res := statusResult{}
			for _, svc := range list {
				rep := a.inspect(ctx, svc, a.profileFor(svc))
				if verify {
					a.verify(ctx, rep)
				}
				res.Services = append(res.Services, rep)
			}
			if err := a.emit(res, func(w io.Writer) { a.printStatus(w, res) }); err != nil {
				return err
			}
			return statusCode(res)
		},
	}
	cmd.Flags().BoolVar(&verify, "verify", false, "ask each service whether it accepts its key")
	return cmd
}

// statusCode is status's exit code: the worst thing it found.
func statusCode(res statusResult) error {
	worst, anyKey := exitOK, false
	for _, r := range res.Services {
		code := exitOK
		switch {
		case !r.found:
			continue
		case !r.Valid && r.err != nil:
			// As token would exit for the same source: 4 for a malformed or
			// expired key, 1 for a config file that cannot be read, 9 for a
			// key command that did not finish in time.
			code = exitCodeOf(r.err)
		case !r.Valid:
			code = exitBadKey
		case r.Verify != nil && !r.Verify.Accepted:
			code = r.Verify.code
		}
		anyKey = true
		worst = max(worst, code)
	}
	if !anyKey {
		return withCode(exitNoKey, silentError{"no key found"})
	}
	if worst != exitOK {
		return withCode(worst, silentError{"a problem was found"})
	}
	return nil
}

// silentError is an exit code whose reason the output already gave.
type silentError struct{ msg string }

func (e silentError) Error() string { return e.msg }

func (a *app) printStatus(w io.Writer, res statusResult) {
	for _, r := range res.Services {
		if !r.found {
			fmt.Fprintf(w, "%-11s no key (profile %q)", r.Service, r.Profile)
			if r.svc.EnvVar != "" {
				fmt.Fprintf(w, ": set %s, or run apikit login %s", r.svc.EnvVar, r.Service)
			}
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintf(w, "%-11s profile %q\n", r.Service, r.Profile)
		if r.Key != "" {
			env := ""
			if r.Environment != "" {
				env = ", " + r.Environment
			}
			fmt.Fprintf(w, "  key      %s (%s%s)\n", r.Key, r.Fingerprint, env)
		}
		fmt.Fprintf(w, "  from     %s\n", r.Source)
		if !r.Valid {
			fmt.Fprintf(w, "  PROBLEM  %s\n", scrub(r.Problem))
		}
		for _, s := range r.Shadows {
			what := "an unusable value"
			if s.Key != "" {
				what = s.Key + " (" + s.Fingerprint + ")"
			}
			fmt.Fprintf(w, "  shadows  %s: %s\n", s.Source, what)
		}
		if r.Valid {
			switch {
			case r.ExpiresAt != nil:
				fmt.Fprintf(w, "  expires  %s (%s; says %s)\n", r.ExpiresAt.Format(time.RFC3339), until(a.now(), *r.ExpiresAt), r.ExpiresFrom)
			case r.ExpiresFrom != "":
				fmt.Fprintf(w, "  expires  never (says %s)\n", r.ExpiresFrom)
			case r.Verify != nil:
				fmt.Fprintf(w, "  expires  not said by the key, nor by the service (an admin key may read its own record)\n")
			default:
				fmt.Fprintf(w, "  expires  not said by the key (with --verify, an admin key's expiry comes from the service)\n")
			}
		}
		if v := r.Verify; v != nil {
			switch {
			case v.Unverifiable:
				fmt.Fprintf(w, "  service  not asked: %s\n", v.Error)
			case v.Accepted && v.KeyID == "":
				fmt.Fprintf(w, "  service  accepts it at %s (%s)\n", v.BaseURL, v.CheckedWith)
			case v.Accepted:
				scopes := ""
				if len(v.Scopes) > 0 {
					scopes = ", scopes " + strings.Join(v.Scopes, " ")
				}
				fmt.Fprintf(w, "  service  accepts it at %s: key %s %q (%s%s)\n", v.BaseURL, v.KeyID, v.Name, v.Environment, scopes)
			default:
				fmt.Fprintf(w, "  service  %s\n", scrub(v.Error))
			}
		}
	}
}

// until says how far t is from now, in words.
func until(now, t time.Time) string {
	d := t.Sub(now).Round(time.Minute)
	if d < 0 {
		return "expired " + (-d).String() + " ago"
	}
	return "in " + d.String()
}
