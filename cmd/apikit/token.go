package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/apikit/apikit-go/cmd/apikit/internal/secretstore"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/keys"
)

// tokenResult is token's --json output: the one JSON output that holds a
// key, because printing it is the command's job.
type tokenResult struct {
	Service     string `json:"service"`
	Profile     string `json:"profile"`
	Source      string `json:"source"`
	Fingerprint string `json:"fingerprint"`
	Token       string `json:"token"`
}

func newTokenCmd(a *app) *cobra.Command {
	var fromKeyring bool
	cmd := &cobra.Command{
		Use:   "token <service>",
		Short: "Print the key the SDK would use, alone, for scripts",
		Long: `Print the key the SDK would use for a service, alone on stdout, for scripts
and api_key_command. The key is found as the SDK finds it (environment
variable, ./.env, config file) and checked against the service's format.

--from-keyring reads only the OS keyring entry login made; it is what the
api_key_command that login writes runs.`,
		Example: `  export HYPEDATA_API_KEY="$(apikit token hypedata)"
  curl -H "Authorization: Bearer $(apikit token hypedata)" https://api.hypedata.io/v1/whoami
  apikit token hypedata --from-keyring --profile prod`,
		Args: exactArgs("<service>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := lookupService(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := a.ctx(cmd)
			defer cancel()
			profile := a.profileFor(svc)
			var cred credentials.Credential
			if fromKeyring {
				raw, err := a.keyring.Get(ctx, ringService(svc.Name), profile)
				switch {
				case errors.Is(err, secretstore.ErrNotFound):
					return withCode(exitNoKey, fmt.Errorf("the keyring has no %s key for profile %q; run apikit login %s --profile %s", svc.Name, profile, svc.Name, profile))
				case err != nil:
					return withCode(exitNoKeyring, fmt.Errorf("reading the %s key of profile %q: %w", svc.Name, profile, err))
				}
				k, err := keys.Parse(raw, formatOf(svc))
				if err != nil {
					return withCode(exitBadKey, fmt.Errorf("the keyring's %s key for profile %q: %w", svc.Name, profile, err))
				}
				cred = credentials.Credential{Key: k, Source: credentials.Source{Kind: "keyring", Detail: ringService(svc.Name) + " " + profile}}
			} else {
				cred, err = validated(svc, credentials.Chain(a.sources(svc, profile)...)).Retrieve(ctx)
				if err != nil {
					return err
				}
			}
			return a.emit(tokenResult{Service: svc.Name, Profile: profile, Source: cred.Source.String(),
				Fingerprint: cred.Key.Fingerprint(), Token: cred.Key.Reveal()}, func(w io.Writer) {
				fmt.Fprintln(w, cred.Key.Reveal())
			})
		},
	}
	cmd.Flags().BoolVar(&fromKeyring, "from-keyring", false, "read only the OS keyring entry that login made")
	return cmd
}
