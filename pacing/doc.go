// Package pacing spaces the requests made with one API key so that every
// caller sharing the key stays under the key's rate limit together: no herd
// after a 429, no retry jumping the queue, and close to the limit's
// throughput.
//
// A rate limit belongs to the key, not to a request. The client
// (github.com/apikit/apikit-go/client) therefore asks the key's [Pacer] for
// a slot before every attempt it sends — first sends and retries alike —
// and reports every answer back. One [*Local] (from [New]) paces every key
// of one process and can be shared between clients (client.WithPacer);
// module github.com/apikit/apikit-go/pacing/redispacing shares the same
// schedule between processes through Redis.
//
// # What a pacer does
//
//   - The gate. A 429 (or X-RateLimit-Remaining: 0 before the pacer knows a
//     rate) closes the key's gate until the server's hint has passed. Every
//     slot booked while it is closed starts after it: new calls wait as
//     well as retries.
//   - Booked slots. When the gate opens, callers leave one at a time, each
//     on its own slot at the key's rate, never all at once.
//   - The rate. Known (the caller passes a [Limit] to Reserve), paced
//     slightly under it ([Margin]: gateways count in whole milliseconds, so
//     exactly the limit is refused now and then; each 429 still received
//     widens the margin by 3%, up to 20% more than [Margin], and successes
//     narrow it again; a window counter's headers start it 7% wider); else read
//     from the answers' rate-limit headers (Answer.Limit per window); else
//     learned from 429s and successes: a 429 cuts it to the rate at which
//     successes were observed, successes probe upward. Until the first sign
//     of a limit the pacer holds nothing back and costs next to nothing.
//   - What the headers mean. The window is the one stated (Answer.Window),
//     else the step between two resets given as points in time (a fixed
//     window moves by its length; a reset at 12:00:01 is not a window of
//     400 ms), else the longest reset seen. Headers that describe a bucket
//     (GCRA: Limit is the burst + 1, Reset the time until it empties, in
//     whole seconds) are told apart by Remaining staying at Limit-1 on
//     answers closer together than a window could allow, or by a Limit of
//     1: their rate is only a floor, learned above, and held back as
//     Remaining shows the bucket filling. A bucket of one (GCRA with no
//     burst) accepts no two requests closer than its interval: its
//     Retry-After of a second (a wait of tens of milliseconds, rounded up)
//     closes the gate only until the last accepted request plus the
//     interval after the cut, and its first cut lands between the latest
//     accepted and the refused gaps. A whole-second reset may end a
//     second after it says (Answer.ResetPrecision): a spent window's gate
//     opens no sooner.
//   - No lock-out. A gate further away than a ceiling — the larger of an
//     hour (and a minute) and the longest wait a caller accepts
//     (client.WithMaxRetryAfter) — comes from an answer that cannot be
//     right (Retry-After: 99999999999, a reset in year 9999): callers are
//     refused at once, except one probe per that longest wait, which is
//     sent; its success opens the gate (half-open, as a circuit breaker).
//   - Blind learning. The first 429 starts from the successes of the last
//     second (a first wave answered together is not a rate); a 429 without
//     any hint that comes right after such a gate opened doubles the next
//     gate (up to 8×), for limiters that count their own refusals.
//
// The rules, as test vectors any Pacer can run, are in package
// pacing/pacingtest.
//
// # The protocol
//
// For each attempt the caller makes Reserve calls until it holds a slot,
// then exactly one Report (the attempt was sent) or one Cancel (it was
// not). A pacer kept in a shared store thus needs one round trip to book a
// slot (for Redis, one Lua script that checks the gate, books the slot by
// GCRA and returns the delay) and one to hear the answer:
//
//	for {
//		r, err := p.Reserve(ctx, fp, limit, maxWait)
//		if err != nil { /* the pacer cannot pace: send unpaced */ }
//		if r.Delay > maxWait { /* refuse now: the wait is too long */ }
//		sleep(r.Delay)
//		if r.OK { break }  // a slot is booked: send
//		maxWait = capOrDeadlineNow() // nothing booked yet: ask again, admitted
//	}
//	resp, err := send()
//	p.Report(ctx, r, answerOf(resp, err))
//
// # Writing a Pacer
//
// A third-party implementation (a shared store, another algorithm) must
// behave as follows; the client relies on it.
//
//   - Keys are named by the key's fingerprint (keys.Key.Fingerprint), never
//     the key; a pacer needs, stores and logs nothing more.
//   - Reserve never sleeps and never blocks on other callers: it decides,
//     books at most one slot, and returns. Its Delay is measured from the
//     moment it decides.
//   - If the wait would be longer than maxWait, nothing is booked: OK is
//     false and Delay says how long the wait would have been (more than
//     maxWait), so the caller returns at once instead of sleeping into its
//     deadline.
//   - Reserve may decline to book a slot that lies far ahead (a pacer still
//     learning the rate keeps bookings near, so that a changed rate reaches
//     the callers still waiting). It then returns OK false with a Delay
//     greater than 0 and at most maxWait: the caller waits that long and
//     asks again. Such a reply never has Delay 0.
//   - Every Reservation with OK true is followed by exactly one Report or one
//     Cancel. Cancel gives the slot back where it can; its context may
//     already be done (use context.WithoutCancel for a store's call).
//   - Report of a 429 closes the gate for Answer.RetryAfter (the client
//     passes its first retry wait when the server gave no hint); the Delay
//     of every later reservation, whoever asks, covers what remains of it.
//   - Never fail the caller for the pacer's own trouble: when a shared store
//     cannot be reached, pace in process instead and say so once in a log.
//     An error from Reserve makes the client send unpaced; errors from
//     Report and Cancel are logged and otherwise ignored.
//   - Be safe for concurrent use, and cheap while a key has shown no limit:
//     a client's success path must not slow down measurably.
//
// A pacer may also implement [Inspector] (client.Client.Pacing reports its
// State) and, when it costs nothing (in process), [Departer], which spaces
// attempts by when they really leave rather than by their slots.
package pacing
