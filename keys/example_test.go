package keys_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

func ExampleParse() {
	k, err := keys.Parse("hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(k, k.Env(), k.Spec().Name)
	// Output: hd_live_…Xy4z live Hypedata
}

func ExampleParse_errors() {
	_, err := keys.Parse("hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z\n", keys.Hypedata)
	fmt.Println(err)
	fmt.Println(errors.Is(err, apierrors.ErrMalformedToken))

	_, err = keys.Parse("hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1w", keys.Hypedata)
	fmt.Println(err)
	// Output:
	// Hypedata key: has a trailing newline: was it read from a file or written with echo? trim it (echo -n, or strings.TrimSpace)
	// true
	// Hypedata key: the part after the prefix is 28 characters, want 32
}

func ExampleFormat() {
	acme := &keys.Format{
		Name:      "Acme",
		Prefixes:  []keys.Prefix{{Text: "acme_live_", Env: keys.EnvLive}, {Text: "acme_test_", Env: keys.EnvTest}},
		Charset:   keys.Alphanumeric,
		MinLength: 24, MaxLength: 24,
	}
	k, err := acme.Parse("acme_test_0123456789abcdefghijKLMN")
	fmt.Println(k, k.Env(), err)
	_, err = acme.Parse("acme_test_0123456789abcdefghij-LMN")
	fmt.Println(err)
	// Output:
	// acme_test_…KLMN test <nil>
	// Acme key: "-" at position 31; want letters and digits [A-Za-z0-9]
}

func ExampleKey_String() {
	k, _ := keys.Parse("hd_test_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", keys.Hypedata)
	cfg := struct {
		Service string
		Key     keys.Key
	}{"hypedata", k}
	b, _ := json.Marshal(cfg)
	fmt.Printf("%v\n%+v\n%#v\n%s\n", k, cfg, k, b)
	// Output:
	// hd_test_…Xy4z
	// {Service:hypedata Key:hd_test_…Xy4z}
	// keys.Key("hd_test_…Xy4z")
	// {"Service":"hypedata","Key":"hd_test_…Xy4z"}
}

func ExampleKey_Fingerprint() {
	k, _ := keys.Parse("hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", keys.Hypedata)
	again, _ := keys.Parse("hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", keys.Hypedata)
	fmt.Println(len(k.Fingerprint()), k.Fingerprint() == again.Fingerprint())
	// Output: 15 true
}

func ExampleKey_ID() {
	k, _ := keys.Parse("hopx_live_AbCd12345678.s3cr3t_value", keys.HopX)
	fmt.Println(k.ID(), k)
	// Output: AbCd12345678 hopx_live_…alue
}

func ExampleFormat_Generate() {
	k, err := keys.Hypedata.Generate(keys.EnvTest, nil)
	fmt.Println(err, k.Env(), len(k.Reveal()))
	// Output: <nil> test 40
}

func ExampleEnv() {
	k, _ := keys.Parse("hs_live_q7W-e9R_t2Y4u6I8", keys.Hypersave)
	if k.Env() == keys.EnvLive {
		fmt.Println("refusing to run tests with a live key")
	}
	// Output: refusing to run tests with a live key
}
