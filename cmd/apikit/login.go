package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/cmd/apikit/internal/configfile"
	"github.com/apikit/apikit-go/cmd/apikit/internal/secretstore"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/keys"
)

// loginResult is login's --json output. It never holds the key.
type loginResult struct {
	Service     string    `json:"service"`
	Profile     string    `json:"profile"`
	Key         string    `json:"key"` // redacted
	Fingerprint string    `json:"fingerprint"`
	Storage     string    `json:"storage"` // "keyring" or "config file"
	ConfigFile  string    `json:"config_file"`
	Verified    *identity `json:"verified,omitempty"`
	ShadowedBy  string    `json:"shadowed_by,omitempty"`
}

// identity is who the service says a key is.
type identity struct {
	KeyID       string   `json:"key_id"`
	Name        string   `json:"name"`
	Environment string   `json:"environment"`
	Scopes      []string `json:"scopes,omitempty"`
	CheckedWith string   `json:"checked_with"`
	// CheckAssumed says CheckedWith is this SDK's assumption, not a key test
	// the service documents (Hypedata's /v1/whoami).
	CheckAssumed bool `json:"check_assumed,omitempty"`
}

func newLoginCmd(a *app) *cobra.Command {
	var insecure, verify bool
	cmd := &cobra.Command{
		Use:   "login <service>",
		Short: "Store a service's API key where the SDK finds it",
		Long: `Store a service's API key where the SDK finds it.

The key is read from stdin, or at a hidden prompt when stdin is a terminal;
never from an argument, so it stays out of shell history and process lists.
It is checked against the service's key format before anything is stored
(with --verify, the service is asked too).

It goes into the OS keyring when one answers within 3 s, and the config file's
profile gets an api_key_command that reads it back ("apikit token
--from-keyring"), so every program using the SDK finds it the usual way. With
no keyring, login refuses unless --insecure-storage is given: then the key is
written into the config file, which is kept at mode 0600.`,
		Example: `  apikit login hypedata                         # hidden prompt
  op read op://prod/hypedata/key | apikit login hypedata --profile prod
  apikit login hypedata --verify < ~/Downloads/hypedata-key.txt
  apikit login hypedata --insecure-storage      # no keyring: config file, mode 0600`,
		Args: exactArgs("<service>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := lookupService(args[0])
			if err != nil {
				return err
			}
			return a.login(cmd, svc, insecure, verify)
		},
	}
	cmd.Flags().BoolVar(&insecure, "insecure-storage", false, "with no OS keyring, write the key into the config file (mode 0600)")
	cmd.Flags().BoolVar(&verify, "verify", false, "ask the service whether it accepts the key before storing it")
	return cmd
}

func (a *app) login(cmd *cobra.Command, svc client.Service, insecure, verify bool) error {
	ctx, cancel := a.ctx(cmd)
	defer cancel()
	if verify && svc.VerifyPath == "" && svc.WhoamiPath == "" {
		return usagef("--verify: %s documents no key test, so there is nothing to ask; leave --verify out", svc.Name)
	}
	profile := a.profileFor(svc)
	format := formatOf(svc)
	raw, err := a.readSecret(fmt.Sprintf("Paste the %s API key (%s; the input is hidden): ", svc.Name, shapeOf(format)))
	if err != nil {
		return err
	}
	key, err := keys.Parse(raw, format)
	if err != nil {
		return withCode(exitBadKey, fmt.Errorf("nothing stored: %w", err))
	}
	res := loginResult{Service: svc.Name, Profile: profile, Key: key.String(), Fingerprint: key.Fingerprint()}
	if verify {
		c, err := a.newClient(svc, profile, credentials.Static(raw))
		if err != nil {
			return err
		}
		who, err := c.Verify(ctx)
		if errors.Is(err, client.ErrNoKeyTest) { // the SDK's assumed path is not there
			return usagef("nothing stored: --verify: %s documents no key test and has no %s (this SDK's assumption); leave --verify out", svc.Name, svc.WhoamiPath)
		}
		if err != nil {
			return withCode(exitCodeOf(err), fmt.Errorf("nothing stored: %w", err))
		}
		res.Verified = &identity{KeyID: who.KeyID, Name: who.Name, Environment: who.Environment, Scopes: who.Scopes, CheckedWith: who.CheckedWith, CheckAssumed: who.Assumed}
	}
	path, err := configPath()
	if err != nil {
		return err
	}
	res.ConfigFile = path
	res.Storage, err = a.store(ctx, svc, profile, raw, insecure)
	if err != nil {
		return err
	}
	// Which source now wins: a variable set in the shell shadows the file.
	r := credentials.Diagnose(ctx, format, a.sources(svc, profile)...)
	if r.Winner >= 0 && r.Entries[r.Winner].Source.Kind != credentials.KindConfig {
		res.ShadowedBy = r.Entries[r.Winner].Source.String()
	}
	return a.emit(res, func(w io.Writer) {
		where := "the OS keyring (the config file's api_key_command reads it)"
		if res.Storage != "keyring" {
			where = "the config file (mode 0600)"
		}
		fmt.Fprintf(w, "Stored %s key %s (%s) for profile %q in %s.\n", svc.Name, res.Key, res.Fingerprint, profile, where)
		fmt.Fprintf(w, "Config file: %s\n", path)
		if res.Verified != nil {
			if res.Verified.KeyID != "" {
				fmt.Fprintf(w, "The service accepts it: key %s %q (%s).\n", res.Verified.KeyID, res.Verified.Name, res.Verified.Environment)
			} else {
				fmt.Fprintf(w, "The service accepts it (%s).\n", res.Verified.CheckedWith)
			}
		}
		if res.ShadowedBy != "" {
			fmt.Fprintf(w, "Note: %s also holds a key and wins over the config file; unset it to use this one.\n", res.ShadowedBy)
		}
	})
}

// store keeps raw as svc's key for profile: in the OS keyring with the
// config file pointing at it, else (with insecure) in the config file. It
// returns where: "keyring" or "config file".
func (a *app) store(ctx context.Context, svc client.Service, profile, raw string, insecure bool) (string, error) {
	path, err := configPath()
	if err != nil {
		return "", err
	}
	if err := checkProfileName(profile); err != nil {
		return "", err
	}
	ringErr := a.keyring.Set(ctx, ringService(svc.Name), profile, raw)
	where := "keyring"
	switch {
	case ringErr == nil:
		argv := a.keyringCommand(svc.Name, profile)
		if strings.Contains(a.exe, "go-build") {
			fmt.Fprintf(a.stderr, "apikit: warning: this apikit is a temporary build (go run); the config file's api_key_command names it and will fail once it is gone: install it (go install ./cmd/apikit) and log in again\n")
		}
		err = configfile.Update(ctx, path, func(d *configfile.Doc) error {
			d.Delete(profile, svc.Name, fieldAPIKey)
			d.SetList(profile, svc.Name, fieldKeyCommand, argv)
			return nil
		})
	case !errors.Is(ringErr, secretstore.ErrUnavailable):
		return "", fmt.Errorf("nothing stored: the keyring refused the key: %w", ringErr)
	case !insecure:
		return "", withCode(exitNoKeyring, fmt.Errorf("nothing stored: %w; rerun with --insecure-storage to keep the key in %s (mode 0600), or keep it in a password manager and set api_key_command (apikit config set %s.api_key_command -- <program> <args>...)", ringErr, path, svc.Name))
	default:
		where = "config file"
		err = configfile.Update(ctx, path, func(d *configfile.Doc) error {
			d.Delete(profile, svc.Name, fieldKeyCommand)
			d.Set(profile, svc.Name, fieldAPIKey, raw)
			return nil
		})
	}
	if err != nil {
		return "", fmt.Errorf("the key is valid but the config file was not updated: %w", err)
	}
	return where, nil
}

// shapeOf describes what a key of f looks like, for the prompt.
func shapeOf(f *keys.Format) string {
	if len(f.Prefixes) == 0 {
		return f.Name + " key"
	}
	s := ""
	for i, p := range f.Prefixes {
		if i > 0 {
			s += " or "
		}
		s += p.Text + "…"
	}
	return s
}
