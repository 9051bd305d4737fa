package credentials_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apikit/apikit-go/credentials"
	apierrors "github.com/apikit/apikit-go/errors"
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
