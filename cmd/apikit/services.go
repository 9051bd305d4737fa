package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/internal/suggest"
	"github.com/apikit/apikit-go/keys"
)

// services are the built-in profiles apikit knows.
var services = []client.Service{client.Hypedata, client.Hypersave, client.HopX, client.HyperSync, client.Web3Storage}

func serviceNames() []string {
	names := make([]string, len(services))
	for i, s := range services {
		names[i] = s.Name
	}
	return names
}

// lookupService returns the built-in service called name.
func lookupService(name string) (client.Service, error) {
	for _, s := range services {
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
	}
	shown := fmt.Sprintf("%q", name)
	if keyShaped(name) || len(name) > 32 {
		shown = "(not shown: it looks like a key; a key is never an argument, pipe it to apikit login)"
	}
	msg := fmt.Sprintf("unknown service %s; known: %s", shown, strings.Join(serviceNames(), ", "))
	if s := suggest.Nearest(strings.ToLower(name), serviceNames()); s != "" && !keyShaped(name) {
		msg += "; did you mean " + s + "?"
	}
	return client.Service{}, withCode(exitUsage, errors.New(msg))
}

// profileFor is the config profile for svc: --profile, else the service's
// own variable (HOPX_PROFILE), else $APIKIT_PROFILE, else "default" — the
// SDK's order.
func (a *app) profileFor(svc client.Service) string {
	if a.profile != "" {
		return a.profile
	}
	if svc.ProfileEnvVar != "" {
		if p := os.Getenv(svc.ProfileEnvVar); p != "" {
			return p
		}
	}
	return credentials.DefaultProfile()
}

// configProfile is the profile for a command that names no built-in
// service.
func (a *app) configProfile() string {
	if a.profile != "" {
		return a.profile
	}
	return credentials.DefaultProfile()
}

// sources are where the SDK looks for svc's key, in its order, with the
// profile chosen here.
func (a *app) sources(svc client.Service, profile string) []credentials.Provider {
	var ps []credentials.Provider
	if svc.EnvVar != "" {
		ps = append(ps, credentials.Env(svc.EnvVar), credentials.DotEnv("", svc.EnvVar))
	}
	return append(ps, credentials.ConfigFile("", profile, svc.Name))
}

// configPath is the config file's path, as the SDK computes it.
func configPath() (string, error) {
	p, err := credentials.DefaultConfigPath()
	if err != nil {
		return "", fmt.Errorf("finding the config file: %w", err)
	}
	return p, nil
}

// resolveBaseURL is the API root for svc: --base-url, else $<SERVICE>_BASE_URL,
// else the profile's base_url, else the service's own; and where it came
// from.
func (a *app) resolveBaseURL(svc client.Service, profile string) (u, from string, err error) {
	if a.baseURLFlag != "" {
		return a.baseURLFlag, "--base-url", nil
	}
	if svc.BaseURLEnvVar != "" {
		if v := os.Getenv(svc.BaseURLEnvVar); v != "" {
			return v, "env " + svc.BaseURLEnvVar, nil
		}
	}
	path, err := configPath()
	if err != nil {
		return "", "", err
	}
	cfg, err := credentials.LoadConfig(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", "", err
	default:
		if sc, ok := cfg.Service(profile, svc.Name); ok && sc.BaseURL != "" {
			return sc.BaseURL, fmt.Sprintf("config file %s, profile %q", path, profile), nil
		}
	}
	return svc.BaseURL, "the service's default", nil
}

// newClient returns a client of svc for profile whose key comes from p.
func (a *app) newClient(svc client.Service, profile string, p credentials.Provider, opts ...client.Option) (*client.Client, error) {
	u, _, err := a.resolveBaseURL(svc, profile)
	if err != nil {
		return nil, err
	}
	all := append([]client.Option{client.WithService(svc), client.WithCredentials(p), client.WithBaseURL(u)}, opts...)
	c, err := client.New(all...)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return c, nil
}

// validated wraps the SDK's search for svc so that its key is checked
// against the service's format, as a client would check it.
func validated(svc client.Service, p credentials.Provider) credentials.Provider {
	return credentials.Validated(withLoginHint(svc, p), formatOf(svc))
}

// withLoginHint adds apikit's own fix to the SDK's "no API key found" (which
// lists the places it looked and what to set in each): run apikit login.
func withLoginHint(svc client.Service, p credentials.Provider) credentials.Provider {
	return credentials.ProviderFunc(func(ctx context.Context) (credentials.Credential, error) {
		cred, err := p.Retrieve(ctx)
		if errors.Is(err, apierrors.ErrMissingCredentials) {
			return cred, fmt.Errorf("%w, or run apikit login %s", err, svc.Name)
		}
		return cred, err
	})
}

// formatOf is svc's key format (Opaque when it has none).
func formatOf(svc client.Service) *keys.Format {
	if svc.KeyFormat == nil {
		return keys.Opaque
	}
	return svc.KeyFormat
}

// ringService is the keyring's service name for svc's keys; the account is
// the profile.
func ringService(svc string) string { return "apikit:" + svc }

// keyringCommand is the api_key_command login writes: this program, reading
// the keyring.
func (a *app) keyringCommand(svc, profile string) []string {
	return []string{a.exe, "token", "--from-keyring", svc, "--profile", profile}
}

// isKeyringCommand reports whether argv is an api_key_command login wrote.
func isKeyringCommand(argv []string) bool {
	if len(argv) < 4 || argv[1] != "token" {
		return false
	}
	for _, a := range argv[2:] {
		if a == "--from-keyring" {
			return true
		}
	}
	return false
}

// profileNameRE is what a profile name apikit writes may look like.
var profileNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// checkProfileName refuses a profile name that cannot be one (and never
// repeats one that looks like a key: a key passed to --profile by mistake).
func checkProfileName(p string) error {
	if keyShaped(p) {
		return usagef("the profile name looks like a key; name the profile (letters, digits, _ . -), and give the key to apikit login on stdin")
	}
	if !profileNameRE.MatchString(p) {
		return usagef("profile %q: use 1 to 64 letters, digits, _ . or -", p)
	}
	return nil
}

// serviceNameRE is what a service section's name may be in config commands
// (custom services too).
var serviceNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,31}$`)
