package keys_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

func ExampleParseError() {
	_, err := keys.Parse("hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1w!y4z", keys.Hypedata)

	var pe *keys.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Format, "key, position", pe.Position)
		fmt.Println(pe.Problem)
	}
	fmt.Println(errors.Is(err, apierrors.ErrMalformedToken))
	// Output:
	// Hypedata key, position 37
	// "!" at position 37; want URL-safe characters [A-Za-z0-9_-]
	// true
}

func ExampleKey_LogValue() {
	k, _ := keys.Parse("hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", keys.Hypedata)
	dropTime := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	logger.Info("calling the API", "key", k)
	// Output: level=INFO msg="calling the API" key=hd_live_…Xy4z
}

func ExampleKey_Reveal() {
	k, _ := keys.Parse("hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", keys.Hypedata)
	req, _ := http.NewRequest(http.MethodGet, "https://api.hypedata.io/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+k.Reveal()) // the moment it goes on the wire
	fmt.Println(len(req.Header.Get("Authorization")))
	// Output: 47
}

func ExampleKey_Equal() {
	a, _ := keys.Parse("hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", keys.Hypedata)
	b, _ := keys.Parse("hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", keys.Hypedata)
	c := a
	fmt.Println(a.Equal(b), a == b, a == c)
	// Output: true false true
}

func ExampleKey_IsZero() {
	var k keys.Key
	fmt.Println(k.IsZero(), k, k.Reveal() == "")
	// Output: true <no key> true
}

func ExampleCharset() {
	digits := keys.Charset("0123456789")
	pin := &keys.Format{Name: "PIN", Charset: digits, MinLength: 6, MaxLength: 6}
	_, err := pin.Parse("12a456")
	fmt.Println(err)
	// Output: PIN key: a letter (U+0061) at position 3; want one of 0123456789
}

func ExampleCharset_Contains() {
	fmt.Println(keys.URLSafe.Contains('-'), keys.Alphanumeric.Contains('-'), keys.Charset("").Contains('!'))
	// Output: true false true
}

func ExampleFormat_Parse() {
	// When prefixes overlap, the longest one that matches wins.
	sk := &keys.Format{
		Name:      "SK",
		Prefixes:  []keys.Prefix{{Text: "sk_", Env: keys.EnvLive}, {Text: "sk_test_", Env: keys.EnvTest}},
		Charset:   keys.Alphanumeric,
		MinLength: 16, MaxLength: 16,
	}
	k, err := sk.Parse("sk_test_0123456789abcdef")
	fmt.Println(k, k.Env(), err)
	// Output: sk_test_…cdef test <nil>
}

func ExampleEnv_String() {
	fmt.Println(keys.EnvLive, keys.EnvTest, keys.EnvUnknown)
	// Output: live test unknown
}
