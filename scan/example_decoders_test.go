package scan_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/apikit/apikit-go/scan"
)

// The forms a key takes in the wild are decoded; each finding's Chain says
// how the key was written.
func ExampleFinding_chain() {
	key := "hd_live_Q7w2Ls9XkR4vN1pZ8cT3yB6mH0dJ5fGa"
	text := "callback?auth=Bearer%20" + key + "&x=1\n" + // in a URL
		"dump: " + hex.EncodeToString([]byte("KEY="+key)) + "\n" + // hex
		"blob: " + base64.StdEncoding.EncodeToString([]byte("v: "+base64.StdEncoding.EncodeToString([]byte(key)))) + "\n"
	s, _ := scan.New()
	findings, _ := s.All(context.Background(), strings.NewReader(text))
	for _, f := range findings {
		fmt.Println(f.Line, f.Chain)
	}
	// Output:
	// 1 percent
	// 2 hex
	// 3 base64>base64
}

// A gzip stream (a zip, a UTF-16 file) is decoded before it is scanned:
// Decodable tells a caller that skips binary files not to skip it.
func ExampleDecodable() {
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte("# backup\nHYPEDATA_API_KEY=hd_live_Q7w2Ls9XkR4vN1pZ8cT3yB6mH0dJ5fGa\n"))
	w.Close()
	fmt.Println(scan.Decodable(gz.Bytes()), scan.Decodable([]byte("\x7fELF\x02\x01\x01\x00")))

	s, _ := scan.New()
	findings, _ := s.All(context.Background(), &gz)
	fmt.Println(findings[0])
	// Output:
	// true false
	// 2:18: Hypedata hd_live_…5fGa (fp_7v5cGQs-KLu3) gzip
}

// A JWT is a web3.storage token only when its claims say so; other JWTs
// are reported only WithGenericJWTs, as service "JWT".
func ExampleWithGenericJWTs() {
	// PyJWT's README token: {"some": "payload"}, HS256.
	text := "token = eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzb21lIjoicGF5bG9hZCJ9.4twFt5NiznN84AWoo1d7KO1T_yoc0Z6XOpOVswacPZg\n"
	plain, _ := scan.New()
	found, _ := plain.All(context.Background(), strings.NewReader(text))
	fmt.Println(len(found))

	generic, _ := scan.New(scan.WithGenericJWTs())
	found, _ = generic.All(context.Background(), strings.NewReader(text))
	fmt.Println(found[0].Service == scan.GenericJWT)
	// Output:
	// 0
	// true
}
