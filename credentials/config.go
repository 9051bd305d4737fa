package credentials

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is the parsed config file.
type Config struct {
	// Profiles maps a profile name to its services' settings.
	Profiles map[string]map[string]ServiceConfig `yaml:"profiles"`

	path string
}

// ServiceConfig is one service's section of a profile.
type ServiceConfig struct {
	// APIKey is the key itself. The file must then be private (chmod 600).
	APIKey string `yaml:"api_key"`
	// APIKeyCommand is a program and its arguments (no shell) whose output
	// is the key, e.g. [op, read, "op://prod/hypedata/key"].
	APIKeyCommand []string `yaml:"api_key_command"`
	// BaseURL overrides the service's default API root.
	BaseURL string `yaml:"base_url"`
}

// DefaultConfigPath is $APIKIT_CONFIG_FILE, else
// <os.UserConfigDir()>/apikit/config.yaml.
func DefaultConfigPath() (string, error) {
	if p := os.Getenv("APIKIT_CONFIG_FILE"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory (%v); set APIKIT_CONFIG_FILE", err)
	}
	return filepath.Join(dir, "apikit", "config.yaml"), nil
}

// DefaultProfile is $APIKIT_PROFILE, else "default".
func DefaultProfile() string {
	if p := os.Getenv("APIKIT_PROFILE"); p != "" {
		return p
	}
	return "default"
}

// LoadConfig reads and strictly parses the config file at path ("" means
// DefaultConfigPath). Unknown fields, wrong types and bad YAML are errors
// with the file and line; an empty file is an empty Config. A missing file
// is an error matching fs.ErrNotExist.
func LoadConfig(path string) (*Config, error) {
	if path == "" {
		p, err := DefaultConfigPath()
		if err != nil {
			return nil, err
		}
		path = p
	}
	b, info, err := readFile(path)
	if errors.Is(err, errNoFile) {
		return nil, fmt.Errorf("config file %s: %w", path, os.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	cfg, err := parseConfig(b, path)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 && cfg.hasLiteralKey() {
		return nil, fmt.Errorf("config file %s holds a literal api_key and can be read by other users (mode %04o); make it private: chmod 600 %s (or use api_key_command)",
			path, info.Mode().Perm(), path)
	}
	return cfg, nil
}

// parseConfig decodes b strictly; its errors never quote the file's values.
func parseConfig(b []byte, path string) (*Config, error) {
	cfg := &Config{path: path}
	if len(bytes.TrimSpace(b)) == 0 {
		return cfg, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := decodeSafely(dec, cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, nil // only comments
		}
		return nil, fmt.Errorf("config file %s: %w", path, sanitizeYAMLError(err))
	}
	for pname, services := range cfg.Profiles {
		for sname, sc := range services {
			if sc.APIKey != "" && len(sc.APIKeyCommand) > 0 {
				return nil, fmt.Errorf("config file %s: profile %q, %s: both api_key and api_key_command are set; keep one", path, pname, sname)
			}
			if sc.APIKeyCommand != nil && len(sc.APIKeyCommand) == 0 {
				return nil, fmt.Errorf("config file %s: profile %q, %s: api_key_command is empty; give the program and its arguments as a list", path, pname, sname)
			}
		}
	}
	return cfg, nil
}

func decodeSafely(dec *yaml.Decoder, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("not a valid config file")
		}
	}()
	return dec.Decode(v)
}

var (
	yamlLine    = regexp.MustCompile(`line (\d+)`)
	yamlField   = regexp.MustCompile(`field (\S+) not found in type`)
	yamlIntoTyp = regexp.MustCompile(`into (\S+)`)
)

// sanitizeYAMLError rewrites a yaml.v3 error (whose text can quote the
// offending value, which may be a key) as "line N: what is wrong".
func sanitizeYAMLError(err error) error {
	var lines []string
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, m := range msgs {
		where := ""
		if l := yamlLine.FindStringSubmatch(m); l != nil {
			where = "line " + l[1] + ": "
		}
		switch {
		case yamlField.MatchString(m):
			name := yamlField.FindStringSubmatch(m)[1]
			if len(name) > 32 {
				name = name[:8] + "…"
			}
			lines = append(lines, where+"unknown field "+name+" (known: profiles, and per service api_key, api_key_command, base_url)")
		case strings.Contains(m, "cannot unmarshal"):
			want := "another type"
			if t := yamlIntoTyp.FindStringSubmatch(m); t != nil {
				want = friendlyType(t[1])
			}
			lines = append(lines, where+"wrong type: want "+want)
		case strings.Contains(m, "already defined"), strings.Contains(m, "already set"):
			lines = append(lines, where+"a key is repeated")
		default:
			lines = append(lines, where+"not valid YAML")
		}
	}
	if len(lines) > maxYAMLProblems {
		lines = append(lines[:maxYAMLProblems], fmt.Sprintf("and %d more problems", len(lines)-maxYAMLProblems))
	}
	return errors.New(strings.Join(lines, "; "))
}

// maxYAMLProblems bounds how many problems one config error lists.
const maxYAMLProblems = 5

func friendlyType(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map"), strings.Contains(t, "Config"):
		return "a mapping"
	case t == "string":
		return "a string"
	}
	return t
}

func (c *Config) hasLiteralKey() bool {
	for _, services := range c.Profiles {
		for _, sc := range services {
			if sc.APIKey != "" {
				return true
			}
		}
	}
	return false
}

// Path is the file the config was read from.
func (c *Config) Path() string { return c.path }

// Service returns the settings of service in profile.
func (c *Config) Service(profile, service string) (ServiceConfig, bool) {
	if c == nil {
		return ServiceConfig{}, false
	}
	p, ok := c.Profiles[profile]
	if !ok {
		return ServiceConfig{}, false
	}
	sc, ok := p[service]
	return sc, ok
}

func (c *Config) profileNames() string {
	names := make([]string, 0, len(c.Profiles))
	for n := range c.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// ConfigFile yields service's key from profile in the config file at path
// ("" path: DefaultConfigPath; "" profile: DefaultProfile, both read at each
// Retrieve). The key is the section's api_key, or the output of its
// api_key_command. A missing file, profile or section is a place with no
// key; a broken or too-open file is an error.
func ConfigFile(path, profile, service string) Provider {
	return ProviderFunc(func(ctx context.Context) (Credential, error) {
		p := path
		if p == "" {
			var err error
			if p, err = DefaultConfigPath(); err != nil {
				return Credential{}, notFound(Source{Kind: KindConfig}, err.Error(), "set APIKIT_CONFIG_FILE")
			}
		}
		prof := profile
		if prof == "" {
			prof = DefaultProfile()
		}
		src := Source{Kind: KindConfig, Detail: fmt.Sprintf("%s, profile %q, %s", p, prof, service)}
		fix := fmt.Sprintf("add api_key under profiles.%s.%s in %s", prof, service, p)
		cfg, err := LoadConfig(p)
		if errors.Is(err, os.ErrNotExist) {
			return Credential{}, notFound(src, "no such file", fix)
		}
		if err != nil {
			return Credential{}, err
		}
		if _, ok := cfg.Profiles[prof]; !ok {
			return Credential{}, notFound(src, fmt.Sprintf("no such profile %q (profiles: %s)", prof, cfg.profileNames()), fix)
		}
		sc, ok := cfg.Service(prof, service)
		if !ok {
			return Credential{}, notFound(src, fmt.Sprintf("no %s section in profile %q", service, prof), fix)
		}
		switch {
		case sc.APIKey != "":
			return found(sc.APIKey, src)
		case len(sc.APIKeyCommand) > 0:
			cred, err := runCommand(ctx, sc.APIKeyCommand, defaultCommandTimeout)
			if err != nil {
				return Credential{}, fmt.Errorf("%s: api_key_command: %w", src, err)
			}
			cred.Source = Source{Kind: KindConfig, Detail: src.Detail + " (api_key_command " + commandString(sc.APIKeyCommand) + ")"}
			return cred, nil
		}
		return Credential{}, notFound(src, "the section has no api_key or api_key_command", fix)
	})
}
