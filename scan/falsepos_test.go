package scan

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// jwtWith returns an unexpired HS256 JWT with the claims given.
func jwtWith(claims map[string]any) string {
	enc := base64.RawURLEncoding
	payload, _ := json.Marshal(claims)
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload) + "." +
		enc.EncodeToString([]byte("a signature that nobody can verify here"))
}

// TestJWTClaims: a JWT is a web3.storage token only when its claims say
// so (iss "web3-storage", a did: subject); any other is reported only
// WithGenericJWTs, as Service "JWT".
func TestJWTClaims(t *testing.T) {
	now := time.Now().UnixMilli()
	cases := []struct {
		claims map[string]any
		web3   bool
	}{
		{map[string]any{"sub": "did:ethr:0x5aBc1234dEf", "iss": "web3-storage", "iat": now, "name": "ci"}, true},
		{map[string]any{"sub": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "iss": "web3-storage"}, true},
		{map[string]any{"sub": "1234567890", "name": "John Doe", "iat": 1516239022}, false}, // PyJWT's README
		{map[string]any{"sub": "test", "iss": "web3-storage"}, false},                       // no DID
		{map[string]any{"sub": "did:ethr:0x1", "iss": "nft-storage"}, false},
		{map[string]any{"iss": "https://accounts.example.com", "aud": "istio", "exp": time.Now().Add(time.Hour).Unix()}, false},
		{map[string]any{"sub": "did:ethr:0x1", "iss": []string{"web3-storage"}}, false},
	}
	plain, _ := New()
	generic, _ := New(WithGenericJWTs())
	for _, c := range cases {
		tok := jwtWith(c.claims)
		text := "token: " + tok + "\n"
		got, err := plain.All(context.Background(), strings.NewReader(text))
		if err != nil || (len(got) == 1) != c.web3 || (c.web3 && got[0].Service != "web3.storage") {
			t.Errorf("%v: default scan found %v, %v; want a web3.storage token: %v", c.claims, got, err, c.web3)
		}
		got, err = generic.All(context.Background(), strings.NewReader(text))
		want := "web3.storage"
		if !c.web3 {
			want = GenericJWT
		}
		if err != nil || len(got) != 1 || got[0].Service != want {
			t.Errorf("%v: WithGenericJWTs found %v, %v; want one %s", c.claims, got, err, want)
		}
	}
}

// TestServiceWords: "envio" and "hypersync" name the service only as
// words of their own, and "envio" only beside a credential word, so that
// Portuguese and Spanish shipping text ("envio", "reenvio", "envios") and
// random tokens holding "eNvIO" do not make request ids HyperSync tokens.
func TestServiceWords(t *testing.T) {
	const u = "3f1c9a7e-2b4d-4e6f-8a0c-5d7b9e1f3a2c"
	for text, want := range map[string]bool{
		"ENVIO_API_TOKEN:\r\n  " + u + "\r\n":                     true, // CRLF, the value on the next line
		"envio:\r\n  api_token: " + u + "\r\n":                    true,
		"HypersyncClient(bearer_token=\"" + u + "\")":             true,
		"myEnvioKey = '" + u + "'":                                true,
		"Código de envio: " + u:                                   false,
		"O envio " + u + " foi entregue":                          false,
		"reenvio_token=" + u:                                      false,
		"envios: " + u:                                            false,
		"session=q8eNvIO2kd0aX9 request_id=" + u:                  false,
		"trace=abc-eNvIO-9 id=" + u:                               false, // a word, but no credential word
		"hypersyncer token " + u:                                  false,
		"# Envío\nkey: " + u:                                      false, // not the word (an accent)
		"ENVIO_API_TOKEN=\r\n" + u:                                true,
		"X-Envio-Api-Key: " + u:                                   true,
		"hypersync_url: https://eth.hypersync.xyz\nid: " + u:      true,
		"Envio de pedido #4411 (chave " + u + ") enviado por API": true, // names an API: taken as the service
	} {
		s, _ := New()
		got, err := s.All(context.Background(), strings.NewReader(text))
		if err != nil || (len(got) == 1) != want {
			t.Errorf("%q: %v, %v; want a finding: %v", text, got, err, want)
		}
	}
}

// TestShippingLog: a Portuguese shipping log (every line "envio" and a
// UUID order id) yields no finding.
func TestShippingLog(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 23))
	var w bytes.Buffer
	for i := 0; i < 20000; i++ {
		var id [16]byte
		for j := range id {
			id[j] = byte(r.IntN(256))
		}
		u := fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16])
		switch i % 4 {
		case 0:
			fmt.Fprintf(&w, "2026-03-01T10:%02d:00Z INFO envio %s criado para o cliente %d\n", i%60, u, r.IntN(1e6))
		case 1:
			fmt.Fprintf(&w, "Código de envio: %s — status: em trânsito\n", u)
		case 2:
			fmt.Fprintf(&w, "ENVIO %s REENVIO solicitado; envios pendentes: %d\n", u, r.IntN(9))
		default:
			fmt.Fprintf(&w, "El envío %s salió del almacén; envio=%s\n", u, u)
		}
	}
	s, _ := New()
	got, err := s.All(context.Background(), bytes.NewReader(w.Bytes()))
	if err != nil || len(got) != 0 {
		t.Fatalf("%d findings in a shipping log (first %v), %v; want none", len(got), first(got), err)
	}
}

func first(fs []Finding) any {
	if len(fs) == 0 {
		return nil
	}
	return fs[0]
}
