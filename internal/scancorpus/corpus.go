// Package scancorpus generates the text the leak scanner is measured on:
// code, configuration, logs with request-id UUIDs, prose and base64 blobs,
// deterministic for a seed. The scan package's accuracy tests and benchmark
// and scripts/scanbench share it, so that the figures in docs/SCANNING.md
// are all taken on the same kind of text.
package scancorpus

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Filler writes about n bytes of text without keys to w.
func Filler(w *bytes.Buffer, r *rand.Rand, n int) {
	end := w.Len() + n
	for w.Len() < end {
		switch r.IntN(10) {
		case 0, 1, 2, 3:
			CodeLine(w, r)
		case 4, 5, 6:
			logLine(w, r)
		case 7:
			configLine(w, r)
		case 8:
			proseLine(w, r)
		case 9:
			if r.IntN(16) == 0 { // about a fifth of the bytes
				Blob(w, r)
			} else {
				CodeLine(w, r)
			}
		}
	}
}

var (
	words = strings.Fields(`the request client server retry limit key token value error response header body
		context deadline timeout config service account user project build test data cache queue stream event
		handler worker pool buffer reader writer parse format encode decode status code message result item list
		map index offset length count total start end next prev first last open close read write send receive
		live test env file path line column name id type kind mode level info warn debug trace api http json
		yaml base64 hash sign verify rotate revoke create delete update fetch store load save commit push pull`)
	idents = strings.Fields(`ctx err req resp client cfg opts buf n i j k s b p r w f t v ok key val
		maxRetries retryAfter baseURL httpClient requestID statusCode userID apiVersion timeout_ms
		user_id request_id max_retries api_base_url created_at updated_at is_live rate_limit`)
	levels = []string{"INFO", "WARN", "DEBUG", "ERROR", "TRACE"}
)

// Pick returns one of xs at random.
func Pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// CodeLine writes a line of Go, Python or JavaScript.
func CodeLine(w *bytes.Buffer, r *rand.Rand) {
	indent := strings.Repeat("\t", r.IntN(4))
	switch r.IntN(8) {
	case 0:
		fmt.Fprintf(w, "%sif %s != nil {\n", indent, Pick(r, idents))
	case 1:
		fmt.Fprintf(w, "%s%s, %s := %s.%s(%s, %q)\n", indent, Pick(r, idents), Pick(r, idents), Pick(r, idents),
			title(Pick(r, words)), Pick(r, idents), Pick(r, words)+"/"+Pick(r, words))
	case 2:
		fmt.Fprintf(w, "%sreturn fmt.Errorf(\"%s %s: %%w\", err)\n", indent, Pick(r, words), Pick(r, words))
	case 3:
		fmt.Fprintf(w, "%s// %s %s the %s %s when %s %s.\n", indent, title(Pick(r, words)), Pick(r, words),
			Pick(r, words), Pick(r, words), Pick(r, words), Pick(r, words))
	case 4:
		fmt.Fprintf(w, "%sdef %s_%s(self, %s=None, **kwargs):\n", indent, Pick(r, words), Pick(r, words), Pick(r, idents))
	case 5:
		fmt.Fprintf(w, "%sconst %s = await fetch(`https://api.%s.example/v1/%s/${%s}`, { method: \"POST\" });\n",
			indent, Pick(r, idents), Pick(r, words), Pick(r, words), Pick(r, idents))
	case 6:
		fmt.Fprintf(w, "%sfor %s := 0; %s < len(%s); %s++ { %s[%s] = %d }\n", indent, "i", "i", Pick(r, idents), "i",
			Pick(r, idents), "i", r.IntN(100000))
	default:
		fmt.Fprintf(w, "%s}\n", indent)
	}
}

func logLine(w *bytes.Buffer, r *rand.Rand) {
	ts := fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02d.%03dZ", 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1000))
	if r.IntN(2) == 0 {
		fmt.Fprintf(w, "%s %s [%s] %s %s status=%d latency_ms=%d request_id=%s\n", ts, Pick(r, levels), Pick(r, words),
			Pick(r, words), Pick(r, words), 200+r.IntN(300), r.IntN(5000), UUIDLike(r))
		return
	}
	fmt.Fprintf(w, `{"time":%q,"level":%q,"msg":"%s %s","path":"/v1/%s/%d","user_id":%d,"trace":"%016x"}`+"\n",
		ts, strings.ToLower(Pick(r, levels)), Pick(r, words), Pick(r, words), Pick(r, words), r.IntN(1e6), r.IntN(1e6), r.Uint64())
}

func configLine(w *bytes.Buffer, r *rand.Rand) {
	switch r.IntN(3) {
	case 0:
		fmt.Fprintf(w, "%s_%s=%s\n", strings.ToUpper(Pick(r, words)), strings.ToUpper(Pick(r, words)), Pick(r, words))
	case 1:
		fmt.Fprintf(w, "  %s: %q\n", Pick(r, words), Pick(r, words)+"-"+Pick(r, words))
	default:
		fmt.Fprintf(w, "%s = %d\n", Pick(r, idents), r.IntN(1000))
	}
}

func proseLine(w *bytes.Buffer, r *rand.Rand) {
	n := 8 + r.IntN(12)
	for i := 0; i < n; i++ {
		if i > 0 {
			w.WriteByte(' ')
		}
		w.WriteString(Pick(r, words))
	}
	w.WriteString(".\n")
}

// Blob writes a base64 blob of random bytes: a PEM-like block of 64-column
// lines, or one long line (a data: URL, a JSON field).
func Blob(w *bytes.Buffer, r *rand.Rand) {
	raw := make([]byte, 200+r.IntN(3000))
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	enc := Pick(r, []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding}).EncodeToString(raw)
	if r.IntN(2) == 0 {
		fmt.Fprintf(w, "  \"image\": \"data:image/png;base64,%s\",\n", enc)
		return
	}
	w.WriteString("-----BEGIN CERTIFICATE-----\n")
	for len(enc) > 64 {
		w.WriteString(enc[:64])
		w.WriteByte('\n')
		enc = enc[64:]
	}
	w.WriteString(enc + "\n-----END CERTIFICATE-----\n")
}

// UUIDLike returns a random UUID-shaped string, like a request id.
func UUIDLike(r *rand.Rand) string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Keyless returns n bytes of generated text without keys: code,
// configuration, logs and prose, with about a fifth of the bytes in base64
// blobs.
func Keyless(seed uint64, n int) []byte {
	var w bytes.Buffer
	Filler(&w, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), n)
	return w.Bytes()
}

// Blobs returns n bytes of base64 blobs only (certificates, data: URLs),
// the scanner's hardest text: every base64 needle's anchor is as frequent
// there as any other letter.
func Blobs(seed uint64, n int) []byte {
	var w bytes.Buffer
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for w.Len() < n {
		Blob(&w, r)
	}
	return w.Bytes()
}

// title upper-cases an ASCII word's first letter.
func title(w string) string { return strings.ToUpper(w[:1]) + w[1:] }
