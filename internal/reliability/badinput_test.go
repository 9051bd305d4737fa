package reliability

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// badKeys are keys no format accepts, each for its own reason.
func badKeys() map[string]string {
	return map[string]string{
		"empty":              "",
		"huge":               "hd_live_" + strings.Repeat("A", 10<<20),
		"binary":             "hd_live_\x00\x01\x02\xff\xfe" + strings.Repeat("A", 27),
		"NUL inside":         "hd_live_Ab3dEf6hIj9kLm2n\x00p5qRs8tUv1wXy4z",
		"cyrillic a":         "hd_live_\u0430b3dEf6hIj9kLm2nOp5qRs8tUv1wXy4",
		"zero-width space":   "hd_live_Ab3dEf6hIj9k\u200bLm2nOp5qRs8tUv1wXy4z",
		"non-breaking space": "hd_live_Ab3dEf6hIj9k\u00a0m2nOp5qRs8tUv1wXy4z",
		"fullwidth":          "hd_live_Ａb3dEf6hIj9kLm2nOp5qRs8tUv1wXy4",
		"redacted form":      "hd_live_…Xy4z",
		"invalid UTF-8":      "hd_live_\xc3\x28b3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
		"only whitespace":    " \t\n",
	}
}

// TestBadKeysAtEveryDoor feeds each bad key through every way a key enters
// the SDK: parse, explicit option, env var, .env, config file. Each gives a
// clear malformed-token error and never a panic.
func TestBadKeysAtEveryDoor(t *testing.T) {
	for name, raw := range badKeys() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			envOK := !strings.ContainsRune(raw, 0)
			if envOK { // the OS refuses NUL in the environment
				t.Setenv("RELIABILITY_KEY", raw)
			}
			_ = os.WriteFile(filepath.Join(dir, ".env"), []byte("RELIABILITY_KEY='"+raw+"'\n"), 0o600)
			_ = os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("profiles:\n  default:\n    hypedata: { api_key: \""+raw+"\" }\n"), 0o600)
			doors := map[string]func() error{
				"keys.Parse": func() error { _, err := keys.Parse(raw, keys.Hypedata); return err },
				"WithAPIKey": func() error {
					_, err := client.New(client.WithService(client.Hypedata), client.WithAPIKey(raw))
					return err
				},
				"env": func() error {
					c, err := client.New(client.WithService(client.Hypedata), client.WithCredentials(credentials.Env("RELIABILITY_KEY")))
					if err != nil {
						return err
					}
					_, err = c.Credential(context.Background())
					return err
				},
				".env": func() error {
					_, err := credentials.Validated(credentials.DotEnv(filepath.Join(dir, ".env"), "RELIABILITY_KEY"), keys.Hypedata).Retrieve(context.Background())
					return err
				},
				"config": func() error {
					_, err := credentials.Validated(credentials.ConfigFile(filepath.Join(dir, "config.yaml"), "default", "hypedata"), keys.Hypedata).Retrieve(context.Background())
					return err
				},
			}
			for door, try := range doors {
				if door == "env" && !envOK {
					continue
				}
				err := try()
				if err == nil {
					if raw == "" || strings.TrimSpace(raw) == "" {
						continue // an empty value is "no key" at some doors
					}
					t.Errorf("%s accepted a bad key", door)
					continue
				}
				if !errors.Is(err, apierrors.ErrMalformedToken) && !errors.Is(err, apierrors.ErrMissingCredentials) &&
					!strings.Contains(err.Error(), "not valid") && !strings.Contains(err.Error(), "empty") && !strings.Contains(err.Error(), "larger than") {
					t.Errorf("%s: unclear error: %.200v", door, err)
				}
				if len(raw) >= 20 && strings.Contains(err.Error(), raw[8:20]) {
					t.Errorf("%s: the error quotes the key: %.200v", door, err)
				}
				if len(err.Error()) > 2000 {
					t.Errorf("%s: a %d-byte error", door, len(err.Error()))
				}
			}
		})
	}
}

// TestHostileFiles points the .env and config readers at files that are
// not what they should be.
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop")
	_ = os.Symlink(loop, loop)
	asDir := filepath.Join(dir, "a-directory")
	_ = os.Mkdir(asDir, 0o700)
	huge := filepath.Join(dir, "huge")
	_ = os.WriteFile(huge, []byte(strings.Repeat("A=1\n", 1<<19)), 0o600)
	binary := filepath.Join(dir, "binary")
	_ = os.WriteFile(binary, []byte("\x00\xff\xfe{[}: \x00"), 0o600)
	unreadable := filepath.Join(dir, "unreadable")
	_ = os.WriteFile(unreadable, []byte("profiles: {}\n"), 0o000)

	cases := map[string]string{loop: "symbolic links", asDir: "is a directory", huge: "larger than", binary: ""}
	if os.Geteuid() != 0 { // root reads any file
		cases[unreadable] = "permission denied"
	}
	for path, want := range cases {
		_, err := credentials.DotEnv(path, "K").Retrieve(context.Background())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf(".env %s: err = %.200v, want %q", filepath.Base(path), err, want)
		}
		_, err = credentials.ConfigFile(path, "default", "hypedata").Retrieve(context.Background())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config %s: err = %.200v, want %q", filepath.Base(path), err, want)
		}
	}
}

// TestInvalidOptions: nonsense options give errors, never panics.
func TestInvalidOptions(t *testing.T) {
	cases := [][]client.Option{
		nil,
		{nil},
		{client.WithService(client.Service{})},
		{client.WithService(client.Service{Name: "x"})},
		{client.WithService(client.Service{Name: "x", BaseURL: "::"})},
		{client.WithService(client.Service{Name: "x", BaseURL: "https://x", Auth: client.AuthStyle(99)}), client.WithAPIKey("k")},
		{client.WithService(client.Hypedata), client.WithAPIKey("k"), client.WithBaseURL("https://[::1")},
		{client.WithService(client.Hypedata), client.WithAPIKey(strings.Repeat("x", 1<<20))},
	}
	for i, opts := range cases {
		if _, err := client.New(opts...); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}
