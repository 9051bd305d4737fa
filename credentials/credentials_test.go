package credentials

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	apierrors "github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

const (
	envKey  = "hd_live_EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE"
	dotKey  = "hd_live_DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"
	fileKey = "hd_test_FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
	cmdKey  = "hd_live_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
)

// TestMain lets the test binary act as a key command (the os/exec pattern).
func TestMain(m *testing.M) {
	if os.Getenv("APIKIT_HELPER_PROCESS") == "1" {
		helperProcess(os.Args[1:])
		return
	}
	os.Exit(m.Run())
}

// helperProcess is the key command the tests run: what it does is its
// first argument.
func helperProcess(args []string) {
	switch args[0] {
	case "print": // the key, and a newline
		fmt.Println(args[1])
	case "print-crlf": // the key, and a Windows line ending
		fmt.Print(args[1] + "\r\n")
	case "fail": // a password manager that is not signed in
		fmt.Fprintln(os.Stderr, "op: not signed in: run op signin")
		os.Exit(3)
	case "fail-stderr": // exits 3 with its other arguments on stderr, one per line
		for _, a := range args[1:] {
			fmt.Fprintln(os.Stderr, a)
		}
		os.Exit(3)
	case "empty":
	case "flood": // far more than a key, on stdout
		os.Stdout.Write(bytes.Repeat([]byte("k"), 4*maxCommandStdout))
	case "hang": // waits for a prompt nobody answers
		time.Sleep(time.Hour)
	case "orphan": // leaves a child holding its stdout open, and exits
		cmd := exec.Command(os.Args[0], "trickle")
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			os.Exit(4)
		}
	case "trickle": // writes until its stdout is closed (bounded, in case it never is)
		for i := 0; i < 3000; i++ {
			if _, err := os.Stdout.Write([]byte(".")); err != nil {
				os.Exit(0)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	os.Exit(0)
}

// helper returns the argv that runs helperProcess with args.
func helper(t *testing.T, args ...string) []string {
	t.Setenv("APIKIT_HELPER_PROCESS", "1")
	// A race-enabled binary sleeps a second before exiting by default.
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{exe}, args...)
}

func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// isolate points every default location at an empty temp dir.
func isolate(t *testing.T) string {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("APIKIT_CONFIG_FILE", filepath.Join(dir, "config.yaml"))
	t.Setenv("APIKIT_PROFILE", "")
	t.Setenv("HYPEDATA_API_KEY", "")
	os.Unsetenv("HYPEDATA_API_KEY")
	return dir
}

func defaultChain() Provider {
	return Chain(Env("HYPEDATA_API_KEY"), DotEnv("", "HYPEDATA_API_KEY"), ConfigFile("", "", "hypedata"))
}

func TestChainPrecedence(t *testing.T) {
	dir := isolate(t)
	writeFile(t, dir, "config.yaml", "profiles:\n  default:\n    hypedata: { api_key: "+fileKey+" }\n", 0o600)
	ctx := context.Background()

	cred, err := defaultChain().Retrieve(ctx)
	if err != nil || cred.Key.Reveal() != fileKey {
		t.Fatalf("config only: %v %v", cred, err)
	}
	want := fmt.Sprintf(`config file %s, profile "default", hypedata`, filepath.Join(dir, "config.yaml"))
	if cred.Source.String() != want {
		t.Errorf("source %q, want %q", cred.Source, want)
	}

	writeFile(t, dir, ".env", "OTHER=1\nHYPEDATA_API_KEY="+dotKey+"\n", 0o600)
	cred, err = defaultChain().Retrieve(ctx)
	if err != nil || cred.Key.Reveal() != dotKey || cred.Source.String() != ".env file "+filepath.Join(dir, ".env")+" (HYPEDATA_API_KEY)" {
		t.Fatalf(".env over config: %v %v", cred, err)
	}

	t.Setenv("HYPEDATA_API_KEY", envKey)
	cred, err = defaultChain().Retrieve(ctx)
	if err != nil || cred.Key.Reveal() != envKey || cred.Source.String() != "env HYPEDATA_API_KEY" {
		t.Fatalf("env over .env: %v %v", cred, err)
	}
	if _, set := os.LookupEnv("OTHER"); set {
		t.Error("DotEnv modified the process environment")
	}
}

func TestInvalidValueDoesNotFallThrough(t *testing.T) {
	dir := isolate(t)
	writeFile(t, dir, ".env", "HYPEDATA_API_KEY="+dotKey+"\n", 0o600)
	t.Setenv("HYPEDATA_API_KEY", envKey+"\n")
	_, err := defaultChain().Retrieve(context.Background())
	if !errors.Is(err, apierrors.ErrMalformedToken) || !strings.Contains(err.Error(), "env HYPEDATA_API_KEY") || !strings.Contains(err.Error(), "trailing newline") {
		t.Fatalf("err = %v", err)
	}
	// The service format is checked by Validated, naming the source.
	t.Setenv("HYPEDATA_API_KEY", "hd_live_short")
	_, err = Validated(defaultChain(), keys.Hypedata).Retrieve(context.Background())
	if !errors.Is(err, apierrors.ErrMalformedToken) || !strings.HasPrefix(err.Error(), "env HYPEDATA_API_KEY: Hypedata key:") {
		t.Fatalf("err = %v", err)
	}
}

func TestNothingFound(t *testing.T) {
	dir := isolate(t)
	_, err := defaultChain().Retrieve(context.Background())
	if !errors.Is(err, apierrors.ErrMissingCredentials) || !errors.Is(err, apierrors.ErrAuthentication) {
		t.Fatalf("err = %v", err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	want := "no API key found; looked in: 1. env HYPEDATA_API_KEY: not set; 2. .env file " + filepath.Join(dir, ".env") +
		": no such file; 3. config file " + cfg + `, profile "default", hypedata: no such file — to fix: set HYPEDATA_API_KEY, or add HYPEDATA_API_KEY=… to ` +
		filepath.Join(dir, ".env") + ", or add api_key under profiles.default.hypedata in " + cfg
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	var nf *NotFoundError
	if !errors.As(err, &nf) || len(nf.Tried) != 3 || nf.Tried[2].Source.Kind != KindConfig {
		t.Errorf("typed attempts: %+v", nf)
	}

	writeFile(t, dir, "config.yaml", "profiles:\n  default:\n    hypersave: { api_key: hs_live_xxxxxxxxxxxxxxxx }\n", 0o600)
	t.Setenv("APIKIT_PROFILE", "prod")
	_, err = defaultChain().Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), `no such profile "prod" (profiles: default)`) {
		t.Errorf("err = %v", err)
	}
	t.Setenv("APIKIT_PROFILE", "")
	_, err = defaultChain().Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), `no hypedata section in profile "default"`) {
		t.Errorf("err = %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, ".env"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = defaultChain().Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "unreadable: is a directory") {
		t.Errorf("err = %v", err)
	}
}

func TestConfigFileRules(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	cases := []struct {
		name, yaml string
		mode       os.FileMode
		want       string // error substring; "" = success with fileKey
	}{
		{"ok", "profiles:\n  default:\n    hypedata:\n      api_key: " + fileKey + "\n", 0o600, ""},
		{"group readable", "profiles:\n  default:\n    hypedata: { api_key: " + fileKey + " }\n", 0o644, "chmod 600"},
		{"unknown field", "profiles:\n  default:\n    hypedata:\n      apikey: " + fileKey + "\n", 0o600, "line 4: unknown field apikey"},
		{"wrong type", "profiles:\n  default:\n    hypedata:\n      api_key_command: " + fileKey + "\n", 0o600, "line 4: wrong type: want a list"},
		{"both", "profiles:\n  default:\n    hypedata: { api_key: " + fileKey + ", api_key_command: [echo, x] }\n", 0o600, "both api_key and api_key_command"},
		{"bad yaml", "profiles:\n  default: [\n", 0o600, "not valid YAML"},
		{"empty file", "", 0o600, "no such profile"},
		{"comments only", "# nothing here\n", 0o600, "no such profile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, tc.name+".yaml", tc.yaml, tc.mode)
			cred, err := ConfigFile(p, "default", "hypedata").Retrieve(ctx)
			if tc.want == "" {
				if err != nil || cred.Key.Reveal() != fileKey {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if runtime.GOOS == "windows" && tc.mode == 0o644 {
				t.Skip("no POSIX permissions")
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), fileKey[8:]) {
				t.Errorf("error quotes the key: %v", err)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
	// A group-readable file with only a command is fine.
	p := writeFile(t, dir, "cmd.yaml", fmt.Sprintf("profiles:\n  prod:\n    hypedata:\n      api_key_command: [%q, print, %s]\n      base_url: https://eu.hypedata.io\n",
		helper(t)[0], cmdKey), 0o644)
	cred, err := ConfigFile(p, "prod", "hypedata").Retrieve(ctx)
	if err != nil || cred.Key.Reveal() != cmdKey || !strings.Contains(cred.Source.String(), "api_key_command") {
		t.Fatalf("command in config: %v %v", cred, err)
	}
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if sc, ok := cfg.Service("prod", "hypedata"); !ok || sc.BaseURL != "https://eu.hypedata.io" {
		t.Errorf("Service = %+v %v", sc, ok)
	}
}
