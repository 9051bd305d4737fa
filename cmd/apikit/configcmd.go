package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikit/apikit-go/cmd/apikit/internal/configfile"
	"github.com/apikit/apikit-go/internal/suggest"
	"github.com/apikit/apikit-go/keys"
)

// The settings a service section may hold (the SDK's ServiceConfig).
const (
	fieldAPIKey     = "api_key"
	fieldKeyCommand = "api_key_command"
	fieldBaseURL    = "base_url"
)

// configSetting is one setting as config get and list show it. An api_key
// is shown redacted, with its fingerprint.
type configSetting struct {
	Profile     string   `json:"profile"`
	Service     string   `json:"service"`
	Field       string   `json:"field"`
	Value       string   `json:"value,omitempty"`
	List        []string `json:"list,omitempty"`
	Fingerprint string   `json:"fingerprint,omitempty"`
}

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Read and edit the config file (comments and order are kept)",
		Long: `Read and edit the SDK's config file ($APIKIT_CONFIG_FILE, else <user config
dir>/apikit/config.yaml). Settings are named <service>.<field>, in the profile
given by --profile (else $APIKIT_PROFILE, else "default"); the fields are
api_key, api_key_command and base_url.

Every write is atomic and made under a file lock, keeps your comments and the
order of your keys, and leaves the file at mode 0600. An api_key is never
taken on the command line (use apikit login) and is shown redacted.`,
		Example: `  apikit config list
  apikit config get hypedata.base_url
  apikit config set hypedata.base_url https://staging.hypedata.io --profile staging
  apikit config set hypedata.api_key_command -- op read op://prod/hypedata/key
  apikit config unset hypedata.base_url`,
	}
	cmd.AddCommand(newConfigGetCmd(a), newConfigSetCmd(a), newConfigUnsetCmd(a), newConfigListCmd(a))
	return cmd
}

// parseSetting splits "<service>.<field>".
func parseSetting(s string) (service, field string, err error) {
	i := strings.LastIndexByte(s, '.')
	if keyShaped(s) {
		return "", "", usagef("the setting looks like a key; name a setting as <service>.<field>, e.g. hypedata.base_url (a key goes through apikit login)")
	}
	if i <= 0 {
		return "", "", usagef("name a setting as <service>.<field>, e.g. hypedata.base_url; fields: %s, %s, %s", fieldAPIKey, fieldKeyCommand, fieldBaseURL)
	}
	service, field = strings.ToLower(s[:i]), s[i+1:]
	if !serviceNameRE.MatchString(service) {
		return "", "", usagef("%q is not a service name (lower-case letters, digits, _ . -)", service)
	}
	switch field {
	case fieldAPIKey, fieldKeyCommand, fieldBaseURL:
		return service, field, nil
	}
	msg := fmt.Sprintf("unknown field %q; fields: %s, %s, %s", field, fieldAPIKey, fieldKeyCommand, fieldBaseURL)
	if n := suggest.Nearest(field, []string{fieldAPIKey, fieldKeyCommand, fieldBaseURL}); n != "" {
		msg += "; did you mean " + n + "?"
	}
	return "", "", withCode(exitUsage, errors.New(msg))
}

// shown is a setting as it may be printed.
func shown(profile, service, field string, v configfile.Value) configSetting {
	s := configSetting{Profile: profile, Service: service, Field: field}
	switch {
	case v.IsList: // api_key_command: a hand-written one may hold a key as an argument
		s.List = make([]string, len(v.List))
		for i, arg := range v.List {
			s.List[i] = scrub(arg)
		}
	case field == fieldAPIKey:
		k, err := keys.Parse(v.Scalar)
		if err != nil {
			k, err = keys.Parse(v.Scalar, keys.Opaque)
		}
		if err == nil {
			s.Value, s.Fingerprint = k.String(), k.Fingerprint()
		} else {
			s.Value = "(set, not shown)"
		}
	default:
		s.Value = scrub(v.Scalar)
	}
	return s
}

func (s configSetting) text() string {
	if s.List != nil {
		return "[" + strings.Join(s.List, ", ") + "]"
	}
	if s.Fingerprint != "" {
		return s.Value + " (" + s.Fingerprint + ")"
	}
	return s.Value
}

func newConfigGetCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "get <service>.<field>",
		Short:   "Print one setting (an api_key redacted)",
		Example: "  apikit config get hypedata.base_url --profile prod",
		Args:    exactArgs("<service>.<field>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			service, field, err := parseSetting(args[0])
			if err != nil {
				return err
			}
			path, err := configPath()
			if err != nil {
				return err
			}
			d, _, err := configfile.Load(path)
			if err != nil {
				return err
			}
			profile := a.configProfile()
			v, ok := d.Get(profile, service, field)
			if !ok {
				return fmt.Errorf("%s.%s is not set in profile %q of %s", service, field, profile, path)
			}
			s := shown(profile, service, field, v)
			return a.emit(s, func(w io.Writer) { fmt.Fprintln(w, s.text()) })
		},
	}
}

func newConfigSetCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "set <service>.<field> <value>...",
		Short: "Set base_url or api_key_command (an api_key goes through apikit login)",
		Long: `Set a setting. base_url takes one URL; api_key_command takes the program and its
arguments (put -- before them so that their flags are not read as apikit's;
apikit's own flags, such as --profile, go before --). A base_url must be
https, except to localhost and loopback addresses.
api_key is refused: a key on a command line ends up in shell history; use
apikit login, which reads it from stdin or a hidden prompt.`,
		Example: `  apikit config set hypedata.base_url https://staging.hypedata.io
  apikit config set hypedata.api_key_command -- op read op://prod/hypedata/key`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("usage: %s", cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			service, field, err := parseSetting(args[0])
			if err != nil {
				return err
			}
			// A section one or two letters from a built-in service is a typo
			// that nothing would read (doctor flags it); refuse to write it.
			if _, err := lookupService(service); err != nil {
				if n := suggest.Nearest(service, serviceNames()); n != "" {
					return usagef("no service is called %q, so nothing would read %s; did you mean %s.%s?", service, args[0], n, field)
				}
			}
			values := args[1:]
			if err := checkAfterDash(cmd, field, values); err != nil {
				return err
			}
			if field == fieldAPIKey {
				return usagef("api_key is not taken on the command line, where shell history keeps it; run apikit login %s (it reads the key from stdin or a hidden prompt)", service)
			}
			for _, v := range values {
				if keyShaped(v) {
					return usagef("a value looks like a key; keys are not taken on the command line: run apikit login %s", service)
				}
			}
			if field == fieldBaseURL {
				if len(values) != 1 {
					return usagef("base_url takes one URL, %d given", len(values))
				}
				if err := checkBaseURL(values[0]); err != nil {
					return withCode(exitUsage, fmt.Errorf("base_url: %w", err))
				}
			}
			ctx, cancel := a.ctx(cmd)
			defer cancel()
			path, err := configPath()
			if err != nil {
				return err
			}
			profile := a.configProfile()
			if err := checkProfileName(profile); err != nil {
				return err
			}
			err = configfile.Update(ctx, path, func(d *configfile.Doc) error {
				if field == fieldKeyCommand {
					if _, ok := d.Get(profile, service, fieldAPIKey); ok {
						return withCode(exitUsage, fmt.Errorf("profile %q, %s holds an api_key; the SDK refuses both: run apikit logout %s first", profile, service, service))
					}
					d.SetList(profile, service, field, values)
					return nil
				}
				d.Set(profile, service, field, values[0])
				return nil
			})
			if err != nil {
				return err
			}
			s := configSetting{Profile: profile, Service: service, Field: field}
			if field == fieldKeyCommand {
				s.List = values
			} else {
				s.Value = values[0]
			}
			return a.emit(s, func(w io.Writer) {
				fmt.Fprintf(w, "Set %s.%s in profile %q of %s: %s\n", service, field, profile, path, s.text())
			})
		},
	}
}

// checkBaseURL checks a base URL as the SDK will: absolute http(s), a host,
// no user info, query or fragment, and plain HTTP only to this machine (a
// loopback test server), which is all the SDK accepts from the config file.
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("scheme %q: want https", u.Scheme)
	case u.Scheme == "http" && u.Host != "" && !loopback(u.Hostname()):
		return fmt.Errorf("plain HTTP to %s, which the SDK refuses (the key would cross the network in clear text); use https://%s%s (http:// is for localhost and loopback addresses only)",
			u.Hostname(), u.Host, u.Path)
	case u.Host == "":
		return errors.New("no host")
	case u.User != nil:
		return errors.New("user info in the URL: a credential belongs in apikit login")
	case u.RawQuery != "" || u.Fragment != "":
		return errors.New("a query or fragment: the base URL is a root")
	}
	return nil
}

// apikitFlags are the flags every apikit command reads (the root's
// persistent flags).
var apikitFlags = []string{"--profile", "--json", "--timeout", "--base-url"}

// checkAfterDash refuses a command line whose words after "--" would be
// stored somewhere other than where the user meant. After "--", words are
// values, never apikit's flags: for api_key_command they are the command's
// arguments, so an apikit flag there (--profile prod) would silently become
// part of the command, in another profile than the one named; unless
// --profile was given before "--" (then the user follows the rule, and the
// command may take a --profile of its own), that is refused. Another field
// takes no words that look like flags at all.
func checkAfterDash(cmd *cobra.Command, field string, values []string) error {
	dash := cmd.ArgsLenAtDash() // index in args of the first word after "--"
	if dash < 0 {
		return nil
	}
	after := values[max(dash-1, 0):]
	for _, v := range after {
		if !strings.HasPrefix(v, "-") {
			continue
		}
		if field != fieldKeyCommand {
			return usagef("%q after -- looks like a flag, and %s takes none: only api_key_command takes words after -- (its command's arguments); put apikit's flags before --", v, field)
		}
		name, _, _ := strings.Cut(v, "=")
		for _, f := range apikitFlags {
			if name == f && !cmd.Flags().Changed("profile") {
				return usagef("%s after -- would be stored as an argument of the command, not read by apikit; put apikit's flags before --: apikit config set %s <setting> -- <command>... (if the command takes %s itself, give apikit's --profile before -- and everything after -- is the command's)",
					f, f+" ...", f)
			}
		}
	}
	return nil
}

func newConfigUnsetCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "unset <service>.<field>",
		Short:   "Remove a setting (an emptied service or profile goes too)",
		Example: "  apikit config unset hypedata.base_url --profile staging",
		Args:    exactArgs("<service>.<field>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			service, field, err := parseSetting(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := a.ctx(cmd)
			defer cancel()
			path, err := configPath()
			if err != nil {
				return err
			}
			profile := a.configProfile()
			found := false
			err = configfile.Update(ctx, path, func(d *configfile.Doc) error {
				found = d.Delete(profile, service, field)
				return nil
			})
			if err != nil {
				return err
			}
			res := map[string]any{"profile": profile, "service": service, "field": field, "removed": found}
			return a.emit(res, func(w io.Writer) {
				if found {
					fmt.Fprintf(w, "Removed %s.%s from profile %q.\n", service, field, profile)
				} else {
					fmt.Fprintf(w, "%s.%s was not set in profile %q.\n", service, field, profile)
				}
			})
		},
	}
}

// configList is config list's --json output.
type configList struct {
	Path     string          `json:"path"`
	Exists   bool            `json:"exists"`
	Settings []configSetting `json:"settings"`
}

func newConfigListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "Print every setting of every profile (api_key redacted)",
		Example: "  apikit config list\n  apikit config list --json | jq '.settings[] | select(.profile==\"prod\")'",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := configPath()
			if err != nil {
				return err
			}
			d, exists, err := configfile.Load(path)
			if err != nil {
				return err
			}
			res := configList{Path: path, Exists: exists, Settings: []configSetting{}}
			for _, p := range d.Profiles() {
				for _, s := range d.Services(p) {
					for _, f := range d.Fields(p, s) {
						v, _ := d.Get(p, s, f)
						res.Settings = append(res.Settings, shown(p, s, f, v))
					}
				}
			}
			return a.emit(res, func(w io.Writer) {
				if !exists {
					fmt.Fprintf(w, "# %s does not exist yet (apikit login or config set creates it)\n", path)
					return
				}
				fmt.Fprintf(w, "# %s\n", path)
				for _, s := range res.Settings {
					fmt.Fprintf(w, "%s  %s.%s = %s\n", s.Profile, s.Service, s.Field, s.text())
				}
			})
		},
	}
}
