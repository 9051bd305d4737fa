package scan_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/apikit/apikit-go/keys"
	"github.com/apikit/apikit-go/scan"
)

// A key written raw in a .env file and the same key base64-encoded in a
// Kubernetes secret: both are found, with where they are; neither the
// output nor the Finding holds the secret.
func Example() {
	key := "hd_live_Q7w2Ls9XkR4vN1pZ8cT3yB6mH0dJ5fGa"
	text := "HYPEDATA_API_KEY=" + key + "\n" +
		"data:\n  token: " + base64.StdEncoding.EncodeToString([]byte(key)) + "\n"

	s, err := scan.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	findings, err := s.All(context.Background(), strings.NewReader(text))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range findings {
		fmt.Println(f)
	}
	// Output:
	// 1:18: Hypedata hd_live_…5fGa (fp_7v5cGQs-KLu3)
	// 3:10: Hypedata hd_live_…5fGa (fp_7v5cGQs-KLu3) base64
}

// A UUID is a HyperSync token only where the text says so; placeholders
// and documentation examples are not keys.
func ExampleScanner_Scan() {
	text := `request_id=9b2f6c1e-4d3a-4f8b-a1c7-2e5d8f0b3a69
ENVIO_API_TOKEN=3f1c9a7e-2b4d-4e6f-8a0c-5d7b9e1f3a2c
HYPEDATA_API_KEY=hd_live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
`
	s, _ := scan.New()
	err := s.Scan(context.Background(), strings.NewReader(text), func(f scan.Finding) error {
		fmt.Println(f.Line, f.Column, f.Service, f.Fingerprint)
		return nil
	})
	fmt.Println(err)
	// Output:
	// 2 17 HyperSync fp_Rw3bEJMJXqfT
	// <nil>
}

// Your own key format is found as the built-in ones are.
func ExampleWithFormats() {
	acme := &keys.Format{
		Name:     "Acme",
		Prefixes: []keys.Prefix{{Text: "acme_live_", Env: keys.EnvLive}},
		Charset:  keys.Alphanumeric, MinLength: 24, MaxLength: 24,
	}
	s, err := scan.New(scan.WithFormats(acme))
	if err != nil {
		fmt.Println(err)
		return
	}
	fs, _ := s.All(context.Background(), strings.NewReader(`client := acme.New("acme_live_4hT9wQ2mZx7LkP1vR8sN3bYc")`))
	for _, f := range fs {
		fmt.Println(f.Service, f.Env, f.Column, f.Redacted)
	}
	// Output:
	// Acme live 21 acme_live_…3bYc
}

// WithKeys gives the key itself, for a program that acts on it; it still
// prints redacted.
func ExampleWithKeys() {
	s, _ := scan.New(scan.WithKeys())
	fs, _ := s.All(context.Background(), strings.NewReader("token: hs_test_Xb41Kq9sLm2Rz7Tw\n"))
	k := fs[0].Key()
	fmt.Println(k, k.Env(), k.Spec().Name)
	// Output:
	// hs_test_…z7Tw test Hypersave
}

// The vendors' documentation examples are reported only when asked for,
// and marked.
func ExampleWithExamples() {
	s, _ := scan.New(scan.WithExamples())
	fs, _ := s.All(context.Background(), strings.NewReader("Bearer hd_live_8K2nB7q4XwY1pVzR9tL6mDfC0sJaE3gH"))
	fmt.Println(fs[0].Example, fs[0])
	// Output:
	// true 1:8: Hypedata hd_live_…E3gH (fp_ob5kY9w4TMKD) example
}

// A Finding in JSON: where, what, never the secret.
func ExampleFinding_MarshalJSON() {
	s, _ := scan.New()
	fs, _ := s.All(context.Background(), strings.NewReader("export HOPX_API_KEY=hopx_live_Ab3dE5gH7jK9.r8Tq2Lw5Zx1Nc4Vb6Mn0Pk\n"))
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(fs[0])
	// Output:
	// {
	//   "line": 1,
	//   "column": 21,
	//   "offset": 20,
	//   "service": "HopX",
	//   "env": "live",
	//   "encoding": "raw",
	//   "redacted": "hopx_live_…n0Pk",
	//   "fingerprint": "fp_rfkfoQ37m6WV",
	//   "chain": "raw"
	// }
}

func ExampleEncoding_String() {
	fmt.Println(scan.Raw, scan.Base64, scan.Base64URL)
	// Output: raw base64 base64url
}

// New refuses what it cannot search for, and says why.
func ExampleNew() {
	bare := &keys.Format{Name: "Bare", Charset: keys.Hex, MinLength: 40, MaxLength: 40}
	_, err := scan.New(scan.WithFormats(bare))
	fmt.Println(err)
	// Output:
	// scan: the Bare format has no prefix: the scanner finds keys by their fixed prefix (for UUID or JWT keys, use keys.HyperSync or keys.Web3Storage)
}

// All collects the findings of a whole input, in order.
func ExampleScanner_All() {
	s, _ := scan.New()
	fs, err := s.All(context.Background(), strings.NewReader("a\nb hs_live_Xb41Kq9sLm2Rz7Tw\n"))
	fmt.Println(len(fs), fs[0].Line, fs[0].Column, err)
	// Output: 1 2 3 <nil>
}

// Only your own formats: the built-in ones are left out.
func ExampleWithoutBuiltins() {
	acme := &keys.Format{Name: "Acme", Prefixes: []keys.Prefix{{Text: "acme_", Env: keys.EnvLive}}, Charset: keys.Alphanumeric, MinLength: 20, MaxLength: 20}
	s, _ := scan.New(scan.WithoutBuiltins(), scan.WithFormats(acme))
	fs, _ := s.All(context.Background(), strings.NewReader("hs_live_Xb41Kq9sLm2Rz7Tw acme_Q2w9Er7Ty3Ui8Op1As4D"))
	for _, f := range fs {
		fmt.Println(f.Service, f.Column)
	}
	// Output: Acme 26
}

// The chunk size bounds memory; the findings are the same whatever it is.
func ExampleWithChunkSize() {
	text := strings.Repeat("filler line\n", 1000) + "HOPX_API_KEY=hopx_test_Ab3dE5gH7jK9.r8Tq2Lw5Zx1Nc4Vb6Mn0Pk\n"
	for _, size := range []int{64, 4096, 1 << 20} {
		s, _ := scan.New(scan.WithChunkSize(size))
		fs, _ := s.All(context.Background(), strings.NewReader(text))
		fmt.Println(size, fs[0])
	}
	// Output:
	// 64 1001:14: HopX hopx_test_…n0Pk (fp_OEDuVzTXoV-O)
	// 4096 1001:14: HopX hopx_test_…n0Pk (fp_OEDuVzTXoV-O)
	// 1048576 1001:14: HopX hopx_test_…n0Pk (fp_OEDuVzTXoV-O)
}
