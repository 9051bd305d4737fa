package client

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apikit/apikit-go/keys"
)

func TestOptionValidation(t *testing.T) {
	svc := testService("https://api.example.com")
	cases := []struct {
		name string
		opts []Option
		want string
	}{
		{"no service", []Option{WithAPIKey(testKey)}, "no service"},
		{"unnamed service", []Option{WithService(Service{BaseURL: "https://x"})}, "no Name"},
		{"empty key", []Option{WithService(svc), WithAPIKey("")}, "WithAPIKey: the key is empty"},
		{"nil provider", []Option{WithService(svc), WithCredentials(nil)}, "provider is nil"},
		{"nil http client", []Option{WithService(svc), WithAPIKey(testKey), WithHTTPClient(nil)}, "WithHTTPClient"},
		{"negative retries", []Option{WithService(svc), WithAPIKey(testKey), WithMaxRetries(-1)}, "out of range"},
		{"retry bounds", []Option{WithService(svc), WithAPIKey(testKey), WithRetryWait(time.Second, time.Millisecond)}, "first <= max"},
		{"negative cap", []Option{WithService(svc), WithAPIKey(testKey), WithMaxRetryAfter(-time.Second)}, "negative"},
		{"bad base URL", []Option{WithService(svc), WithAPIKey(testKey), WithBaseURL("ftp://x")}, `scheme "ftp"`},
		{"base URL with user info", []Option{WithService(svc), WithAPIKey(testKey), WithBaseURL("https://u:p@x")}, "user info"},
		{"base URL with query", []Option{WithService(svc), WithAPIKey(testKey), WithBaseURL("https://x/?a=1")}, "query string"},
		{"bad header", []Option{WithService(svc), WithAPIKey(testKey), WithHeaderAuth("X Bad")}, "not a valid header name"},
		{"bad env", []Option{WithService(svc), WithAPIKey(testKey), WithRequireEnv(keys.EnvUnknown)}, "WithRequireEnv"},
		{"user agent newline", []Option{WithService(svc), WithAPIKey(testKey), WithUserAgent("a\nb")}, "line break"},
		{"malformed explicit key", []Option{WithService(svc), WithAPIKey("two words")}, "a space at position 4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.opts...)
			if err == nil || c != nil {
				t.Fatalf("New succeeded; want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "client: ") {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestBaseURLPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("profiles:\n  default:\n    testsvc: { base_url: https://from-config.example }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("APIKIT_CONFIG_FILE", cfg)
	t.Setenv("APIKIT_PROFILE", "")
	svc := testService("https://default.example")
	svc.BaseURLEnvVar = "TESTSVC_BASE_URL"
	t.Setenv("TESTSVC_BASE_URL", "")

	base := func(opts ...Option) string {
		c, err := New(append([]Option{WithService(svc), WithAPIKey(testKey)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return c.BaseURL()
	}
	if got := base(); got != "https://from-config.example" {
		t.Errorf("config: %s", got)
	}
	t.Setenv("TESTSVC_BASE_URL", "https://from-env.example/api/")
	if got := base(); got != "https://from-env.example/api" {
		t.Errorf("env: %s", got)
	}
	if got := base(WithBaseURL("https://from-option.example")); got != "https://from-option.example" {
		t.Errorf("option: %s", got)
	}
	t.Setenv("TESTSVC_BASE_URL", "")
	t.Setenv("APIKIT_CONFIG_FILE", filepath.Join(dir, "missing.yaml"))
	if got := base(); got != "https://default.example" {
		t.Errorf("default: %s", got)
	}
	if err := os.WriteFile(cfg, []byte("profiles: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("APIKIT_CONFIG_FILE", cfg)
	if _, err := New(WithService(svc), WithAPIKey(testKey)); err == nil || !strings.Contains(err.Error(), cfg) {
		t.Errorf("broken config file not reported: %v", err)
	}
}
