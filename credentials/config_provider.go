package credentials

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
)

// ConfigFile yields service's key from profile in the config file at path
// ("" path: DefaultConfigPath; "" profile: DefaultProfile, both read at each
// Retrieve). The key is the section's api_key, or the output of its
// api_key_command (run as Command runs it, with DefaultCommandTimeout).
//
// A missing file, profile or section is a place with no key. A file that
// cannot be read or parsed, that other users can change (see LoadConfig:
// whatever it holds, before any command in it runs), that is too open for
// the literal key it holds, or whose key or command is bad is a
// *SourceError naming the file, profile and service.
func ConfigFile(path, profile, service string) Provider {
	return configFile{path: path, profile: profile, service: service, read: readConfigFile}
}

// configFile is the Provider ConfigFile returns; read is a seam for tests.
type configFile struct {
	path, profile, service string
	read                   readFunc
}

// Retrieve reads the file now; see ConfigFile.
func (c configFile) Retrieve(ctx context.Context) (Credential, error) {
	p := c.path
	if p == "" {
		var err error
		if p, err = DefaultConfigPath(); err != nil {
			return Credential{}, notFound(Source{Kind: KindConfig}, err.Error(), "set APIKIT_CONFIG_FILE")
		}
	}
	p = absPath(p)
	prof := c.profile
	if prof == "" {
		prof = DefaultProfile()
	}
	src := Source{Kind: KindConfig, Detail: fmt.Sprintf("%s, profile %q, %s", p, prof, c.service)}
	fix := fmt.Sprintf("add api_key under profiles.%s.%s in %s", prof, c.service, p)
	if err := ctx.Err(); err != nil {
		return Credential{}, sourceError(src, fmt.Errorf("not read: %w", err))
	}
	cfg, err := loadConfig(p, c.read)
	if errors.Is(err, fs.ErrNotExist) {
		return Credential{}, notFound(src, "no such file", fix)
	}
	if err != nil {
		return Credential{}, sourceError(src, err)
	}
	if _, ok := cfg.Profiles[prof]; !ok {
		return Credential{}, notFound(src, fmt.Sprintf("no such profile %q (profiles: %s)", prof, cfg.profileNames()), fix)
	}
	sc, ok := cfg.Service(prof, c.service)
	if !ok {
		return Credential{}, notFound(src, fmt.Sprintf("no %s section in profile %q", c.service, prof), fix)
	}
	switch {
	case sc.APIKey != "":
		return found(sc.APIKey, src)
	case len(sc.APIKeyCommand) > 0:
		out, shown, err := runCommand(ctx, sc.APIKeyCommand, DefaultCommandTimeout)
		csrc := Source{Kind: KindConfig, Detail: src.Detail + " (api_key_command " + shown + ")"}
		if err != nil {
			return Credential{}, sourceError(csrc, err)
		}
		return found(out, csrc)
	}
	return Credential{}, notFound(src, "the section has no api_key or api_key_command", fix)
}
