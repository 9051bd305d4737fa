package scan

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/apikit/apikit-go/keys"
)

// acme is a custom format, as a user declares one: the scanner must find
// its keys as it finds the built-in ones.
var acme = &keys.Format{
	Name:     "Acme",
	Prefixes: []keys.Prefix{{Text: "acme_live_", Env: keys.EnvLive}, {Text: "acme_test_", Env: keys.EnvTest}},
	Charset:  keys.Alphanumeric, MinLength: 24, MaxLength: 24,
}

// plant is a key written into a labelled corpus, and where.
type plant struct {
	off       int
	service   string
	enc       Encoding
	fp        string
	line, col int
}

// labelled builds a corpus of generated text with keys of every format
// planted in every encoding and several surroundings, and the list of
// them. Every key is random and distinct.
type corpusBuilder struct {
	w      bytes.Buffer
	r      *rand.Rand
	plants []plant
}

func newBuilder(seed uint64) *corpusBuilder {
	return &corpusBuilder{r: rand.New(rand.NewPCG(seed, seed+1))}
}

func (c *corpusBuilder) key(t testing.TB, f *keys.Format) keys.Key {
	env := keys.EnvLive
	if c.r.IntN(2) == 0 {
		env = keys.EnvTest
	}
	if len(f.Prefixes) == 0 {
		env = keys.EnvUnknown
	}
	k, err := f.Generate(env, rngReader{c.r})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type rngReader struct{ r *rand.Rand }

func (g rngReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(g.r.Uint32())
	}
	return len(p), nil
}

// quiet writes text with no UUIDs (and no keys), so that a UUID planted
// after a context word is the only UUID near it.
func (c *corpusBuilder) quiet(n int) {
	end := c.w.Len() + n
	for c.w.Len() < end {
		codeLine(&c.w, c.r)
	}
}

func (c *corpusBuilder) mark(k keys.Key, off int, enc Encoding) {
	c.plants = append(c.plants, plant{off: off, service: k.Spec().Name, enc: enc, fp: k.Fingerprint()})
}

var rawContexts = []string{"KEY=%s\n", "  \"api_key\": \"%s\",\n", "Authorization: Bearer %s\n", "export TOKEN='%s'\n",
	"%s\n", "client := New(WithAPIKey(%q))\n", "curl -H 'X-API-Key: %s' https://api.example\n", "key: %s # live\n"}

// raw plants k as it is.
func (c *corpusBuilder) raw(k keys.Key) {
	ctx := pick(c.r, rawContexts)
	before, _, _ := strings.Cut(ctx, "%")
	if strings.Contains(ctx, "%q") {
		before += `"`
	}
	c.mark(k, c.w.Len()+len(before), Raw)
	fmt.Fprintf(&c.w, ctx, k.Reveal())
}

var encodings = []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding}

// runAlphabet is the encoding a finding in b[from:to] must report: the
// alphabet its whole run of base64 characters shows, base64 when it shows
// neither.
func runAlphabet(b []byte, from, to int) Encoding {
	isB64 := func(c byte) bool {
		return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("+/-_", c) >= 0
	}
	for from > 0 && isB64(b[from-1]) {
		from--
	}
	for to < len(b) && isB64(b[to]) {
		to++
	}
	switch run := string(b[from:to]); {
	case strings.ContainsAny(run, "-_"):
		return Base64URL
	case strings.ContainsAny(run, "+/"):
		return Base64
	}
	return Base64
}

// encoded plants k base64-encoded, alone or inside a longer run whose
// plain text puts the key at any of the three byte alignments.
func (c *corpusBuilder) encoded(k keys.Key, inside bool) {
	e := encodings[c.r.IntN(len(encodings))]
	plain := []byte(k.Reveal())
	at := 0
	if inside {
		lead := make([]byte, c.r.IntN(40))
		for i := range lead {
			lead[i] = byte(c.r.Uint32())
		}
		lead = append(lead, pick(c.r, []byte(" =:\"'\n")))
		at = len(lead)
		plain = append(append(lead, plain...), []byte("\nmore: text after the key, then random bytes")...)
		for i := c.r.IntN(30); i > 0; i-- {
			plain = append(plain, byte(c.r.Uint32()))
		}
	}
	enc := e.EncodeToString(plain)
	label := fmt.Sprintf("secret-%d: ", c.r.IntN(100))
	start := c.w.Len() + len(label)
	first, end := start+4*at/3, start+(4*(at+len(k.Reveal()))+2)/3
	fmt.Fprintf(&c.w, "%s%s\n", label, enc)
	c.mark(k, first, runAlphabet(c.w.Bytes(), first, end))
}

// uuid plants a HyperSync token next to words naming its service.
func (c *corpusBuilder) uuid(t testing.TB) {
	k := c.key(t, keys.HyperSync)
	c.w.WriteString("\n")
	c.quiet(400)
	switch c.r.IntN(6) {
	case 0:
		c.w.WriteString("ENVIO_API_TOKEN=")
		c.mark(k, c.w.Len(), Raw)
		c.w.WriteString(k.Reveal() + "\n")
	case 1:
		c.w.WriteString("# HyperSync, the Envio indexer's data API\nhypersync:\n  token: \"")
		c.mark(k, c.w.Len(), Raw)
		c.w.WriteString(k.Reveal() + "\"\n")
	case 2:
		c.w.WriteString("client = HypersyncClient(bearer_token=\"")
		c.mark(k, c.w.Len(), Raw)
		c.w.WriteString(k.Reveal() + "\")\n")
	case 3:
		c.w.WriteString("  ENVIO_API_TOKEN: ")
		c.encoded(k, false)
	case 4:
		c.w.WriteString("# envio\n")
		c.encoded(k, true)
	default:
		// A whole .env file, base64-encoded: the variable's name is
		// encoded too.
		plain := pick(c.r, []string{"", "LOG_LEVEL=debug\n", "# indexer\nPORT=8080\n"}) + "ENVIO_API_TOKEN="
		at := len(plain)
		plain += k.Reveal() + "\nRPC_URL=https://eth.example\n"
		enc := pick(c.r, encodings).EncodeToString([]byte(plain))
		start := c.w.Len() + len("ENV_FILE: ")
		first, end := start+4*at/3, start+(4*(at+36)+2)/3
		c.w.WriteString("ENV_FILE: " + enc + "\n")
		c.mark(k, first, runAlphabet(c.w.Bytes(), first, end))
	}
	c.quiet(400)
}

func labelled(t testing.TB, seed uint64) ([]byte, []plant) {
	c := newBuilder(seed)
	formats := []*keys.Format{keys.Hypedata, keys.Hypersave, keys.HopX, keys.Web3Storage, acme}
	for round := 0; round < 24; round++ {
		for _, f := range formats {
			for mode := 0; mode < 3; mode++ {
				filler(&c.w, c.r, c.r.IntN(3000))
				// Filler ends its lines; a key may also start a line.
				k := c.key(t, f)
				switch mode {
				case 0:
					c.raw(k)
				case 1:
					c.encoded(k, false)
				default:
					c.encoded(k, true)
				}
			}
		}
		for i := 0; i < 3; i++ {
			c.uuid(t)
		}
	}
	// A key as the very last bytes, no newline after it.
	k := c.key(t, keys.Hypedata)
	c.mark(k, c.w.Len(), Raw)
	c.w.WriteString(k.Reveal())
	b := c.w.Bytes()
	for i := range c.plants {
		p := &c.plants[i]
		p.line = bytes.Count(b[:p.off], []byte{'\n'}) + 1
		p.col = p.off - bytes.LastIndexByte(b[:p.off], '\n')
	}
	return b, c.plants
}

// TestAccuracyPlanted: every planted key, in every format and encoding, is
// found on its line and column, with its service, encoding and
// fingerprint, and nothing else is found; whatever the chunk size and
// however the reader splits its reads.
func TestAccuracyPlanted(t *testing.T) {
	corpus, plants := labelled(t, 7)
	counts := map[string]int{}
	for _, p := range plants {
		counts[p.service+"/"+p.enc.String()]++
	}
	t.Logf("%d keys planted in %d bytes: %v", len(plants), len(corpus), counts)
	for _, tc := range []struct {
		name   string
		chunk  int
		noSWAR bool
	}{{"default", 0, false}, {"chunk 1000", 1000, false}, {"chunk 4097", 4097, false}, {"one IndexByte pass per anchor", 0, true}} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []Option{WithFormats(acme)}
			if tc.chunk > 0 {
				opts = append(opts, WithChunkSize(tc.chunk))
			}
			s, err := New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			if !s.swar.ok {
				t.Fatal("the built-in formats and acme's should fit one SWAR pass")
			}
			if tc.noSWAR {
				s.swar.ok = false // the path a Scanner with more anchor bytes takes
			}
			got, err := s.All(context.Background(), iotest.HalfReader(bytes.NewReader(corpus)))
			if err != nil {
				t.Fatal(err)
			}
			comparePlants(t, got, plants)
		})
	}
}

func comparePlants(t *testing.T, got []Finding, plants []plant) {
	t.Helper()
	byOff := map[int64]Finding{}
	for _, f := range got {
		if _, dup := byOff[f.Offset]; dup {
			t.Errorf("two findings at offset %d", f.Offset)
		}
		byOff[f.Offset] = f
	}
	for _, p := range plants {
		f, ok := byOff[int64(p.off)]
		if !ok {
			t.Errorf("missed: %s %s key at %d:%d (%s)", p.service, p.enc, p.line, p.col, p.fp)
			continue
		}
		delete(byOff, int64(p.off))
		if f.Line != p.line || f.Column != p.col || f.Service != p.service || f.Encoding != p.enc || f.Fingerprint != p.fp {
			t.Errorf("found %v, planted %s %s at %d:%d (%s)", f, p.service, p.enc, p.line, p.col, p.fp)
		}
	}
	for _, f := range byOff {
		t.Errorf("found what was not planted: %v", f)
	}
}
