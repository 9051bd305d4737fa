package client_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/keys"
)

func ExampleNew() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "example", Env: keys.EnvTest})

	c, err := client.New(
		client.WithService(client.Hypedata),
		client.WithBaseURL(srv.URL),     // a test server; leave out for the real API
		client.WithAPIKey(key.Reveal()), // or leave out: HYPEDATA_API_KEY, .env, config file
		client.WithMaxRetries(2),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	cred, _ := c.Credential(context.Background())
	fmt.Println(cred.Source, cred.Key.Env())
	// Output: explicit option test
}

func ExampleClient_Do() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "example", Scopes: []string{"serp"}})
	c, _ := srv.NewClient(key)

	var out struct {
		Query   string `json:"query"`
		Results []struct {
			Title string `json:"title"`
		} `json:"results"`
	}
	err := c.Do(context.Background(), "GET", "/v1/serp?q=golang", nil, &out)
	fmt.Println(err, out.Query, len(out.Results))
	// Output: <nil> golang 2
}

func ExampleClient_Do_errors() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "example", Scopes: []string{"scrape"}})
	c, _ := srv.NewClient(key)
	ctx := context.Background()

	err := c.Do(ctx, "GET", "/v1/serp?q=golang", nil, nil)
	var apiErr *apierrors.Error
	if errors.As(err, &apiErr) && errors.Is(err, apierrors.ErrInsufficientScope) {
		fmt.Println("needs scope:", apiErr.RequiredScope, "| class permission:", errors.Is(err, apierrors.ErrPermission))
	}

	_ = srv.RevokeKey(info.ID, "leaked")
	err = c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil)
	if errors.As(err, &apiErr) && errors.Is(err, apierrors.ErrRevoked) {
		fmt.Println("revoked:", apiErr.Reason, "| class authentication:", errors.Is(err, apierrors.ErrAuthentication))
	}
	// Output:
	// needs scope: serp | class permission: true
	// revoked: leaked | class authentication: true
}

func ExampleClient_Do_retryAfter() {
	// The server's clock stands at the top of an hour, so the hourly window
	// has a full hour left whenever the example runs.
	clock := clienttest.NewFakeClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "example", Scopes: []string{"scrape"}, RateLimitPerHour: 1})
	c, _ := srv.NewClient(key, client.WithMaxRetryAfter(10*time.Second))
	ctx := context.Background()

	_ = c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil)
	err := c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil) // the hour's quota is spent
	if d, ok := apierrors.RetryAfter(err); ok {
		fmt.Println("rate limited; the wait is beyond the cap, so the call returned at once:", d > 10*time.Second)
	}
	// Output: rate limited; the wait is beyond the cap, so the call returned at once: true
}

func ExampleClient_DoWith() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "example", Scopes: []string{"jobs"}})
	c, _ := srv.NewClient(key, client.WithRetryWait(time.Millisecond, time.Millisecond))
	srv.FailNext(1, 503, 0) // the first attempt fails; a POST is retried only with an idempotency key

	var job struct{ ID, Status string }
	err := c.DoWith(context.Background(), "POST", "/v1/jobs", map[string]string{"url": "https://example.com"}, &job,
		client.WithIdempotencyKey(""))
	fmt.Println(err, job.Status, srv.JobsProcessed())
	// Output: <nil> queued 1
}

func ExampleWithRequireEnv() {
	live := "hd_live_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
	_, err := client.New(client.WithService(client.Hypedata), client.WithAPIKey(live), client.WithRequireEnv(keys.EnvTest))
	fmt.Println(errors.Is(err, client.ErrEnvMismatch))
	// Output: true
}

func ExampleClient_Diagnose() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "example"})
	c, _ := client.New(client.WithService(srv.Service()), client.WithCredentials(credentials.Chain(
		credentials.Env("EXAMPLE_UNSET_VARIABLE"),
		credentials.Static(key.Reveal()),
	)))
	r := c.Diagnose(context.Background())
	for _, e := range r.Entries {
		fmt.Println(e.Source, e.Found, e.Wins)
	}
	// Output:
	// env EXAMPLE_UNSET_VARIABLE false false
	// explicit option true true
}

func ExampleKeysService_Create() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	c, _ := srv.NewClient(admin)

	nk, err := c.Keys().Create(context.Background(), client.CreateKeyParams{Name: "ci", Environment: "test", Scopes: []string{"scrape"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(nk.Name, nk.Environment, nk.Secret.Env(), len(nk.Secret.Reveal()))
	// Output: ci test test 40
}

func ExampleKeysService_Rotate() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	_, old, _ := srv.IssueKey(clienttest.KeyParams{Name: "worker"})
	c, _ := srv.NewClient(admin)

	res, err := c.Keys().Rotate(context.Background(), old.ID, client.RotateOptions{
		PollInterval: time.Millisecond,
		Deploy: func(ctx context.Context, nk *client.NewKey) error {
			return nil // write nk.Secret.Reveal() to your secret store here
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.New.Name, res.Old.Revoked(), res.Old.RevokedReason)
	// Output: worker true rotated
}
