package scan

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
)

// The generated corpora the accuracy tests and the benchmark read: text
// that looks like a repository's (code, configuration, logs, base64 blobs),
// deterministic for a seed.

// filler writes about n bytes of text without keys to w.
func filler(w *bytes.Buffer, r *rand.Rand, n int) {
	end := w.Len() + n
	for w.Len() < end {
		switch r.IntN(10) {
		case 0, 1, 2, 3:
			codeLine(w, r)
		case 4, 5, 6:
			logLine(w, r)
		case 7:
			configLine(w, r)
		case 8:
			proseLine(w, r)
		case 9:
			if r.IntN(4) == 0 {
				blob(w, r)
			} else {
				codeLine(w, r)
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

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func codeLine(w *bytes.Buffer, r *rand.Rand) {
	indent := strings.Repeat("\t", r.IntN(4))
	switch r.IntN(8) {
	case 0:
		fmt.Fprintf(w, "%sif %s != nil {\n", indent, pick(r, idents))
	case 1:
		fmt.Fprintf(w, "%s%s, %s := %s.%s(%s, %q)\n", indent, pick(r, idents), pick(r, idents), pick(r, idents),
			title(pick(r, words)), pick(r, idents), pick(r, words)+"/"+pick(r, words))
	case 2:
		fmt.Fprintf(w, "%sreturn fmt.Errorf(\"%s %s: %%w\", err)\n", indent, pick(r, words), pick(r, words))
	case 3:
		fmt.Fprintf(w, "%s// %s %s the %s %s when %s %s.\n", indent, title(pick(r, words)), pick(r, words),
			pick(r, words), pick(r, words), pick(r, words), pick(r, words))
	case 4:
		fmt.Fprintf(w, "%sdef %s_%s(self, %s=None, **kwargs):\n", indent, pick(r, words), pick(r, words), pick(r, idents))
	case 5:
		fmt.Fprintf(w, "%sconst %s = await fetch(`https://api.%s.example/v1/%s/${%s}`, { method: \"POST\" });\n",
			indent, pick(r, idents), pick(r, words), pick(r, words), pick(r, idents))
	case 6:
		fmt.Fprintf(w, "%sfor %s := 0; %s < len(%s); %s++ { %s[%s] = %d }\n", indent, "i", "i", pick(r, idents), "i",
			pick(r, idents), "i", r.IntN(100000))
	default:
		fmt.Fprintf(w, "%s}\n", indent)
	}
}

func logLine(w *bytes.Buffer, r *rand.Rand) {
	ts := fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02d.%03dZ", 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1000))
	if r.IntN(2) == 0 {
		fmt.Fprintf(w, "%s %s [%s] %s %s status=%d latency_ms=%d request_id=%s\n", ts, pick(r, levels), pick(r, words),
			pick(r, words), pick(r, words), 200+r.IntN(300), r.IntN(5000), uuidLike(r))
		return
	}
	fmt.Fprintf(w, `{"time":%q,"level":%q,"msg":"%s %s","path":"/v1/%s/%d","user_id":%d,"trace":"%016x"}`+"\n",
		ts, strings.ToLower(pick(r, levels)), pick(r, words), pick(r, words), pick(r, words), r.IntN(1e6), r.IntN(1e6), r.Uint64())
}

func configLine(w *bytes.Buffer, r *rand.Rand) {
	switch r.IntN(3) {
	case 0:
		fmt.Fprintf(w, "%s_%s=%s\n", strings.ToUpper(pick(r, words)), strings.ToUpper(pick(r, words)), pick(r, words))
	case 1:
		fmt.Fprintf(w, "  %s: %q\n", pick(r, words), pick(r, words)+"-"+pick(r, words))
	default:
		fmt.Fprintf(w, "%s = %d\n", pick(r, idents), r.IntN(1000))
	}
}

func proseLine(w *bytes.Buffer, r *rand.Rand) {
	n := 8 + r.IntN(12)
	for i := 0; i < n; i++ {
		if i > 0 {
			w.WriteByte(' ')
		}
		w.WriteString(pick(r, words))
	}
	w.WriteString(".\n")
}

// blob writes a base64 blob of random bytes: a PEM-like block of 64-column
// lines, or one long line (a data: URL, a JSON field).
func blob(w *bytes.Buffer, r *rand.Rand) {
	raw := make([]byte, 200+r.IntN(3000))
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	enc := pick(r, []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding}).EncodeToString(raw)
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

func uuidLike(r *rand.Rand) string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// keyless returns n bytes of generated text without keys.
func keyless(seed uint64, n int) []byte {
	var w bytes.Buffer
	filler(&w, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), n)
	return w.Bytes()
}

// title upper-cases an ASCII word's first letter.
func title(w string) string { return strings.ToUpper(w[:1]) + w[1:] }
