// Package clienttest runs an in-memory API server that behaves as the
// documented services do, for this SDK's examples and for your own tests —
// as net/http/httptest is for net/http.
//
// A Server speaks one service profile's dialect (Hypedata, Hypersave, HopX,
// HyperSync or web3.storage-style): its key format, its endpoints (HopX's
// templates and sandboxes, Hypersave's memories, Hypedata's scrape, serp,
// parse, stream and jobs, ...), its key-management paths, its error bodies
// and headers. A path of another service answers 404, as the real one
// would. docs/PROTOCOL.md
// (https://github.com/apikit/apikit-go/blob/main/docs/PROTOCOL.md) lists the
// endpoints of each profile and says which the vendor documents and which
// are this SDK's assumption.
//
// The server checks every request in the documented order — key present,
// well-formed, known, not revoked, not expired, IP allowed, scope held,
// credit ceiling, workspace balance, rate limit — and answers each failure
// as the real service would. Keys are generated in the service's format and
// stored only as SHA-256 hashes. A deleted or regenerated key's old secret
// reads as unknown; Hypedata's test keys answer with X-Hd-Mode: test, are
// never billed, have its 10 r/s soft cap, and a scrape of
// https://fixtures.hypedata.io/403 answers 403.
//
// # Testing your code with clienttest
//
//	srv := clienttest.NewServer(client.Hypedata)
//	defer srv.Close()
//	key, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "ci", Scopes: []string{"scrape"}})
//	c, _ := srv.NewClient(key)
//	// ... exercise your code with c ...
//	srv.FailNext(2, 503, time.Second) // and see how it copes with faults
//
// Calls the SDK does not model go behind the same checks with Handle:
//
//	srv.Handle("POST /v1/sandboxes/{id}/commands", clienttest.Endpoint{Scope: "exec", Cost: 1, Handler: h})
//
// The workspace balance is Unlimited unless WithBalance (or SetBalance)
// sets one, so a test that loops is never refused for credits; set one to
// test payment errors. A key source passed to NewClient
// (client.WithCredentials) replaces the key given to it: a rotation test
// passes a credentials.Swappable and swaps the key in its Deploy step.
//
// For time-dependent behaviour (expiry, rate windows) pass WithClock with a
// *FakeClock and Advance it instead of sleeping. Rate limits are counted in
// fixed windows of that clock (per second, per hour, per month), counting
// only requests that pass every other check; docs/PROTOCOL.md, "Rate
// windows", says how each window starts and what a 429 carries. Requests returns the
// request log (never a secret) to assert on; JobsProcessed counts the
// non-idempotent work actually done. HyperSync serves keyless callers after
// AllowKeyless, to test a client built with client.WithoutKey.
package clienttest
