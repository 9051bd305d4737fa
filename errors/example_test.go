package apierrors_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/apikit/apikit-go/errors"
)

func ExampleFromResponse() {
	resp := &http.Response{
		StatusCode: 401,
		Header:     http.Header{"X-Request-Id": {"req_7"}},
		Body:       io.NopCloser(strings.NewReader(`{"error":{"code":"revoked","message":"key revoked","reason":"leaked"}}`)),
	}
	err := apierrors.FromResponse(resp)
	fmt.Println(err)
	fmt.Println(errors.Is(err, apierrors.ErrRevoked), errors.Is(err, apierrors.ErrAuthentication))
	// Output:
	// 401 Unauthorized: revoked: key revoked; reason: leaked — this key was revoked: create or rotate to a new key [request id req_7]
	// true true
}

func ExampleError_as() {
	body := `{"error":{"code":"insufficient_scope","message":"this call needs serp","required_scope":"serp"}}`
	err := error(apierrors.Decode(403, http.Header{}, []byte(body)))

	var apiErr *apierrors.Error
	if errors.As(err, &apiErr) && apiErr.Code == apierrors.CodeInsufficientScope {
		fmt.Println("grant the key the scope", apiErr.RequiredScope)
	}
	// Output: grant the key the scope serp
}

func ExampleRetryAfter() {
	body := `{"success":false,"error":"RATE_LIMITED","message":"Hourly limit reached","retryAfter":3600}`
	err := error(apierrors.Decode(429, http.Header{}, []byte(body)))
	if d, ok := apierrors.RetryAfter(err); ok {
		fmt.Println("come back in", d)
	}
	fmt.Println(errors.Is(err, apierrors.ErrRateLimited))
	// Output:
	// come back in 1h0m0s
	// true
}

func ExampleDecode() {
	h := http.Header{"Www-Authenticate": {`Bearer realm="api", error="insufficient_scope", scope="billing"`}}
	e := apierrors.Decode(403, h, nil)
	fmt.Println(e.Code, e.RequiredScope)
	// Output: insufficient_scope billing
}
