package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/cmd/apikit/internal/termsafe"
	"github.com/apikit/apikit-go/credentials"
)

func newKeysCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "List, create, regenerate, revoke and rotate the service's keys",
		Long: `Manage a service's API keys through its key-management API, with the key the
SDK finds for the profile (it needs the admin scope where the service has
scopes).

A new key's secret is shown once, by the service and so by apikit: create,
regenerate and rotate print it when stdout is a terminal, or with
--show-secret; otherwise they refuse before asking the service, so that no
secret is made and lost. rotate --store keeps the new key where login would.`,
		Example: `  apikit keys list hypedata
  apikit keys create hypedata --name ci --env test --scope scrape
  apikit keys create hypedata --name ci --show-secret --json | jq -r .secret > ci.key
  apikit keys regenerate hypedata key_123
  apikit keys revoke hypedata key_123 --reason leaked
  apikit keys rotate hypedata key_123 --store`,
	}
	cmd.AddCommand(newKeysListCmd(a), newKeysCreateCmd(a), newKeysRegenerateCmd(a), newKeysRevokeCmd(a), newKeysRotateCmd(a))
	return cmd
}

// adminClient is a client of svc using the key the SDK finds for the
// profile.
func (a *app) adminClient(svc client.Service) (*client.Client, error) {
	profile := a.profileFor(svc)
	if svc.KeysPath == "" {
		return nil, usagef("%s has no key-management API", svc.Name)
	}
	return a.newClient(svc, profile, withLoginHint(svc, credentials.Chain(a.sources(svc, profile)...)))
}

// withKeys runs f with the service's key-management API, reached with the
// admin key the profile resolves to, and the command's context (its
// --timeout).
func (a *app) withKeys(cmd *cobra.Command, svc client.Service, f func(context.Context, *client.KeysService) error) error {
	c, err := a.adminClient(svc)
	if err != nil {
		return err
	}
	ctx, cancel := a.ctx(cmd)
	defer cancel()
	return f(ctx, c.Keys())
}

// keyView is a key as keys commands print it (never its secret).
type keyView struct {
	client.KeyInfo
	Secret string `json:"secret,omitempty"` // only a new key's, only when it may be shown
}

func newKeysListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "list <service>",
		Short:   "List the workspace's keys (redacted)",
		Example: "  apikit keys list hypedata\n  apikit keys list hypedata --json | jq -r '.[] | select(.revoked_at == null) | .id'",
		Args:    exactArgs("<service>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := lookupService(args[0])
			if err != nil {
				return err
			}
			return a.withKeys(cmd, svc, func(ctx context.Context, ks *client.KeysService) error {
				list, err := ks.List(ctx)
				if err != nil {
					return err
				}
				if list == nil {
					list = []client.KeyInfo{}
				}
				return a.emit(list, func(w io.Writer) {
					tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "ID\tNAME\tENV\tKEY\tCREATED\tLAST USED\tEXPIRES\tSTATE")
					// The fields are the server's words: each is escaped on its
					// own (termsafe.Lines keeps line breaks and tabs, the
					// table's layout), so a name cannot start a row or a column.
					t := termsafe.Text
					for _, k := range list {
						state := "active"
						if k.Revoked() {
							state = "revoked"
							if k.RevokedReason != "" {
								state += " (" + t(k.RevokedReason) + ")"
							}
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t(k.ID), t(k.Name), t(k.Environment), t(k.Redacted),
							day(&k.CreatedAt), day(k.LastUsedAt), day(k.ExpiresAt), state)
					}
					tw.Flush()
				})
			})
		},
	}
}

// day formats a time as a date, "-" when unset.
func day(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02")
}

// secretFlags are the flags of the commands that make a new secret.
type secretFlags struct {
	show bool
}

func (f *secretFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.show, "show-secret", false, "print the new secret even when stdout is no terminal (shown once)")
}

// mayShow reports whether the new secret may be printed: to a terminal, or
// when asked.
func (a *app) mayShow(f secretFlags) bool {
	if f.show {
		return true
	}
	o, ok := a.stdout.(*os.File)
	return ok && term.IsTerminal(int(o.Fd()))
}

// errSecretNowhere refuses to make a secret that would be shown nowhere.
func errSecretNowhere(what string) error {
	return usagef("%s would make a secret that is shown only once, and stdout is not a terminal: pass --show-secret to print it anyway", what)
}

// printNewKey prints a new key, its secret included when it may be shown.
func (a *app) printNewKey(nk *client.NewKey, show bool, verb string) error {
	v := keyView{KeyInfo: nk.KeyInfo}
	if show {
		v.Secret = nk.Secret.Reveal()
	}
	return a.emit(v, func(w io.Writer) {
		fmt.Fprintf(w, "%s key %s %q (%s, %s, %s)\n", verb, termsafe.Text(nk.ID), nk.Name, termsafe.Text(nk.Environment), nk.Secret, nk.Secret.Fingerprint())
		if show {
			fmt.Fprintf(w, "Secret (shown once, store it now):\n%s\n", nk.Secret.Reveal())
		}
	})
}

func newKeysCreateCmd(a *app) *cobra.Command {
	var sf secretFlags
	var p client.CreateKeyParams
	var expires string
	cmd := &cobra.Command{
		Use:   "create <service> --name <name>",
		Short: "Create a key; its secret is printed once",
		Example: `  apikit keys create hypedata --name ci --env test --scope scrape --scope serp
  apikit keys create hypedata --name nightly --expires 720h --show-secret --json`,
		Args: exactArgs("<service>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := lookupService(args[0])
			if err != nil {
				return err
			}
			if p.Name == "" {
				return usagef("--name is required: name the key after where it will be used")
			}
			if expires != "" {
				at, err := parseExpiry(expires, a.now())
				if err != nil {
					return err
				}
				p.ExpiresAt = &at
			}
			if !a.mayShow(sf) {
				return errSecretNowhere("keys create")
			}
			return a.withKeys(cmd, svc, func(ctx context.Context, ks *client.KeysService) error {
				nk, err := ks.Create(ctx, p)
				if err != nil {
					return err
				}
				return a.printNewKey(nk, true, "Created")
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.Name, "name", "", "the key's name (required)")
	f.StringVar(&p.Environment, "env", "", "live (default) or test")
	f.StringArrayVar(&p.Scopes, "scope", nil, "a scope the key holds (repeat; none: every scope)")
	f.StringArrayVar(&p.AllowedIPs, "allowed-ip", nil, "an IP or CIDR the key may be used from (repeat)")
	f.Int64Var(&p.CreditCeiling, "credit-ceiling", 0, "credits the key may spend (0: no limit)")
	f.IntVar(&p.RateLimitPerSecond, "rate-limit", 0, "requests per second (0: the service's default)")
	f.StringVar(&expires, "expires", "", "when the key expires: a duration from now (720h) or RFC 3339 time")
	sf.add(cmd)
	return cmd
}

// parseExpiry reads --expires: a duration from now or an RFC 3339 time.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < time.Second {
			// Expiry times are whole seconds: less than one would be now.
			return time.Time{}, usagef("--expires %s: give a duration of a second or more", s)
		}
		return now.Add(d).UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--expires %q: give a duration (720h) or an RFC 3339 time (2027-01-31T00:00:00Z)", s)
	}
	if !t.After(now) { // a key that is dead on arrival is a typo (the year), never what was meant
		return time.Time{}, usagef("--expires %s is not in the future; give a later time, or a duration from now (720h)", s)
	}
	return t, nil
}

func newKeysRegenerateCmd(a *app) *cobra.Command {
	var sf secretFlags
	cmd := &cobra.Command{
		Use:     "regenerate <service> <key-id>",
		Short:   "Issue a new secret for a key (the old one stops working at once)",
		Example: "  apikit keys regenerate hypedata key_123",
		Args:    exactArgs("<service>", "<key-id>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := keyArgs(args)
			if err != nil {
				return err
			}
			if !a.mayShow(sf) {
				return errSecretNowhere("keys regenerate")
			}
			return a.withKeys(cmd, svc, func(ctx context.Context, ks *client.KeysService) error {
				nk, err := ks.Regenerate(ctx, args[1])
				if err != nil {
					return err
				}
				return a.printNewKey(nk, true, "Regenerated")
			})
		},
	}
	sf.add(cmd)
	return cmd
}

// keyArgs reads <service> <key-id>, refusing a key id that is a key (a
// secret pasted in the wrong place would be sent in a URL).
func keyArgs(args []string) (client.Service, error) {
	svc, err := lookupService(args[0])
	if err != nil {
		return svc, err
	}
	switch id := args[1]; {
	case keyShaped(id):
		return svc, usagef("the key id looks like a key (a secret): give the key's id, as apikit keys list shows it")
	case strings.TrimSpace(id) == "":
		return svc, usagef("the key id is empty")
	}
	return svc, nil
}

func newKeysRevokeCmd(a *app) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     "revoke <service> <key-id>",
		Short:   "Revoke a key; the service refuses it from then on",
		Example: "  apikit keys revoke hypedata key_123 --reason \"leaked in CI logs\"",
		Args:    exactArgs("<service>", "<key-id>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := keyArgs(args)
			if err != nil {
				return err
			}
			return a.withKeys(cmd, svc, func(ctx context.Context, ks *client.KeysService) error {
				info, err := ks.Revoke(ctx, args[1], reason)
				if err != nil {
					return err
				}
				return a.emit(info, func(w io.Writer) {
					fmt.Fprintf(w, "Revoked key %s %q (%s).\n", termsafe.Text(info.ID), info.Name, termsafe.Text(info.Redacted))
				})
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, kept by the service and shown to whoever uses the key next")
	return cmd
}

// rotateResult is rotate's --json output.
type rotateResult struct {
	Old    client.KeyInfo `json:"old"`
	New    keyView        `json:"new"`
	Stored string         `json:"stored,omitempty"` // "keyring" or "config file"
	Polls  int            `json:"polls"`
}

func newKeysRotateCmd(a *app) *cobra.Command {
	var sf secretFlags
	var store, insecure bool
	var opts client.RotateOptions
	cmd := &cobra.Command{
		Use:   "rotate <service> <key-id>",
		Short: "Replace a key: create a twin, store or show it, wait for old traffic to stop, revoke",
		Long: `Replace a key with a new one of the same settings: create it; store it where
login would (--store) and/or print it (to a terminal, or --show-secret); wait
until the old key's usage stops growing; then revoke the old key. If a step
fails, no key has been revoked and both still work.`,
		Example: `  apikit keys rotate hypedata key_123 --store
  apikit keys rotate hypedata key_123 --show-secret --json --poll-interval 30s --timeout 30m`,
		Args: exactArgs("<service>", "<key-id>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := keyArgs(args)
			if err != nil {
				return err
			}
			show := a.mayShow(sf)
			if !show && !store {
				return usagef("keys rotate would make a secret that goes nowhere: pass --store (keep it where login would), or --show-secret")
			}
			return a.withKeys(cmd, svc, func(ctx context.Context, ks *client.KeysService) error {
				profile := a.profileFor(svc)
				res := rotateResult{}
				opts.Deploy = func(ctx context.Context, nk *client.NewKey) error {
					if !store {
						return nil
					}
					where, err := a.store(ctx, svc, profile, nk.Secret.Reveal(), insecure)
					res.Stored = where
					return err
				}
				out, err := ks.Rotate(ctx, args[1], opts)
				if err != nil {
					return err
				}
				res.Old, res.Polls = out.Old, out.Polls
				res.New = keyView{KeyInfo: out.New.KeyInfo}
				if show {
					res.New.Secret = out.New.Secret.Reveal()
				}
				return a.emit(res, func(w io.Writer) {
					fmt.Fprintf(w, "Rotated %s: new key %s (%s, %s); old key %s revoked after %d usage polls.\n",
						svc.Name, termsafe.Text(out.New.ID), out.New.Secret, out.New.Secret.Fingerprint(), termsafe.Text(out.Old.ID), out.Polls)
					if res.Stored != "" {
						fmt.Fprintf(w, "The new key is stored in the %s for profile %q.\n", res.Stored, profile)
					}
					if show {
						fmt.Fprintf(w, "Secret (shown once, store it now):\n%s\n", out.New.Secret.Reveal())
					}
				})
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&store, "store", false, "store the new key where login would, for the profile")
	f.BoolVar(&insecure, "insecure-storage", false, "with --store and no OS keyring, store the key in the config file")
	f.StringVar(&opts.Name, "name", "", "the new key's name (default: the old one's)")
	f.StringVar(&opts.Reason, "reason", "", "recorded on the old key when it is revoked (default: rotated)")
	f.DurationVar(&opts.PollInterval, "poll-interval", 5*time.Second, "first wait between usage polls of the old key")
	sf.add(cmd)
	return cmd
}
