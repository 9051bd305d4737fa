// Package clienttest runs an in-memory API server that behaves as the
// documented services do, for this SDK's examples and for your own tests —
// as net/http/httptest is for net/http.
//
// A Server speaks one service profile's dialect (Hypedata, Hypersave, HopX,
// HyperSync or web3.storage-style): its key format, its key-management
// paths, its error bodies and headers. It checks every request in the
// documented order — key present, well-formed, known, not revoked, not
// expired, IP allowed, scope held, credit ceiling, workspace balance, rate
// limit — and answers each failure as the real service would. Keys are
// generated in the service's format and stored only as SHA-256 hashes.
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
// For time-dependent behaviour (expiry, rate windows) pass WithClock with a
// *FakeClock and Advance it instead of sleeping. Requests returns the
// request log (never a secret) to assert on; JobsProcessed counts the
// non-idempotent work actually done.
package clienttest
