package credentials_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

func ExampleStatic() {
	cred, err := credentials.Static("hd_test_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z").Retrieve(context.Background())
	fmt.Println(cred, err)
	// Output: hd_test_…Xy4z from explicit option <nil>
}

func ExampleEnv() {
	os.Setenv("EXAMPLE_API_KEY", "hd_test_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z")
	defer os.Unsetenv("EXAMPLE_API_KEY")
	cred, err := credentials.Env("EXAMPLE_API_KEY").Retrieve(context.Background())
	fmt.Println(cred.Source, cred.Key, err)
	// Output: env EXAMPLE_API_KEY hd_test_…Xy4z <nil>
}

func ExampleDotEnv() {
	dir, _ := os.MkdirTemp("", "dotenv")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, ".env")
	os.WriteFile(path, []byte("# local settings\nHYPEDATA_API_KEY=hd_test_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z\n"), 0o600)

	cred, err := credentials.DotEnv(path, "HYPEDATA_API_KEY").Retrieve(context.Background())
	fmt.Println(strings.Replace(cred.Source.String(), dir, "<dir>", 1), cred.Key, err)
	// Output: .env file <dir>/.env (HYPEDATA_API_KEY) hd_test_…Xy4z <nil>
}

func ExampleConfigFile() {
	dir, _ := os.MkdirTemp("", "config")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte("profiles:\n  prod:\n    hypedata: { api_key: hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z }\n"), 0o600)

	cred, err := credentials.ConfigFile(path, "prod", "hypedata").Retrieve(context.Background())
	fmt.Println(strings.Replace(cred.Source.String(), dir, "<dir>", 1), cred.Key, err)
	// Output: config file <dir>/config.yaml, profile "prod", hypedata hd_live_…Xy4z <nil>
}

func ExampleChain() {
	os.Unsetenv("EXAMPLE_MISSING_KEY")
	p := credentials.Chain(
		credentials.Env("EXAMPLE_MISSING_KEY"),
		credentials.Static("hd_test_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"),
	)
	cred, err := p.Retrieve(context.Background())
	fmt.Println(cred, err)
	// Output: hd_test_…Xy4z from explicit option <nil>
}

func ExampleNotFoundError() {
	os.Unsetenv("EXAMPLE_MISSING_KEY")
	_, err := credentials.Chain(credentials.Env("EXAMPLE_MISSING_KEY"), credentials.DotEnv("/nonexistent/.env", "EXAMPLE_MISSING_KEY")).
		Retrieve(context.Background())
	fmt.Println(err)
	fmt.Println(errors.Is(err, apierrors.ErrMissingCredentials))
	// Output:
	// no API key found; looked in: 1. env EXAMPLE_MISSING_KEY: not set; 2. .env file /nonexistent/.env: no such file — to fix: set EXAMPLE_MISSING_KEY, or add EXAMPLE_MISSING_KEY=… to /nonexistent/.env
	// true
}

func ExampleValidated() {
	p := credentials.Validated(credentials.Static("hd_live_tooShort"), keys.Hypedata)
	_, err := p.Retrieve(context.Background())
	fmt.Println(err)
	// Output: explicit option: Hypedata key: the part after the prefix is 8 characters, want 32
}

func ExampleDiagnose() {
	os.Setenv("EXAMPLE_API_KEY", "hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z")
	defer os.Unsetenv("EXAMPLE_API_KEY")
	r := credentials.Diagnose(context.Background(), keys.Hypedata,
		credentials.Env("EXAMPLE_API_KEY"),
		credentials.Static("hd_test_Zz3dEf6hIj9kLm2nOp5qRs8tUv1wXy4q"),
	)
	for _, e := range r.Entries {
		fmt.Printf("%s: %s used=%v shadowed by=%q\n", e.Source, e.Key, e.Wins, e.ShadowedBy)
	}
	// Output:
	// env EXAMPLE_API_KEY: hd_live_…Xy4z used=true shadowed by=""
	// explicit option: hd_test_…Xy4q used=false shadowed by="env EXAMPLE_API_KEY"
}

func ExampleCommand() {
	// A password manager's CLI (here: cat) prints the key; no shell is involved.
	f, _ := os.CreateTemp("", "key")
	defer os.Remove(f.Name())
	f.WriteString("hd_test_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z\n")
	f.Close()

	cred, err := credentials.Command("cat", f.Name()).Retrieve(context.Background())
	fmt.Println(cred.Key, cred.Source.Kind, err)
	// Output: hd_test_…Xy4z command <nil>
}

func ExampleProviderFunc() {
	// A key kept somewhere this package does not know: here, a variable in
	// memory that a rotation updates.
	current := "hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
	store := credentials.ProviderFunc(func(ctx context.Context) (credentials.Credential, error) {
		src := credentials.Source{Kind: "secret store", Detail: "prod/hypedata"}
		if current == "" {
			return credentials.Credential{}, &credentials.NotFoundError{Tried: []credentials.Attempt{{Source: src, Why: "empty", Fix: "deploy a key"}}}
		}
		k, err := keys.Parse(current, keys.Hypedata)
		if err != nil {
			return credentials.Credential{}, &credentials.SourceError{Source: src, Err: err}
		}
		return credentials.Credential{Key: k, Source: src}, nil
	})
	cred, err := store.Retrieve(context.Background())
	fmt.Println(cred, err)
	// Output: hd_live_…Xy4z from secret store prod/hypedata <nil>
}

func ExampleNewCache() {
	calls := 0
	p := credentials.ProviderFunc(func(context.Context) (credentials.Credential, error) {
		calls++ // reading a password manager, say: slow, so done once
		return credentials.Static("hd_test_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z").Retrieve(context.Background())
	})
	c := credentials.NewCache(p)
	for i := 0; i < 3; i++ {
		c.Retrieve(context.Background())
	}
	fmt.Println("provider asked", calls, "time(s)")
	// Output: provider asked 1 time(s)
}

func ExampleCache_Invalidate() {
	key := "hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
	c := credentials.NewCache(credentials.ProviderFunc(func(context.Context) (credentials.Credential, error) {
		return credentials.Static(key).Retrieve(context.Background())
	}))
	before, _ := c.Retrieve(context.Background())
	key = "hd_live_Zz3dEf6hIj9kLm2nOp5qRs8tUv1wXy4q" // a rotation was deployed
	cached, _ := c.Retrieve(context.Background())
	c.Invalidate() // e.g. the server said the old key is revoked
	after, _ := c.Retrieve(context.Background())
	fmt.Println(before.Key, cached.Key, after.Key)
	// Output: hd_live_…Xy4z hd_live_…Xy4z hd_live_…Xy4q
}

func ExampleLoadConfig() {
	dir, _ := os.MkdirTemp("", "config")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte(`profiles:
  prod:
    hypedata: { api_key_command: [op, read, "op://prod/hypedata/key"], base_url: https://eu.hypedata.io }
`), 0o600)

	cfg, err := credentials.LoadConfig(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	sc, ok := cfg.Service("prod", "hypedata")
	fmt.Println(ok, sc.BaseURL, sc.APIKeyCommand)
	_, ok = cfg.Service("prod", "hypersave")
	fmt.Println(ok)
	// Output:
	// true https://eu.hypedata.io [op read op://prod/hypedata/key]
	// false
}

func ExampleLoadConfig_errors() {
	dir, _ := os.MkdirTemp("", "config")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config.yaml")
	// A key pasted where a field name goes: the error gives the line, not the key.
	os.WriteFile(path, []byte("profiles:\n  default:\n    hypersave: { hs_live_abcdefghijkl }\n    hypedata: { apikey: x }\n"), 0o600)

	_, err := credentials.LoadConfig(path)
	fmt.Println(strings.Replace(err.Error(), dir, "<dir>", 1))
	// Output:
	// config file <dir>/config.yaml: line 3: an unknown field (known per service: api_key, api_key_command, base_url); line 4: unknown field apikey; did you mean api_key? (known per service: api_key, api_key_command, base_url)
}

func ExampleDefaultConfigPath() {
	os.Setenv("APIKIT_CONFIG_FILE", "/etc/apikit/config.yaml")
	defer os.Unsetenv("APIKIT_CONFIG_FILE")
	path, err := credentials.DefaultConfigPath()
	fmt.Println(path, err)
	// Output: /etc/apikit/config.yaml <nil>
}

func ExampleDefaultProfile() {
	os.Unsetenv("APIKIT_PROFILE")
	fmt.Println(credentials.DefaultProfile())
	os.Setenv("APIKIT_PROFILE", "prod")
	defer os.Unsetenv("APIKIT_PROFILE")
	fmt.Println(credentials.DefaultProfile())
	// Output:
	// default
	// prod
}

func ExampleConfigFile_apiKeyCommand() {
	// The key stays in a password manager; the config file says how to ask
	// it (here: cat stands in for the manager's CLI). No literal key in the
	// file, so it need not be private.
	dir, _ := os.MkdirTemp("", "config")
	defer os.RemoveAll(dir)
	keyFile := filepath.Join(dir, "vault-item")
	os.WriteFile(keyFile, []byte("hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z\n"), 0o600)
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf("profiles:\n  prod:\n    hypedata: { api_key_command: [cat, %q] }\n", keyFile)), 0o644)

	cred, err := credentials.ConfigFile(path, "prod", "hypedata").Retrieve(context.Background())
	fmt.Println(cred.Key, err)
	fmt.Println(strings.ReplaceAll(cred.Source.String(), dir, "<dir>"))
	// Output:
	// hd_live_…Xy4z <nil>
	// config file <dir>/config.yaml, profile "prod", hypedata (api_key_command cat <dir>/vault-item)
}

func ExampleCommandWithTimeout() {
	// A secret store that may take a while to unlock: give it 30 seconds.
	p := credentials.CommandWithTimeout(30*time.Second, "echo", "hd_test_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z")
	cred, err := p.Retrieve(context.Background())
	fmt.Println(cred, err)
	// Output: hd_test_…Xy4z from command echo [key] <nil>
}

func ExampleSourceError() {
	os.Setenv("EXAMPLE_API_KEY", "hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z\n") // pasted with its newline
	defer os.Unsetenv("EXAMPLE_API_KEY")
	_, err := credentials.Chain(
		credentials.Env("EXAMPLE_API_KEY"),
		credentials.Static("hd_test_Zz3dEf6hIj9kLm2nOp5qRs8tUv1wXy4q"), // never used instead
	).Retrieve(context.Background())

	var se *credentials.SourceError
	if errors.As(err, &se) {
		fmt.Println("fix:", se.Source)
	}
	fmt.Println(errors.Is(err, apierrors.ErrMalformedToken))
	// Output:
	// fix: env EXAMPLE_API_KEY
	// true
}

func ExampleReport_String() {
	os.Unsetenv("EXAMPLE_MISSING_KEY")
	os.Setenv("EXAMPLE_API_KEY", "hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z")
	defer os.Unsetenv("EXAMPLE_API_KEY")
	r := credentials.Diagnose(context.Background(), keys.Hypedata,
		credentials.Env("EXAMPLE_MISSING_KEY"),
		credentials.Env("EXAMPLE_API_KEY"),
		credentials.Static("hd_test_Zz3dEf6hIj9kLm2nOp5qRs8tUv1wXy4q"),
	)
	fmt.Print(r)

	// Nowhere: the report ends with what to set.
	fmt.Print(credentials.Diagnose(context.Background(), keys.Hypedata, credentials.Env("EXAMPLE_MISSING_KEY")))
	// Output:
	// 1. env EXAMPLE_MISSING_KEY: not set
	// 2. env EXAMPLE_API_KEY: hd_live_…Xy4z (fp_nHEQrE-Wglmp)  <- used
	// 3. explicit option: hd_test_…Xy4q (fp_xAgRu4RdKn1W)  (shadowed by env EXAMPLE_API_KEY)
	// 1. env EXAMPLE_MISSING_KEY: not set
	// no source holds a key — to fix: set EXAMPLE_MISSING_KEY
}

// ReadDotEnv sees a .env file as the SDK does: here one saved by Notepad,
// with a UTF-8 byte-order mark.
func ExampleReadDotEnv() {
	dir, err := os.MkdirTemp("", "dotenv")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, ".env")
	if err := os.WriteFile(path, []byte("\uFEFFREGION=eu\nHYPEDATA_API_KEY=hd_test_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z\n"), 0o600); err != nil {
		fmt.Println(err)
		return
	}
	vars, err := credentials.ReadDotEnv(path)
	fmt.Println(len(vars), vars["REGION"], err)
	// Output: 2 eu <nil>
}

// A key that changes while clients use it: a rotation's Deploy step sets
// the new key, and each client's ResetCredential makes its next request
// read it.
func ExampleSwappable() {
	old, _ := keys.Parse("hd_live_" + strings.Repeat("a", 32))
	src := credentials.NewSwappable(old)
	cred, _ := src.Retrieve(context.Background())
	fmt.Println(cred.Key, "from", cred.Source)

	rotated, _ := keys.Parse("hd_live_" + strings.Repeat("b", 32))
	src.Set(rotated) // then c.ResetCredential() on each client using src
	cred, _ = src.Retrieve(context.Background())
	fmt.Println(cred.Key, "from", cred.Source)

	_, err := credentials.NewSwappable(keys.Key{}).Retrieve(context.Background())
	fmt.Println(errors.Is(err, apierrors.ErrMissingCredentials))
	// Output:
	// hd_live_…aaaa from swappable key
	// hd_live_…bbbb from swappable key
	// true
}
