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
//     caller can wait. Under a learned rate in slow start, which the next
//     429 ends, slots are booked at most an interval or 200 ms ahead, and
//     callers further back are given a place in a virtual queue and told
//     when to come back, one at a time: a second round trip for them,
//     never one per free slot.
//   - Answers. A 429 (or X-RateLimit-* headers) is reported at once, in
//     one round trip; a plain success is counted in the process and told
//     with its next reservation (with the latest two slots of those told,
//     so that slow start ends, as in process, just under the latest gap
//     the fleet saw accepted), and an answer that teaches nothing (none, a
//     5xx) is dropped.
//   - The rate: the known one (client.WithRateLimit), the one the
//     X-RateLimit-* headers announce, or the one learned from 429s and
//     successes. A 429 cuts a learned rate once per episode: the refusals
//     of every slot booked before the cut belong to it, however late they
//     come. The cut also moves those slots, already handed out, behind its
//     gate and to the new interval: the reply to each call carries the
//     key's last move, and Pacer.Depart (pacing.Departer, no round trip)
//     holds each booked attempt of the process until its moved slot, as a
//     gate holds the callers of one process.
//
// # What is stored
//
// One hash per key, <prefix>{<fingerprint>} (WithPrefix; the braces are a
// Redis Cluster hash tag, so a key's state sits in one slot), holding
// numbers only, expiring an hour after its last use (WithTTL). The API key
// itself is never sent to Redis, nor any part of it: only its fingerprint
// (keys.Key.Fingerprint), a truncated SHA-256.
//
// The scripts keep the rules every pacer keeps, as package pacingtest
// lists them (its table runs against this Pacer too): the windows the
// headers state or imply, a whole-second reset's slack, hintless 429s
// that double the gate, one probe per longest wait through a gate beyond
// the ceiling, a refusal at booking for a caller who cannot wait, a bucket
// of one learned above its floor.
//
// # Time
//
// The scripts read Redis's clock (TIME): slots and gates are stamped with
// it, so a process whose clock is off books the same slots as the others.
// The wait a reservation returns counts from when Redis's answer arrived
// (half the round trip after the script ran), so Redis's latency and its
// jitter do not become lateness in sending. A call that took longer than
// the usual round trip (the least of the latest 32) spent the rest before
// the script ran — dialing a connection, waiting for one — so half the
// usual round trip is taken, not half the call: a process's first calls,
// which dial, would otherwise send their attempts early.
//
// # When Redis is down, slow or refuses
//
// New asks Redis once whether its user may run the Pacer's scripts and
// the commands inside them on the Pacer's keys; a wrong password
// (WRONGPASS), none (NOAUTH) or an ACL user without them (NOPERM) is an
// error from New. A Redis that does not answer is not: pacing falls back
// as below until it does.
//
// Every call to Redis is bounded by WithTimeout (100 ms by default;
// go-redis's own timeouts take seconds to fail against a host that is
// gone), stretched to four times the round trip measured, at most 1 s: so
// Redis may be up to about 250 ms away (round trip) before calls time out.
// A call that fails or times out makes the Pacer pace that key in process
// and log it once; a call Redis runs only after its caller gave it up (a
// paused Redis resumed with it in the connection) books and cuts nothing; one attempt a second (WithRetryInterval) asks Redis
// again, and once Redis answers the key is shared again. Health is per key
// (so per Redis Cluster slot): one shard down costs only its keys. On a
// failed call a *redis.ClusterClient is told to reload the cluster's
// layout, so a replica promoted after its master died is used at the next
// retry, not after go-redis's periodic reload (a minute); with a cluster
// the first retry comes 250 ms after the failure, then 500 ms, up to the
// retry interval. No API call ever
// fails because Redis is down. While it is, a process that shared a rate
// with others keeps to its own slots of the fleet's schedule — the fleet's
// last shared rate (or the known limit less the margin, if lower), rounded
// down to a 16th of an octave so that processes whose learned rates
// drifted apart agree; slot j, counted from the Unix epoch on Redis's
// clock, belongs to the process whose place among the key's processes is
// j mod n — which every process computes without talking to the others; a
// process that shared nothing paces alone. State (and so
// client.Client.Pacing) reports the shared rate meanwhile.
//
// Each key's hash carries an epoch, drawn when Redis makes it. A process
// that finds another epoch than it knew (Redis restarted empty, or a
// replica that had not caught up took over), or that comes back from
// pacing a key alone, books after the latest slot it knows to be held plus
// one round of the fleet's schedule (the others' slots lie about there),
// and a learned or announced rate that Redis lost is taken back from what
// the processes knew (the freshest view: each process coming back puts
// its own back if Redis told it later, until a 429 cuts it), not learned
// again from 429s. Until the processes still pacing alone have come back
// (a retry interval and the fallback's horizon), a 429 says two schedules
// met: it closes the gate (without doubling it) and cuts no rate. A 429
// whose report did not reach Redis is told with the next reservation
// Redis answers, and cuts a learned rate once. go-redis itself logs each
// failed dial through its package-wide logger; redis.SetLogger quiets or
// redirects it.
//
// # Rotating a fleet's key
//
// Fleet is a client.FleetRegistry: each process reports, with Heartbeat,
// which key its client uses (by fingerprint, with a TTL), and a rotation
// given it in client.RotateOptions.Fleet revokes the old key only once
// every live process reports the new one. A registry younger than its TTL
// (Redis lost it, or the fleet just started) is not trusted: the rotation
// waits until every live process has had a TTL to report again.
package redispacing
