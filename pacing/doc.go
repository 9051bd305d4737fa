// Package pacing spaces the requests made with one API key so that every
// caller sharing the key stays under the key's rate limit together: no herd
// after a 429, no retry jumping the queue, and close to the limit's
// throughput.
//
// A rate limit belongs to the key, not to a request. The client
// (github.com/apikit/apikit-go/client) therefore asks the key's [Pacer] for
// a slot before every attempt it sends — first sends and retries alike —
// and reports every answer back. One [*Local] (from [New]) paces every key
// of one process and can be shared between clients; package
// github.com/apikit/apikit-go/pacing/redispacing shares the same schedule
// between processes through Redis.
//
// # What a pacer does
//
//   - The gate. A 429 (or X-RateLimit-Remaining: 0) closes the key's gate
//     until the server's hint has passed. Every slot booked while it is
//     closed starts after it: new calls wait as well as retries.
//   - Booked slots. When the gate opens, callers leave one at a time, each
//     on its own slot at the key's rate, never all at once.
//   - The rate. Known (the caller passes a [Limit] to Reserve); else read
//     from X-RateLimit-Limit and -Reset; else learned from 429s and
//     successes: a 429 lowers it, successes probe upward. Until the first
//     sign of a limit the pacer holds nothing back.
//
// # Writing a Pacer
//
// A third-party implementation (a shared store, another algorithm) must
// behave as follows; the client relies on it.
//
//   - Keys are named by the key's fingerprint, never the key.
//   - Reserve books at most one slot and never blocks on other callers: it
//     returns how long the caller must wait, and the caller waits (or gives
//     up) itself. If the wait would be longer than maxWait, nothing is
//     booked and Delay says how long it would have been, so the caller can
//     return at once instead of sleeping into its deadline.
//   - Every Reservation with OK true is followed by exactly one Report (the
//     answer to the attempt) or one Cancel (the attempt was not sent).
//   - One round trip to book and at most one to report: for Redis, one Lua
//     script that checks the gate, books the slot by GCRA and returns the
//     delay.
//   - Never fail the caller for the pacer's own trouble: when a shared store
//     cannot be reached, pace in process instead and say so once in a log.
//     An error from Reserve makes the client send unpaced.
//   - Be safe for concurrent use, and cheap while a key has shown no limit.
//   - Pace a known or announced limit slightly under it (see [Margin]):
//     gateways count in whole milliseconds, so exactly the limit is refused
//     now and then.
package pacing
