// Package client is apikit-go's HTTP client for APIs that authenticate with
// API keys. Name a service, and the client finds the key, checks it is
// well-formed before anything is sent, attaches it only to the API's own
// host, retries what is safe to retry for exactly as long as the server
// asks, and turns every failure into a typed error.
//
//	c, err := client.New(client.WithService(client.Hypedata))
//	if err != nil {
//		return err // an invalid option, or a malformed explicit key
//	}
//	var page struct{ Content string }
//	err = c.Do(ctx, "GET", "/v1/scrape?url=https://example.com", nil, &page)
//
// # Finding the key
//
// Without WithAPIKey or WithCredentials, the client looks, in order, in the
// service's environment variable, the same name in ./.env, and the config
// file (see [DefaultSources]). The first source holding a value wins; a
// value that is not a valid key is an error naming its source, never a
// silent fall-through. [Client.Credential] says which key is used and where
// it came from; [Client.Diagnose] lists every source and what each shadows.
//
// # Sending the key
//
// Bearer by default, a header with WithHeaderAuth, or the query string with
// WithQueryAuth (an explicit opt-in: URLs end up in logs). The key goes only
// to the base URL's scheme and host: a redirect elsewhere, or to plain HTTP,
// carries it in no header and no query value. Redirects are followed only
// within the request's origin unless WithRedirects or WithRedirectHosts
// allow more, and never from HTTPS to plain HTTP: a redirect the policy
// does not allow ends the call with a *RedirectError, and nothing is sent
// to where it pointed. Plain HTTP is refused except
// to loopback or with WithInsecureHTTP, and the default transport needs TLS
// 1.2 or newer.
//
// # Retrying
//
// 429, 408, 500, 502, 503, 504 and connection failures are retried (POST and
// PATCH only with WithIdempotencyKey, or when the server cannot have acted).
// The server's wait (Retry-After, a body hint, X-RateLimit-Reset) is never
// undercut; without one the wait is exponential backoff with jitter within
// WithRetryWait's bounds. A wait beyond WithMaxRetryAfter or the context's
// deadline ends the call at once with the typed error and its RetryAfter, so
// the caller can schedule. Retries of 5xx answers and connection failures
// also draw on a client-wide budget that successes refill
// ([WithRetryBudget]), so many goroutines sharing a client do not multiply
// the load on a server that is down. A 401 for an unknown, revoked or
// expired key makes the client ask its key source once more, so a deployed
// rotation is picked up without a restart.
//
// # Pacing: one key, many goroutines
//
// A rate limit belongs to the key, so a Client shared by many goroutines
// paces every attempt made with its key, first sends and retries alike: a
// 429 closes the key's gate for every caller until the server's wait has
// passed, and callers then leave one at a time at the key's rate. The rate
// is the one given with [WithRateLimit], else the one the X-RateLimit-*
// headers announce, else one learned from 429s; until the first sign of a
// limit nothing is held back. Waiting for the pacer sends nothing and spends
// no retry. [WithPacer] shares one pacer (package
// github.com/apikit/apikit-go/pacing, or pacing/redispacing for a fleet)
// between clients on the same key; [Client.Pacing] says how the key is
// paced.
//
// # One call: options, timeouts, metadata, middleware
//
// The options with a per-call meaning ([WithMaxRetries],
// [WithAttemptTimeout], [WithTimeout], [WithHeader], [WithBaseURL] within
// the client's host, [WithMiddleware]) are given to New for every call and
// to DoWith, Send or Stream for one; see [Option]. Every attempt is bounded
// ([DefaultAttemptTimeout] unless WithAttemptTimeout says otherwise), so a
// server that never answers cannot hold a call forever.
// [WithResponseInto] fills a [Response] (status, headers, request id,
// attempts, pacer wait, rate limit) on success and on error; a [Middleware]
// runs once around each call and sees a [Call], never the key. Module
// github.com/apikit/apikit-go/otelapikit turns them into OpenTelemetry
// spans and metrics.
//
// # Streams
//
// [Client.Stream] reads server-sent events with the same key, host pinning,
// pacing and typed errors as Do; a dropped connection is reopened and
// resumed with Last-Event-ID, and a final auth_revoked event ends the
// stream with an error matching apierrors.ErrRevoked.
//
// # Errors
//
// A failure the server reported is an *apierrors.Error (package apierrors,
// import path github.com/apikit/apikit-go/errors: no alias needed) that
// works with errors.Is against its class and code sentinels; a request that
// got no answer is a [*TransportError]; a key that could not be found or
// validated fails before anything is sent. No error text, log line or
// printed value holds the key.
//
// # Key management and testing
//
// [Client.Keys] lists, creates, regenerates, revokes and rotates keys;
// [Client.Verify] proves a key works with the service's documented key test
// (and says so, with [ErrNoKeyTest], where the service documents none).
// [WithoutKey] sends no key at all, for a service that serves keyless
// callers (HyperSync). Package
// github.com/apikit/apikit-go/client/clienttest is an in-memory server that
// behaves like the real services, for tests and offline examples.
package client
