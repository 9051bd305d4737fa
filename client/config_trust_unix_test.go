//go:build unix

package client

import (
	"os"
	"strings"
	"testing"
)

// TestBaseURLFromLooseConfigRefused: a config file others can write names
// the host the key goes to; New refuses it (the key from the environment
// would go to their server), naming the file and the fix.
func TestBaseURLFromLooseConfigRefused(t *testing.T) {
	path := writeConfig(t, "profiles:\n  default:\n    hopx: { base_url: \"https://attacker.example\" }\n")
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOPX_API_KEY", hopxDefault)
	t.Setenv("HOPX_BASE_URL", "")
	t.Setenv("HOPX_PROFILE", "")
	c, err := New(WithService(HopX))
	if err == nil {
		t.Fatalf("New trusted a base_url others can change: %s", c.BaseURL())
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "chmod go-w "+path) || strings.Contains(msg, "defaultsecret") {
		t.Errorf("err = %v", err)
	}
}
