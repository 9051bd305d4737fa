package reliability

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// badKey is a key no format accepts, and the precise problem each door
// must name for it.
type badKey struct {
	raw string
	// want is a regular expression every door's error must match: the
	// problem and, for a bad character, its position.
	want string
	// door overrides want for the doors that see the problem differently
	// (a file reader refuses the whole file; an empty value is "no key").
	door map[string]string
	// sentinel overrides, per door, the error the door's error must match
	// (default apierrors.ErrMalformedToken; nil: none).
	sentinel map[string]error
}

var fileDoors = []string{".env", "config"}

func badKeys() map[string]badKey {
	notYAML := map[string]string{"config": `: not valid YAML$`} // the YAML parser refuses the file
	return map[string]badKey{
		"empty": {raw: "", want: `^Hypedata key: is empty$`, door: map[string]string{
			"WithAPIKey": `WithAPIKey: the key is empty`,
			"env":        `env RELIABILITY_KEY: set but empty`,
			".env":       `\(RELIABILITY_KEY\): set but empty`,
			// Imprecise: the section has an api_key, an empty one.
			"config": `hypedata: the section has no api_key or api_key_command`,
		}, sentinel: map[string]error{"WithAPIKey": nil, "env": apierrors.ErrMissingCredentials,
			".env": apierrors.ErrMissingCredentials, "config": apierrors.ErrMissingCredentials}},
		"huge": {raw: "hd_live_" + strings.Repeat("A", 10<<20), want: `is 10485768 bytes long, more than any key \(4096\)`,
			door:     map[string]string{".env": `unreadable: larger than 1048576 bytes`, "config": `unreadable: larger than 1048576 bytes`},
			sentinel: map[string]error{".env": nil, "config": nil}},
		"binary": {raw: "hd_live_\x00\x01\x02\xff\xfe" + strings.Repeat("A", 27), want: `control character U\+0000 at position 9;`,
			door: notYAML, sentinel: map[string]error{"config": nil}},
		"NUL inside": {raw: "hd_live_Ab3dEf6hIj9kLm2n\x00p5qRs8tUv1wXy4z", want: `control character U\+0000 at position 25;`,
			door: notYAML, sentinel: map[string]error{"config": nil}},
		"cyrillic a":         {raw: "hd_live_\u0430b3dEf6hIj9kLm2nOp5qRs8tUv1wXy4", want: `Cyrillic letter \(U\+0430\) that looks Latin at position 9;`},
		"zero-width space":   {raw: "hd_live_Ab3dEf6hIj9k\u200bLm2nOp5qRs8tUv1wXy4z", want: `zero-width space \(U\+200B\) at position 21;`},
		"non-breaking space": {raw: "hd_live_Ab3dEf6hIj9k\u00a0m2nOp5qRs8tUv1wXy4z", want: `non-breaking space \(U\+00A0\) at position 21;`},
		"fullwidth":          {raw: "hd_live_Ａb3dEf6hIj9kLm2nOp5qRs8tUv1wXy4", want: `full-width character \(U\+FF21\) at position 9;`},
		"redacted form":      {raw: "hd_live_…Xy4z", want: `ellipsis \(U\+2026\): was the key copied in its redacted form\? at position 9;`},
		"invalid UTF-8": {raw: "hd_live_\xc3\x28b3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", want: `invalid UTF-8 byte 0xC3 at position 9;`,
			door: notYAML, sentinel: map[string]error{"config": nil}},
		"only whitespace": {raw: " \t\n", want: `set but blank \(only whitespace\)`,
			door: map[string]string{"keys.Parse": `^Hypedata key: is blank \(only whitespace\)`, "WithAPIKey": `explicit option: Hypedata key: is blank \(only whitespace\)`}},
	}
}

// TestBadKeysAtEveryDoor feeds each bad key through every way a key enters
// the SDK: parse, explicit option, env var, .env, config file. Each door
// refuses it with an error that names the source and the precise problem
// (its position, for a bad character), matches the right sentinel, and
// quotes nothing of the key; never a panic, never a key accepted, not even
// an empty one.
func TestBadKeysAtEveryDoor(t *testing.T) {
	for name, bk := range badKeys() {
		t.Run(name, func(t *testing.T) {
			raw := bk.raw
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
					t.Errorf("%s accepted a bad key", door)
					continue
				}
				want := bk.want
				if w, ok := bk.door[door]; ok {
					want = w
				}
				if !regexp.MustCompile(want).MatchString(err.Error()) {
					t.Errorf("%s: err = %.300q\nwant it to match %q", door, err, want)
				}
				sentinel, ok := bk.sentinel[door]
				if !ok {
					sentinel = apierrors.ErrMalformedToken
				}
				if sentinel != nil && !errors.Is(err, sentinel) {
					t.Errorf("%s: err = %.200v; want it to match %v", door, err, sentinel)
				}
				if door == ".env" || door == "config" {
					if !strings.Contains(err.Error(), dir) {
						t.Errorf("%s: err = %.200v; want it to name the file", door, err)
					}
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
// not what they should be. Each is refused at once (a named pipe or a
// device is never opened for a blocking read), with an error naming the
// file and what is wrong with it.
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

	type want struct{ env, config string }
	same := func(s string) want { return want{s, s} }
	cases := map[string]want{
		loop:   same(`: unreadable: too many levels of symbolic links$`),
		asDir:  same(`: unreadable: is a directory, not a file$`),
		huge:   same(`: unreadable: larger than 1048576 bytes, which no credentials file is$`),
		binary: {env: `: not a valid \.env file: line 1: not a NAME=value line`, config: `: not valid YAML$`},
	}
	for path, w := range specialFiles(t, dir) { // a FIFO, a socket, a device: unreadable whoever runs the test
		cases[path] = same(w)
	}
	if os.Geteuid() != 0 { // root reads any file
		unreadable := filepath.Join(dir, "unreadable")
		_ = os.WriteFile(unreadable, []byte("profiles: {}\n"), 0o000)
		cases[unreadable] = same(`: unreadable: permission denied$`)
	}
	for path, w := range cases {
		for _, door := range fileDoors {
			want := w.env
			if door == "config" {
				want = w.config
			}
			done := make(chan error, 1)
			go func() {
				var err error
				if door == ".env" {
					_, err = credentials.DotEnv(path, "K").Retrieve(context.Background())
				} else {
					_, err = credentials.ConfigFile(path, "default", "hypedata").Retrieve(context.Background())
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !regexp.MustCompile(want).MatchString(err.Error()) || !strings.Contains(err.Error(), path) {
					t.Errorf("%s %s: err = %.200v; want it to name the file and match %q", door, filepath.Base(path), err, want)
				}
			case <-time.After(callTimeout):
				t.Fatalf("%s %s: the read hung", door, filepath.Base(path))
			}
		}
	}
}

// TestInvalidOptions: nonsense options give errors from New, never panics;
// a nil option is skipped (client.New ignores nil options), so it cannot
// break an otherwise valid client.
func TestInvalidOptions(t *testing.T) {
	cases := []struct {
		opts []client.Option
		want string
	}{
		{nil, `^client: no service: pass WithService`},
		{[]client.Option{nil}, `^client: no service: pass WithService`},
		{[]client.Option{client.WithService(client.Service{})}, `^client: WithService: the service has no Name; set Name`},
		{[]client.Option{client.WithService(client.Service{Name: "x"})}, `service x has no BaseURL`},
		{[]client.Option{client.WithService(client.Service{Name: "x", BaseURL: "::"})}, `x base URL: not a URL: missing protocol scheme`},
		{[]client.Option{client.WithService(client.Service{Name: "x", BaseURL: "https://x", Auth: client.AuthStyle(99)}), client.WithAPIKey("k")},
			`service x has an unknown auth style 99`},
		{[]client.Option{client.WithService(client.Hypedata), client.WithAPIKey("k"), client.WithBaseURL("https://[::1")}, `^client: WithBaseURL: not a URL: missing '\]' in host`},
		{[]client.Option{client.WithService(client.Hypedata), client.WithAPIKey(strings.Repeat("x", 1<<20))},
			`Hypedata key: is 1048576 bytes long, more than any key \(4096\)`},
	}
	for i, tc := range cases {
		_, err := client.New(tc.opts...)
		if err == nil || !regexp.MustCompile(tc.want).MatchString(err.Error()) {
			t.Errorf("case %d: err = %.200v; want it to match %q", i, err, tc.want)
		}
	}

	c, err := client.New(client.WithService(client.Hypedata), nil, client.WithAPIKey(hostileKey), nil)
	if err != nil || c == nil {
		t.Fatalf("New with nil options among valid ones: %v; want the nil options skipped", err)
	}
	if cred, err := c.Credential(context.Background()); err != nil || cred.Key.Reveal() != hostileKey {
		t.Errorf("the client built with nil options does not hold its key: %v", err)
	}
}
