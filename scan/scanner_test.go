package scan

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"go.uber.org/goleak"

	"github.com/apikit/apikit-go/keys"
)

// secretPieces returns every 8-byte run of the secret: none may appear in
// anything the scanner prints.
func secretPieces(secret string) []string {
	var out []string
	for i := 0; i+8 <= len(secret); i++ {
		out = append(out, secret[i:i+8])
	}
	return out
}

// TestFindingNeverPrintsTheSecret: String, every fmt verb, JSON and slog
// show the redacted key and fingerprint, never the secret, also with
// WithKeys.
func TestFindingNeverPrintsTheSecret(t *testing.T) {
	c := newBuilder(3)
	for _, f := range []*keys.Format{keys.Hypedata, keys.Hypersave, keys.HopX, keys.Web3Storage, keys.HyperSync, acme} {
		k := c.key(t, f)
		prefix := ""
		if f == keys.HyperSync {
			prefix = "ENVIO_API_TOKEN="
		}
		in := prefix + k.Reveal() + "\n" + prefix + base64.StdEncoding.EncodeToString([]byte(k.Reveal())) + "\n"
		s, err := New(WithFormats(acme), WithKeys())
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.All(context.Background(), strings.NewReader(in))
		if err != nil || len(got) != 2 {
			t.Fatalf("%s: %v, %v; want 2 findings", f.Name, got, err)
		}
		var out bytes.Buffer
		for _, fd := range got {
			if !fd.Key().Equal(k) {
				t.Errorf("%s: Key() is not the key found", f.Name)
			}
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T"} {
				fmt.Fprintf(&out, verb+"\n", fd)
			}
			fmt.Fprintf(&out, "%v %+v %#v\n", []Finding{fd}, &fd, struct{ F Finding }{fd})
			out.WriteString(fd.String() + fd.GoString())
			j, _ := json.Marshal(fd)
			out.Write(j)
			slog.New(slog.NewTextHandler(&out, nil)).Info("found", "finding", fd)
			slog.New(slog.NewJSONHandler(&out, nil)).Info("found", "finding", fd)
		}
		public, _, _ := strings.Cut(k.String(), "…") // the prefix, which is no secret
		for _, p := range secretPieces(strings.TrimPrefix(k.Reveal(), public)) {
			if strings.Contains(out.String(), p) {
				t.Fatalf("%s: the output holds %q of the secret:\n%s", f.Name, p, out.String())
			}
		}
		if !strings.Contains(out.String(), k.Fingerprint()) || !strings.Contains(out.String(), k.String()) {
			t.Errorf("%s: the output lacks the fingerprint or the redacted key:\n%s", f.Name, out.String())
		}
	}
}

func TestFindingJSON(t *testing.T) {
	f := Finding{Line: 3, Column: 7, Offset: 40, Service: "Hypedata", Env: keys.EnvLive, Encoding: Base64URL,
		Redacted: "hd_live_…9fQx", Fingerprint: "fp_abc"}
	j, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"line":3,"column":7,"offset":40,"service":"Hypedata","env":"live","encoding":"base64url","redacted":"hd_live_…9fQx","fingerprint":"fp_abc"}`
	if string(j) != want {
		t.Errorf("JSON\n got %s\nwant %s", j, want)
	}
	if got := fmt.Sprint(f); got != "3:7: Hypedata hd_live_…9fQx (fp_abc) base64url" {
		t.Errorf("String: %s", got)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string][]Option{
		"nil format":           {WithFormats(nil)},
		"no prefix":            {WithFormats(&keys.Format{Name: "Bare", Charset: keys.Hex, MinLength: 32, MaxLength: 32})},
		"invalid format":       {WithFormats(&keys.Format{Name: "Bad", Prefixes: []keys.Prefix{{Text: "b_"}}, MinLength: 9, MaxLength: 3})},
		"no formats":           {WithoutBuiltins()},
		"zero chunk":           {WithChunkSize(0)},
		"one-character prefix": {WithFormats(&keys.Format{Name: "K", Prefixes: []keys.Prefix{{Text: "k"}}, Charset: keys.Hex, MinLength: 20, MaxLength: 20})},
		"negative chunk size":  {WithChunkSize(-5)},
	} {
		if s, err := New(opts...); err == nil || s != nil {
			t.Errorf("%s: New = %v, %v; want an error", name, s, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := New(nil, WithoutBuiltins(), WithFormats(acme, acme)); err != nil {
		t.Errorf("a nil option and a format given twice: %v", err)
	}
}

// TestShortPrefix: a format with a 2-character prefix is found raw; with 3
// characters, base64-encoded too.
func TestShortPrefix(t *testing.T) {
	two := &keys.Format{Name: "Two", Prefixes: []keys.Prefix{{Text: "k_", Env: keys.EnvLive}}, Charset: keys.Alphanumeric, MinLength: 24, MaxLength: 24}
	three := &keys.Format{Name: "Three", Prefixes: []keys.Prefix{{Text: "kk_", Env: keys.EnvLive}}, Charset: keys.Alphanumeric, MinLength: 24, MaxLength: 24}
	s, err := New(WithoutBuiltins(), WithFormats(two, three))
	if err != nil {
		t.Fatal(err)
	}
	k2, err := two.Generate(keys.EnvLive, nil)
	if err != nil {
		t.Fatal(err)
	}
	k3, err := three.Generate(keys.EnvLive, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := k2.Reveal() + "\n" + k3.Reveal() + "\n" + base64.StdEncoding.EncodeToString([]byte(k3.Reveal())) + "\n"
	got, err := s.All(context.Background(), strings.NewReader(in))
	if err != nil || len(got) != 3 || got[0].Service != "Two" || got[2].Encoding != Base64 {
		t.Errorf("got %v, %v", got, err)
	}
}

func TestWithoutBuiltins(t *testing.T) {
	c := newBuilder(5)
	in := c.key(t, keys.Hypedata).Reveal() + " " + c.key(t, acme).Reveal()
	s, _ := New(WithoutBuiltins(), WithFormats(acme))
	got, _ := s.All(context.Background(), strings.NewReader(in))
	if len(got) != 1 || got[0].Service != "Acme" || got[0].Column != 42 {
		t.Errorf("got %v; want the Acme key only, at column 42", got)
	}
}

func TestScanStopsOnCallbackErrorAndContext(t *testing.T) {
	c := newBuilder(6)
	in := strings.Repeat(c.key(t, keys.Hypedata).Reveal()+"\n", 3)
	s, _ := New()
	stop := errors.New("enough")
	n := 0
	err := s.Scan(context.Background(), strings.NewReader(in), func(Finding) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Scan = %v after %d findings; want the callback's error after 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Scan(ctx, strings.NewReader(in), func(Finding) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan with a cancelled context = %v", err)
	}
	if err := s.Scan(context.Background(), nil, func(Finding) error { return nil }); err == nil {
		t.Error("Scan of a nil reader: no error")
	}
}

func TestReadErrorIsWrapped(t *testing.T) {
	s, _ := New()
	boom := errors.New("disk on fire")
	k := newBuilder(4).key(t, keys.Hypedata)
	in := "abc " + k.Reveal() + "\n"
	var got []Finding
	err := s.Scan(context.Background(), io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)), func(f Finding) error {
		got = append(got, f)
		return nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), fmt.Sprintf("reading the input at byte %d", len(in))) {
		t.Errorf("Scan = %v", err)
	}
	if len(got) != 1 || got[0].Column != 5 {
		t.Errorf("what was read before the error: %v; want the key at 1:5", got)
	}
}

// TestLongLineAndBoundaries: a key far into a line of megabytes, and keys
// straddling every position of a chunk boundary, are each found once, at
// the right column.
func TestLongLineAndBoundaries(t *testing.T) {
	c := newBuilder(8)
	k := c.key(t, keys.Hypedata)
	in := strings.Repeat("a=b ", 1<<18) + k.Reveal() + " " + strings.Repeat("c", 1<<20)
	s, _ := New(WithChunkSize(4096))
	got, err := s.All(context.Background(), strings.NewReader(in))
	if err != nil || len(got) != 1 || got[0].Line != 1 || got[0].Column != 1<<20+1 {
		t.Fatalf("got %v, %v; want one finding at 1:%d", got, err, 1<<20+1)
	}
	// In a base64url run longer than any chunk, the run's alphabet shows
	// 400 bytes before the key (and not after it): the same whatever the chunk.
	run := base64.URLEncoding.EncodeToString(append(append(bytes.Repeat([]byte{0xfb}, 3), bytes.Repeat([]byte{0}, 297)...),
		[]byte(" "+k.Reveal()+" ")...)) + strings.Repeat("A", 5000)
	for _, chunk := range []int{1, 100, 700, 4096, 1 << 20} {
		s, _ := New(WithChunkSize(chunk))
		got, err := s.All(context.Background(), strings.NewReader(run))
		if err != nil || len(got) != 1 || got[0].Encoding != Base64URL {
			t.Fatalf("chunk %d: got %v, %v; want one base64url finding", chunk, got, err)
		}
	}
	enc := base64.StdEncoding.EncodeToString([]byte(k.Reveal()))
	for _, text := range []string{k.Reveal(), enc} {
		for pad := 0; pad < 80; pad++ {
			in := strings.Repeat("x", 100-pad) + "\n" + strings.Repeat(" ", pad) + text + "\n"
			s, _ := New(WithChunkSize(100))
			got, err := s.All(context.Background(), iotest.OneByteReader(strings.NewReader(in)))
			if err != nil || len(got) != 1 || got[0].Line != 2 || got[0].Column != pad+1 {
				t.Fatalf("pad %d: got %v, %v; want one finding at 2:%d", pad, got, err, pad+1)
			}
		}
	}
}

// TestUUIDContext: a UUID is a HyperSync token when a word naming the
// service comes before it on its line or the line above, or after it on
// its line; not otherwise.
func TestUUIDContext(t *testing.T) {
	const u = "3f1c9a7e-2b4d-4e6f-8a0c-5d7b9e1f3a2c"
	for text, want := range map[string]bool{
		"ENVIO_API_TOKEN=" + u:                            true,
		"envio_token: '" + u + "'":                        true,
		"# HyperSync\ntoken = " + u:                       true,
		"hypersync:\n  bearer: " + u:                      true,
		"token = " + u + " # Envio":                       true,
		"HYPERSYNC_URL=https://eth.hypersync.xyz\n" + u:   true,
		"# envio\n\ntoken = " + u:                         false,
		"token = " + u + "\n# envio":                      false,
		"request_id=" + u:                                 false,
		"ENVIO_API_TOKEN=" + strings.Repeat(" ", 300) + u: false,
		"environment=" + u:                                false,
		"ENVIO" + u:                                       false,
	} {
		s, _ := New()
		got, err := s.All(context.Background(), strings.NewReader(text))
		if err != nil || (len(got) == 1) != want {
			t.Errorf("%q: %v, %v; want a finding: %v", text, got, err, want)
		}
	}
}

// TestConcurrentScans: one Scanner serves many goroutines at once (run
// with -race), each getting its own findings.
func TestConcurrentScans(t *testing.T) {
	defer goleak.VerifyNone(t)
	corpus, plants := labelled(t, 21)
	s, err := New(WithFormats(acme), WithChunkSize(8192))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([][]Finding, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.All(context.Background(), bytes.NewReader(corpus))
		}()
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		comparePlants(t, results[i], plants)
	}
}
