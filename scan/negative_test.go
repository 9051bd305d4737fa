package scan

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/apikit/apikit-go/keys"
)

// nearMisses returns strings that look like keys and are not: one
// character short or long, a character outside the charset, a broken
// structure, placeholders.
func nearMisses(t *testing.T, c *corpusBuilder) []string {
	secret := func(f *keys.Format, n int) string {
		cs := string(f.Charset)
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteByte(cs[c.r.IntN(len(cs))])
		}
		return b.String()
	}
	hd, hs, hx := keys.Hypedata, keys.Hypersave, keys.HopX
	id := func(n int) string { return secret(&keys.Format{Charset: keys.Alphanumeric}, n) }
	var out []string
	for i := 0; i < 4; i++ {
		jwt := c.key(t, keys.Web3Storage).Reveal()
		parts := strings.Split(jwt, ".")
		enc := base64.RawURLEncoding.EncodeToString
		u := c.key(t, keys.HyperSync).Reveal()
		out = append(out,
			"hd_live_"+secret(hd, 31), "hd_test_"+secret(hd, 33), "hd_live_"+secret(hd, 16)+"!"+secret(hd, 15),
			"hd_live_"+secret(hd, 16)+"é"+secret(hd, 15), "hd_live_"+secret(hd, 16)+" "+secret(hd, 15),
			"hs_live_"+secret(hs, 11), "hs_test_"+secret(hs, 257), "hs_live_"+secret(hs, 5)+"~"+secret(hs, 20),
			"hopx_live_"+id(11)+"."+secret(hx, 40), "hopx_live_"+id(13)+"."+secret(hx, 40),
			"hopx_test_"+id(5)+"-"+id(6)+"."+secret(hx, 40), "hopx_live_"+id(12)+secret(hx, 40),
			"hopx_live_"+id(12)+"."+secret(hx, 257),
			"acme_live_"+secret(acme, 23), "acme_test_"+secret(acme, 25), "acme_live_"+secret(acme, 10)+"_"+secret(acme, 13),
			"xhd_live_"+secret(hd, 32), "hd_live_"+secret(hd, 32)+"_x", "hd_liv_"+secret(hd, 32), "HD_LIVE_"+secret(hd, 32),
			parts[0]+"."+parts[1],                                                 // two parts
			parts[0][:len(parts[0])-2]+"."+parts[1]+"."+parts[2],                  // header cut short
			parts[0]+"."+enc([]byte(`not json`))+"."+parts[2],                     // payload not JSON
			parts[0]+"."+enc([]byte(`{"exp":1500000000,"sub":"x"}`))+"."+parts[2], // expired
			enc([]byte(`{"typ":"JWT"}`))+"."+parts[1]+"."+parts[2],                // no alg
			"ENVIO_API_TOKEN="+u[:35], "ENVIO_API_TOKEN="+u+"0", "ENVIO_API_TOKEN="+u[:9]+"g"+u[10:],
			"ENVIO_API_TOKEN="+strings.ReplaceAll(u, "-", ""), "HYPERSYNC_TOKEN="+u[:8]+"_"+u[9:],
			"ENVIO_API_TOKEN=not-a-uuid-but-a-token-value-0123456789\nrequest_id="+u, // the token has a value; the UUID below is another's
		)
	}
	return append(out,
		"hd_live_"+strings.Repeat("X", 32), "hd_live_"+strings.Repeat("x", 32), "hd_test_"+strings.Repeat("0", 32),
		"hd_live_<your-key>", "hd_live_<YOUR_API_KEY>", "hs_live_xxxxxxxxxxxx", "hs_live_...",
		"hd_live_your_api_key_"+secret(hd, 11), "hd_live_EXAMPLE"+secret(hd, 17), "hd_test_"+"0123456789abcdefghijklmnopqrstuv",
		"hd_live_"+strings.Repeat("abcd", 8), "hd_live_"+strings.Repeat("aB3_", 8), "hs_live_replace_with_yours_ok",
		"hopx_live_<keyId>.<secret>", "hopx_live_...", "hopx_live_XXXXXXXXXXXX.XXXXXXXXXXXXXXXXXXXXXXXX",
		"hopx_test_abcdefghijkl.xxxxxxxxxxxxxxxxxxxxxx",
		"ENVIO_API_TOKEN=00000000-0000-0000-0000-000000000000", "ENVIO_API_TOKEN=xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
		"ENVIO_API_TOKEN=12345678-1234-1234-1234-123456789012", "ENVIO_API_TOKEN=<your-envio-token>",
		"ENVIO_API_TOKEN=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "acme_live_"+strings.Repeat("Z", 24),
	)
}

// TestAccuracyNearMisses: not one finding in a corpus of near misses,
// raw and base64-encoded, among generated text whose UUIDs (request ids in
// logs) have no context.
func TestAccuracyNearMisses(t *testing.T) {
	c := newBuilder(11)
	misses := nearMisses(t, c)
	for _, m := range misses {
		// Text with request-id UUIDs, but not near a line that names
		// HyperSync: there, a UUID is reported, rightly.
		filler(&c.w, c.r, c.r.IntN(2000))
		c.quiet(contextWindow + 100)
		ctx := pick(c.r, rawContexts)
		if strings.Contains(ctx, "%q") {
			ctx = "client := New(WithAPIKey(\"%s\"))\n"
		}
		c.w.WriteString(strings.Replace(ctx, "%s", m, 1))
		for _, e := range encodings {
			c.w.WriteString("data: " + e.EncodeToString([]byte(m)) + "\n")
			c.w.WriteString("blob: " + e.EncodeToString([]byte("\x00\xff"+m[:5])) + e.EncodeToString([]byte(" "+m+"\n\x00")) + "\n")
		}
		c.quiet(contextWindow + 100)
	}
	corpus := c.w.Bytes()
	s, err := New(WithFormats(acme))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.All(context.Background(), bytes.NewReader(corpus))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range got {
		t.Errorf("near miss reported: %v: %q", f, line(corpus, f.Line))
	}
	t.Logf("%d near misses in %d bytes (%d UUIDs without context): %d findings",
		len(misses), len(corpus), bytes.Count(corpus, []byte("request_id=")), len(got))
}

func line(b []byte, n int) string {
	return strings.Split(string(b), "\n")[n-1]
}

// TestVendorExamples: the vendors' own example keys are not reported, and
// WithExamples reports exactly them, marked.
func TestVendorExamples(t *testing.T) {
	docs, err := os.ReadFile("testdata/vendor-docs.txt")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := New()
	got, err := s.All(context.Background(), bytes.NewReader(docs))
	if err != nil || len(got) != 0 {
		t.Fatalf("default scan of the vendors' docs: %v, %v; want no findings", got, err)
	}
	s, _ = New(WithExamples())
	got, err = s.All(context.Background(), bytes.NewReader(docs))
	if err != nil {
		t.Fatal(err)
	}
	// jwt.io's sample is no web3.storage token (its claims do not say so):
	// it is reported only as a generic JWT.
	want := []string{"Hypedata 6:31", "HopX 14:3", "HyperSync 21:19", "HyperSync 22:27"}
	if s, _ := New(WithExamples(), WithGenericJWTs()); s != nil {
		all, _ := s.All(context.Background(), bytes.NewReader(docs))
		if len(all) != len(want)+1 || all[2].Service != GenericJWT || !all[2].Example {
			t.Errorf("WithExamples, WithGenericJWTs: %v; want jwt.io's sample as a generic JWT example", all)
		}
	}
	var have []string
	for _, f := range got {
		have = append(have, f.Service+" "+strings.Split(f.String(), ": ")[0])
		if !f.Example || !strings.HasSuffix(f.String(), " example") {
			t.Errorf("%v: not marked as an example", f)
		}
	}
	if strings.Join(have, ", ") != strings.Join(want, ", ") {
		t.Errorf("WithExamples found %v, want %v", have, want)
	}
}
