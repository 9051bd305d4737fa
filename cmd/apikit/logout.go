package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/apikit/apikit-go/cmd/apikit/internal/configfile"
	"github.com/apikit/apikit-go/cmd/apikit/internal/secretstore"
	"github.com/apikit/apikit-go/credentials"
)

// logoutResult is logout's --json output.
type logoutResult struct {
	Service    string   `json:"service"`
	Profile    string   `json:"profile"`
	Removed    []string `json:"removed"`
	ConfigFile string   `json:"config_file"`
	Notes      []string `json:"notes,omitempty"`
}

func newLogoutCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "logout <service>",
		Short: "Remove the key login stored for a service",
		Long: `Remove the key login stored for a service and profile: the keyring entry, and
the config file's api_key (or the api_key_command login wrote). An
api_key_command of your own and the base_url stay. Keys in environment
variables or .env are yours to remove; logout says when one remains.`,
		Example: `  apikit logout hypedata
  apikit logout hypedata --profile prod`,
		Args: exactArgs("<service>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := lookupService(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := a.ctx(cmd)
			defer cancel()
			profile := a.profileFor(svc)
			path, err := configPath()
			if err != nil {
				return err
			}
			res := logoutResult{Service: svc.Name, Profile: profile, ConfigFile: path, Removed: []string{}}
			switch err := a.keyring.Delete(ctx, ringService(svc.Name), profile); {
			case err == nil:
				res.Removed = append(res.Removed, "keyring entry")
			case errors.Is(err, secretstore.ErrNotFound):
			default:
				res.Notes = append(res.Notes, "the keyring could not be asked ("+err.Error()+"); an entry may remain there")
			}
			d, exists, err := configfile.Load(path)
			if err != nil {
				return err
			}
			if exists {
				_, hasKey := d.Get(profile, svc.Name, "api_key")
				cmdv, hasCmd := d.Get(profile, svc.Name, "api_key_command")
				ours := hasCmd && isKeyringCommand(cmdv.List)
				if hasKey || ours {
					err := configfile.Update(ctx, path, func(d *configfile.Doc) error {
						if d.Delete(profile, svc.Name, "api_key") {
							res.Removed = append(res.Removed, "config file api_key")
						}
						if v, ok := d.Get(profile, svc.Name, "api_key_command"); ok && isKeyringCommand(v.List) {
							d.Delete(profile, svc.Name, "api_key_command")
							res.Removed = append(res.Removed, "config file api_key_command (keyring)")
						}
						return nil
					})
					if err != nil {
						return err
					}
				}
				if hasCmd && !ours {
					res.Notes = append(res.Notes, "the profile's own api_key_command was left in place; remove it with apikit config unset "+svc.Name+".api_key_command")
				}
			}
			r := credentials.Diagnose(ctx, formatOf(svc), a.sources(svc, profile)...)
			if r.Winner >= 0 {
				res.Notes = append(res.Notes, fmt.Sprintf("a key is still found: %s", r.Entries[r.Winner].Source))
			}
			return a.emit(res, func(w io.Writer) {
				if len(res.Removed) == 0 {
					fmt.Fprintf(w, "Nothing stored for %s in profile %q.\n", svc.Name, profile)
				} else {
					fmt.Fprintf(w, "Removed the %s key of profile %q: %s.\n", svc.Name, profile, joinAnd(res.Removed))
				}
				for _, n := range res.Notes {
					fmt.Fprintf(w, "Note: %s.\n", n)
				}
			})
		},
	}
}

// joinAnd joins items as "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	out := ""
	for i, s := range items[:len(items)-1] {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out + " and " + items[len(items)-1]
}
