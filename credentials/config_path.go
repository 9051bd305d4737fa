package credentials

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultConfigPath is the config file's path: $APIKIT_CONFIG_FILE (a
// leading ~/ is the home directory, a relative path is taken from the
// working directory), else <os.UserConfigDir()>/apikit/config.yaml. The
// path returned is absolute, so that messages show where the file is.
func DefaultConfigPath() (string, error) {
	if p := os.Getenv("APIKIT_CONFIG_FILE"); p != "" {
		if rest, ok := strings.CutPrefix(p, "~"+string(filepath.Separator)); ok || p == "~" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("APIKIT_CONFIG_FILE starts with ~ but there is no home directory (%w); give a full path", err)
			}
			p = filepath.Join(home, rest)
		}
		return absPath(p), nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory (%w); set APIKIT_CONFIG_FILE", err)
	}
	return filepath.Join(dir, "apikit", "config.yaml"), nil
}

// DefaultProfile is the config profile to use: $APIKIT_PROFILE, else
// "default".
func DefaultProfile() string {
	if p := os.Getenv("APIKIT_PROFILE"); p != "" {
		return p
	}
	return "default"
}
