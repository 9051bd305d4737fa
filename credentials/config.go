package credentials

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// LoadConfig reads and strictly parses the config file at path ("" means
// DefaultConfigPath). Unknown fields, wrong types, bad YAML and a second
// YAML document are errors with the file and line; an empty file is an
// empty Config.
//
// The file can name a command to run and where to send a key, so it is
// trusted as ssh trusts its config: a file, or a symbolic link to it, that
// another user owns (root aside) or that its group or others may write, or
// that sits in a directory like that, is refused whatever it holds, with the
// path at fault and the chmod go-w or chown that fixes it. A file that holds
// a literal api_key must also be private: readable by its group or others,
// it is refused with the chmod 600 fix.
//
// Every error is a *SourceError naming the file. A missing file is one that
// matches fs.ErrNotExist; one that cannot be read (permission denied, a
// directory or named pipe in its place) says "unreadable".
func LoadConfig(path string) (*Config, error) {
	if path == "" {
		p, err := DefaultConfigPath()
		if err != nil {
			return nil, &SourceError{Source: Source{Kind: KindConfig}, Err: err}
		}
		path = p
	}
	path = absPath(path)
	cfg, err := loadConfig(path, readConfigFile)
	if err != nil {
		return nil, &SourceError{Source: Source{Kind: KindConfig, Detail: path}, Err: err}
	}
	return cfg, nil
}

// loadConfig is LoadConfig of an absolute path, read with read, with errors
// that do not name the file (the caller does).
func loadConfig(path string, read readFunc) (*Config, error) {
	b, info, err := read(path)
	if errors.Is(err, errNoFile) {
		return nil, fs.ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	cfg, err := decodeConfig(b, path)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && info != nil && info.Mode().Perm()&0o077 != 0 && cfg.hasLiteralKey() {
		return nil, fmt.Errorf("holds a literal api_key and is %s (mode %04o); make it private: chmod 600 %s",
			modeExposure(info.Mode()), info.Mode().Perm(), path)
	}
	return cfg, nil
}

// parseConfig decodes b strictly, with errors that name path and never
// quote the file's values.
func parseConfig(b []byte, path string) (*Config, error) {
	cfg, err := decodeConfig(b, path)
	if err != nil {
		return nil, &SourceError{Source: Source{Kind: KindConfig, Detail: path}, Err: err}
	}
	return cfg, nil
}

// decodeConfig is parseConfig with errors that do not name the file.
func decodeConfig(b []byte, path string) (*Config, error) {
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
		return nil, sanitizeYAMLError(err)
	}
	if err := onlyOneDocument(dec); err != nil {
		return nil, err
	}
	for _, pname := range sortedKeys(cfg.Profiles) {
		services := cfg.Profiles[pname]
		for _, sname := range sortedKeys(services) {
			sc := services[sname]
			if sc.APIKey != "" && len(sc.APIKeyCommand) > 0 {
				return nil, fmt.Errorf("profile %s, %s: both api_key and api_key_command are set; keep one", shownName(pname), shownName(sname))
			}
			if sc.APIKeyCommand != nil && len(sc.APIKeyCommand) == 0 {
				return nil, fmt.Errorf("profile %s, %s: api_key_command is empty; give the program and its arguments as a list", shownName(pname), shownName(sname))
			}
		}
	}
	return cfg, nil
}

// onlyOneDocument reads what follows the first YAML document: more
// documents (after a --- line) would be ignored silently, so a second one
// with content is an error. Empty documents (a trailing ---) are fine.
func onlyOneDocument(dec *yaml.Decoder) error {
	for {
		var doc yaml.Node
		err := decodeSafely(dec, &doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return sanitizeYAMLError(err)
		}
		if !emptyDocument(&doc) {
			return fmt.Errorf("line %d: the config file holds more than one YAML document (a --- line starts another); keep one", doc.Line)
		}
	}
}

// emptyDocument reports whether doc holds nothing but a null.
func emptyDocument(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	n := doc.Content[0]
	return len(doc.Content) == 1 && n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// decodeSafely decodes the next document into v; a panic in the decoder
// (a bug, reachable by hostile input) is an error, not a crash.
func decodeSafely(dec *yaml.Decoder, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("not a valid config file")
		}
	}()
	return dec.Decode(v)
}

// sortedKeys returns m's keys in order, so that messages are stable.
func sortedKeys[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
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

// Path is the file the config was read from; "" for a nil or zero Config.
func (c *Config) Path() string {
	if c == nil {
		return ""
	}
	return c.path
}

// Service returns the settings of service in profile, and whether the file
// has that section. A nil Config has none.
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

// profileNames lists the file's profiles for a message, each shown only if
// it cannot be a key (see shownName).
func (c *Config) profileNames() string {
	names := sortedKeys(c.Profiles)
	if len(names) == 0 {
		return "none"
	}
	for i, n := range names {
		names[i] = shownName(n)
	}
	return strings.Join(names, ", ")
}
