package apierrors_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/apikit/apikit-go/errors"
)

func ExampleDecodeRedacted() {
	const key = "hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
	body := `{"error":{"code":"unknown_key","message":"no key ` + key + `"}}`
	e := apierrors.DecodeRedacted(401, http.Header{}, []byte(body), key)
	fmt.Println(e.Code, "|", e.Message)
	// Output: unknown_key | no key REDACTED
}

func ExampleFromResponse_echo() {
	// A server that echoes the key: FromResponse takes the key from the
	// request the response answers, and removes it.
	req, _ := http.NewRequest(http.MethodGet, "https://api.example.com/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer hs_live_q7W-e9R_t2Y4u6I8")
	resp := &http.Response{
		StatusCode: 401, Header: http.Header{}, Request: req,
		Body: io.NopCloser(strings.NewReader(`{"success":false,"error":"UNAUTHORIZED","message":"Invalid API key provided: hs_live_q7W-e9R_t2Y4u6I8"}`)),
	}
	fmt.Println(apierrors.FromResponse(resp))
	// Output: 401 Unauthorized: unknown_key (UNAUTHORIZED): Invalid API key provided: REDACTED — the service does not know this key: check it is the current key for this account and environment
}

func ExampleError_Temporary() {
	for _, status := range []int{429, 503, 401} {
		e := apierrors.Decode(status, http.Header{}, nil)
		fmt.Println(status, e.Temporary())
	}
	// Output:
	// 429 true
	// 503 true
	// 401 false
}

func ExampleError_Hint() {
	e := apierrors.Decode(403, http.Header{}, []byte(`{"error":{"code":"unauthorized_ip"}}`))
	fmt.Println(e.Hint())
	// Output: this IP is not on the key's allow-list: add it, or call from an allowed address
}

func ExampleError_Error() {
	e := &apierrors.Error{StatusCode: 429, Code: apierrors.CodeRateLimited, Message: "slow down",
		RetryAfter: 59548829699 * time.Nanosecond, RequestID: "req_1"}
	fmt.Println(e)
	// Output: 429 Too Many Requests: rate_limited: slow down — too many requests: slow down and retry after the wait (retry after 1m0s) [request id req_1]
}

func ExampleIs() {
	err := fmt.Errorf("listing keys: %w", apierrors.Decode(401, http.Header{}, []byte(`{"code":"ERROR_TOKEN_NOT_FOUND"}`)))
	fmt.Println(apierrors.Is(err, apierrors.ErrUnknownKey), apierrors.Is(err, apierrors.ErrAuthentication))
	// Output: true true
}

func ExampleCode_String() {
	fmt.Println(apierrors.CodeInsufficientScope.String())
	// Output: insufficient_scope
}
