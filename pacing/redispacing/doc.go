// Package redispacing shares the pacing of API keys between processes
// through Redis: every process of a fleet that uses one key stays under the
// key's rate limit together, as the goroutines of one process do with
// package pacing's in-process pacer.
//
// A *Pacer implements pacing.Pacer; give it to each process's client:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	p, err := redispacing.New(rdb, redispacing.WithLogger(logger))
//	c, err := client.New(client.WithService(client.Hypedata),
//		client.WithPacer(p), client.WithRateLimit(5, 1))
//
// Everything the in-process pacer knows about a key is shared:
//
//   - The gate. A 429 in one process (or X-RateLimit-Remaining: 0) holds
//     every process on that key until the server's hint has passed.
//   - Booked slots. Each attempt books its slot at the key's rate (GCRA) in
//     one Lua script run by EVALSHA: one Redis round trip per attempt.
//     Under a known or announced rate a slot is booked as far ahead as the
//     caller can wait. Under a learned rate, which the next 429 may cut,
//     slots are booked at most 200 ms ahead, and callers further back are
//     given a place in a virtual queue and told when to come back, one at
//     a time: a second round trip for them, never one per free slot.
//   - Answers. A 429 (or X-RateLimit-* headers) is reported at once, in
//     one round trip; a plain success is counted in the process and told
//     with its next reservation, and an answer that teaches nothing (none,
//     a 5xx) is dropped.
//   - The rate: the known one (client.WithRateLimit), the one the
//     X-RateLimit-* headers announce, or the one learned from 429s and
//     successes.
//
// # What is stored
//
// One hash per key, <prefix>{<fingerprint>} (WithPrefix; the braces are a
// Redis Cluster hash tag, so a key's state sits in one slot), holding
// numbers only, expiring an hour after its last use (WithTTL). The API key
// itself is never sent to Redis, nor any part of it: only its fingerprint
// (keys.Key.Fingerprint), a truncated SHA-256.
//
// # When Redis is down
//
// Every call to Redis is bounded by WithTimeout (100 ms by default;
// go-redis's own timeouts take seconds to fail against a host that is
// gone). A call that fails or times out makes the Pacer pace in process
// (a pacing.Local) and log it once; one attempt a second (WithRetryInterval)
// asks Redis again, and once Redis answers the fleet shares pacing again.
// No API call ever fails because Redis is down. While it is, a process
// that shared a known (or announced, or learned) rate with others keeps to
// its own slots of the fleet's schedule — slot j of the fleet's rate,
// counted from the Unix epoch, belongs to the process whose place among
// the key's processes is j mod n — which every process computes without
// talking to the others; a process that shared nothing paces alone. When
// Redis comes back empty (restarted without persistence) it books after
// the slots the processes still hold. go-redis itself logs each failed
// dial through its package-wide logger (once a second here, beside the
// Pacer's one warning); redis.SetLogger quiets or redirects it.
//
// # Rotating a fleet's key
//
// Fleet is a client.FleetRegistry: each process reports, with Heartbeat,
// which key its client uses (by fingerprint, with a TTL), and a rotation
// given it in client.RotateOptions.Fleet revokes the old key only once
// every live process reports the new one.
//
// Processes sharing a key stamp slots with their own clocks: keep them in
// sync (NTP).
package redispacing
