package apierrors_test

import (
	"fmt"
	"net/http"

	"github.com/apikit/apikit-go/errors"
)

// A server that echoes the start of the key: the piece of the secret is
// removed, the key's kind ("hd_live_") stays.
func ExampleRedactor_Decode() {
	r := apierrors.NewRedactor("hd_live_8K2nB7q4XwY1mZ5pR3tV9cJ6fH0sLdQa") // once per key
	e := r.Decode(http.StatusUnauthorized, nil,
		[]byte(`{"error":{"code":"unknown_key","message":"key hd_live_8K2nB7q4XwY1… is not known"}}`))
	fmt.Println(e.Message)
	// Output: key hd_live_REDACTED… is not known
}

func ExampleRedactor_Redact() {
	r := apierrors.NewRedactor("hd_live_8K2nB7q4XwY1mZ5pR3tV9cJ6fH0sLdQa")
	fmt.Println(r.Redact("upstream said: bad token …4XwY1mZ5pR3t…"))
	fmt.Println(r.Redact("hd_live_ keys cannot call this endpoint"))
	// Output:
	// upstream said: bad token …REDACTED…
	// hd_live_ keys cannot call this endpoint
}
