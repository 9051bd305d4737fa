package clienttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

// Start a HopX server, issue a key and list templates (HopX's documented
// key test) with plain net/http.
func ExampleNewServer() {
	srv := clienttest.NewServer(client.HopX)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "billing-worker"})

	req, _ := http.NewRequest("GET", srv.URL+"/v1/templates", nil)
	req.Header.Set("X-API-Key", key.Reveal()) // or Authorization: Bearer
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status)
	fmt.Println(len(list.Data) > 0, list.Data[0].ID)
	// Output:
	// 200 OK
	// true code-interpreter
}

// A failure in any dialect becomes an *apierrors.Error that matches its
// class and code sentinels.
func ExampleServer_SetBalance() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "scraper"})
	srv.SetBalance(0)

	req, _ := http.NewRequest("GET", srv.URL+"/v1/scrape?url=https://example.com", nil)
	req.Header.Set("Authorization", "Bearer "+key.Reveal())
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = apierrors.FromResponse(resp) // reads and closes the body
	var apiErr *apierrors.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
	}
	fmt.Println("payment:", errors.Is(err, apierrors.ErrPayment))
	fmt.Println("workspace balance:", errors.Is(err, apierrors.ErrWorkspaceBalance))
	fmt.Println("key ceiling:", errors.Is(err, apierrors.ErrKeyCeilingExceeded))
	fmt.Println("authentication:", errors.Is(err, apierrors.ErrAuthentication))
	// Output:
	// 402 workspace_balance
	// payment: true
	// workspace balance: true
	// key ceiling: false
	// authentication: false
}

// Expiry on a fake clock: no sleeping, the same answer on every run.
func ExampleFakeClock_Advance() {
	clock := clienttest.NewFakeClock(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.Web3Storage, clienttest.WithClock(clock))
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "trial", ExpiresAt: clock.Now().Add(7 * 24 * time.Hour)})

	call := func() {
		req, _ := http.NewRequest("GET", srv.URL+"/user/uploads", nil)
		req.Header.Set("Authorization", "Bearer "+key.Reveal())
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		err = apierrors.FromResponse(resp)
		// web3 answers an expired token 403 ERROR_TOKEN_BLOCKED: the SDK
		// can only call it a permission error.
		fmt.Println(resp.StatusCode, errors.Is(err, apierrors.ErrPermission))
	}
	call()
	clock.Advance(7 * 24 * time.Hour)
	call()
	// Output:
	// 200 false
	// 403 true
}

// Rate limits count in windows of the server's clock.
func ExampleWithClock() {
	clock := clienttest.NewFakeClock(time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.HyperSync, clienttest.WithClock(clock))
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "indexer", RateLimitPerSecond: 2})

	call := func() {
		req, _ := http.NewRequest("GET", srv.URL+"/height", nil)
		req.Header.Set("Authorization", "Bearer "+key.Reveal())
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Printf("%d remaining=%s retry-after=%q\n", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"), resp.Header.Get("Retry-After"))
	}
	call()
	call()
	call()
	clock.Advance(time.Second)
	call()
	// Output:
	// 200 remaining=1 retry-after=""
	// 200 remaining=0 retry-after=""
	// 429 remaining=0 retry-after="1"
	// 200 remaining=1 retry-after=""
}

// The SDK retries injected failures; a retry hook sees each one.
func ExampleServer_DropNext() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "flaky-network"})
	c, _ := srv.NewClient(key,
		client.WithRetryWait(time.Millisecond, time.Millisecond),
		client.WithRetryHook(func(ev client.RetryEvent) {
			fmt.Println("retrying after attempt", ev.Attempt, "status", ev.StatusCode)
		}))
	defer c.CloseIdleConnections()

	srv.DropNext(1) // the connection is closed without an answer: status 0
	srv.FailNext(1, http.StatusBadGateway, 0)
	who, err := c.Verify(context.Background())
	fmt.Println(who.Name, err)
	// Output:
	// retrying after attempt 1 status 0
	// retrying after attempt 2 status 502
	// flaky-network <nil>
}

// An Idempotency-Key makes a repeated POST a replay, not a second job.
func ExampleServer_JobsProcessed() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "queue", Scopes: []string{"jobs"}})
	c, _ := srv.NewClient(key, client.WithRetryWait(time.Millisecond, time.Millisecond))
	defer c.CloseIdleConnections()

	var first, second struct{ ID string }
	ctx := context.Background()
	srv.FailNext(1, http.StatusServiceUnavailable, 0) // the first attempt fails; the SDK retries the POST
	_ = c.DoWith(ctx, "POST", "/v1/jobs", map[string]string{"url": "https://example.com"}, &first, client.WithIdempotencyKey("nightly-2027-01-01"))
	_ = c.DoWith(ctx, "POST", "/v1/jobs", map[string]string{"url": "https://example.com"}, &second, client.WithIdempotencyKey("nightly-2027-01-01"))
	fmt.Println(first.ID == second.ID, srv.JobsProcessed())
	// Output: true 1
}

// Key management over HTTP: create a key, regenerate its secret, revoke it.
func ExampleServer_NewClient() {
	clock := clienttest.NewFakeClock(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	defer srv.Close()
	admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	c, _ := srv.NewClient(admin)
	defer c.CloseIdleConnections()
	ctx := context.Background()

	works := func(k keys.Key) error {
		kc, _ := srv.NewClient(k, client.WithMaxRetries(0))
		defer kc.CloseIdleConnections()
		_, err := kc.Verify(ctx)
		return err
	}
	nk, _ := c.Keys().Create(ctx, client.CreateKeyParams{Name: "deploy", Environment: "test"})
	fmt.Println(nk.Name, nk.Environment, nk.Secret.Env(), works(nk.Secret))

	rk, _ := c.Keys().Regenerate(ctx, nk.ID)
	fmt.Println("old secret unknown:", errors.Is(works(nk.Secret), apierrors.ErrUnknownKey))
	fmt.Println("new secret works:", works(rk.Secret) == nil)

	info, _ := c.Keys().Revoke(ctx, nk.ID, "project ended")
	fmt.Println(info.RevokedAt.Format(time.DateOnly), info.RevokedReason)
	var apiErr *apierrors.Error
	if errors.As(works(rk.Secret), &apiErr) {
		fmt.Println(apiErr.Code, apiErr.Reason)
	}
	// Output:
	// deploy test test <nil>
	// old secret unknown: true
	// new secret works: true
	// 2027-01-01 project ended
	// revoked project ended
}

// A rotation test: the client reads its key from a credentials.Swappable,
// which replaces the key given to NewClient; the test's Deploy step swaps
// the key in, as a secret store would, and the old key is revoked only once
// the client uses the new one.
func ExampleServer_NewClient_rotation() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	ctx := context.Background()
	admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	ac, _ := srv.NewClient(admin)
	defer ac.CloseIdleConnections()
	old, oldInfo, _ := srv.IssueKey(clienttest.KeyParams{Name: "worker"})

	store := credentials.NewSwappable(old)
	worker, _ := srv.NewClient(old, client.WithCredentials(store))
	defer worker.CloseIdleConnections()
	fmt.Println("before:", worker.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil))

	res, err := ac.Keys().Rotate(ctx, oldInfo.ID, client.RotateOptions{
		Deploy: func(_ context.Context, nk *client.NewKey) error {
			store.Set(nk.Secret)
			worker.ResetCredential()
			return nil
		},
		PollInterval: time.Millisecond, MaxPollInterval: time.Millisecond, // the old key's traffic has stopped
	})
	fmt.Println("rotated:", err, res.Old.RevokedAt != nil)
	fmt.Println("after:", worker.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil))
	// Output:
	// before: <nil>
	// rotated: <nil> true
	// after: <nil>
}

// Without WithBalance the workspace never runs out of credits: a test that
// loops is not refused with 402 workspace_balance.
func ExampleUnlimited() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "loop"})
	c, _ := srv.NewClient(key)
	defer c.CloseIdleConnections()
	for range 600 { // 1,200 credits of serp
		if err := c.Do(context.Background(), "GET", "/v1/serp?q=go", nil, nil); err != nil {
			fmt.Println(err)
			return
		}
	}
	u, _ := srv.Usage(info.ID)
	fmt.Println("credits used:", u.Credits, "unlimited:", srv.Balance() == clienttest.Unlimited)
	// Output: credits used: 1200 unlimited: true
}
