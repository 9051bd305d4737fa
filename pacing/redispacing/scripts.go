package redispacing

import "github.com/redis/go-redis/v9"

// The pacing of one API key is one Redis hash, <prefix>{<fingerprint>}: the
// braces are a cluster hash tag, so everything about one key sits in one
// slot. Times are Unix microseconds on Redis's clock (TIME, read by each
// script), so the callers' clocks need not agree; rates are requests a
// second. Fields, all optional:
//
//	src       0 none, 1 known, 2 headers, 3 learned (pacing.Source)
//	rate      requests a second paced at (margin applied)
//	burst     at least 1 once paced
//	iv        the interval 1/rate, µs
//	tat       GCRA's theoretical arrival time of the next request
//	last      the latest booked slot
//	gate      the gate is closed until then
//	kr, kb    the known limit the callers gave
//	base      a known or announced limit before its margin
//	extra     the margin widened by 429s under a known or announced limit
//	wide      successes since extra last changed
//	win       the longest reset seen, rounded up to its precision, µs
//	floor     one request per hint of the latest 429
//	slow      1 while learning is in slow start
//	cutgate   slots before it belong to the last cut's episode (the slots
//	          booked when the cut was made, up to EPISODE_MAX past its
//	          gate): their 429s cut no further
//	mo, mg    the last cut of a learned rate moved the slots booked
//	mk, me    before it, from mo (when it was made) to me (the end of
//	          those booked), to mg + (slot - mo) * mk: behind its gate,
//	          at the new interval (see Pacer.Depart)
//	vq        the end of the virtual queue of callers told to come back
//	ot, on    the current window of successes began at ot (µs); on of them
//	pon       successes in the window before
//	rat       the latest absolute reset seen (the caller's clock, µs: only
//	          steps between two are used)
//	rdiff     the least step between two absolute resets: a fixed window
//	pe, pat   the longest wait a caller accepts (one probe per that through
//	          a gate beyond the ceiling), and when the next probe may go
//	gend      when the latest gate without a hint opened
//	streak    such gates refused right after they opened
//	wdw       the window the headers tell, µs (over 10 s: a quota)
//	bkt       1 when the headers describe a bucket (GCRA): their rate a floor
//	lok, lgap the latest accepted slot and the gap before it
//	sg        a bucket of one's gate opened before its Retry-After
//	ep        the hash's epoch: when it was made (µs); a process that knew
//	          another has seen Redis lose the key's state
//	settle    until then, slots meet those the processes booked alone
//	          during an outage: their 429s cut nothing, nor lengthen gates
//	tbt, tbr  the rate taken back after Redis lost the key's state, and
//	          when Redis had told it (µs): a fresher one replaces it
//	          until a cut
//
// The scripts are the in-process pacer's keyState (package pacing) in Lua,
// with the same constants, so that a fleet behaves as one process would.
// ARGV[1], once the caller's clock, is ignored (0).
// The hash expires a while after its last use (ARGV ttl), so keys no longer
// used leave nothing behind.

// common is the Lua shared by the scripts: reading the hash, setting the
// rate, taking successes, and writing back what changed. now is Redis's
// clock; each script sets margin before it calls them.
const common = `
local K = KEYS[1]
local raw = redis.call('HGETALL', K)
local s = {}
for i = 1, #raw, 2 do s[raw[i]] = tonumber(raw[i+1]) or 0 end
local dirty = {}
local margin = 0
local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1e6 + tonumber(tm[2])
local function get(f) return s[f] or 0 end
-- late is an error for a call that Redis runs after its caller gave it
-- up (ARGV given up, Redis µs; 0: unknown), as one paused Redis runs at
-- once when it resumes: it must neither book nor cut.
local function late(at)
  if at > 0 and now > at then
    return redis.error_reply('redispacing: the caller gave up this call before Redis ran it')
  end
end
local function set(f, v) s[f] = v; dirty[f] = true end
local function save(ttl)
  local args = {}
  for f, _ in pairs(dirty) do
    args[#args+1] = f
    local v = s[f]
    if v == math.floor(v) and math.abs(v) < 1e15 then
      args[#args+1] = string.format('%d', v)
    else
      args[#args+1] = string.format('%.17g', v)
    end
  end
  if #args > 0 then redis.call('HSET', K, unpack(args)) end
  redis.call('PEXPIRE', K, ttl)
end
local MIN_RATE, FIRST_GUESS, SLOW_STEP, PROBE_STEP = 0.05, 1.0, 1.0, 0.005
-- CUT_LOW is higher than the in-process pacer's 0.5: the successes a fleet
-- observes right after its gate has been closed undercount the rate it can
-- keep, and a cut to half is then slow to climb back from.
local CUT_LOW, CUT_HIGH, CUT_MARGIN = 0.8, 0.9, 0.05
-- The refusals of slots booked before a cut are its episode, for at most
-- this long after its gate opens.
local EPISODE_MAX = 2e6
local EXTRA_STEP, EXTRA_MAX, NARROW_EVERY = 0.03, 0.15, 10
local WINDOW = 2e6
-- pacing's gateCeiling, maxGate, maxPacedWindow and maxStreak: a gate
-- beyond the ceiling lets one probe through per the longest wait a caller
-- accepts; no gate lasts more than a year and a day; a window longer than
-- 10 s is a quota, not a rate; hintless 429s double the gate thrice at
-- most.
local GATE_CEILING, MAX_GATE, MAX_PACED_WINDOW, MAX_STREAK = 3660e6, 366 * 86400e6, 10e6, 3
-- A bucket's floor keeps the in-process pacer's margin (pacing.Margin).
local BUCKET_MARGIN = 0.03
-- The margin under a window counter's headers: pacing's 3% and its
-- windowExtra 7%; the fleet's own margin counts towards it.
local WINDOW_EXTRA = 0.07
local function counterExtra() return math.max(0.03 + WINDOW_EXTRA - margin, 0) end
local rchanged, rprev, reason = 0, 0, ''
-- rate paces at r with burst from src, and remembers the first change
-- worth an event.
local function rate(r, burst, src, why)
  if r < MIN_RATE then r = MIN_RATE end
  if burst < 1 then burst = 1 end
  local prev, prevSrc, prevIv = get('rate'), get('src'), get('iv')
  local iv = math.floor(1e6 / r + 0.5)
  set('src', src); set('rate', r); set('burst', burst); set('iv', iv)
  local last = get('last')
  if last ~= 0 and get('tat') == last + prevIv then set('tat', last + iv) end
  if prevSrc == src and math.abs(r - prev) < 0.01 * prev then return end
  if rchanged == 0 then rchanged, rprev, reason = 1, prev, why end
end
local function limited() return get('base') * (1 - margin - get('extra')) end
local function widen(refused)
  if refused then
    set('extra', math.min(get('extra') + EXTRA_STEP, EXTRA_MAX))
  elseif get('extra') == 0 then
    return
  else
    set('wide', get('wide') + 1)
    if get('wide') < NARROW_EVERY then return end
    set('extra', math.max(get('extra') - EXTRA_STEP / 6, 0))
  end
  set('wide', 0)
  rate(limited(), get('burst'), get('src'), 'margin')
end
-- accepted takes an accepted slot: lok is the latest the fleet has heard
-- of, lgap the gap between it and the latest before it (slots are told
-- late and out of order: one between the two shortens the gap).
local function accepted(slot)
  if slot <= 0 then return end
  local lok = get('lok')
  if slot > lok then
    if lok > 0 then set('lgap', slot - lok) end
    set('lok', slot)
  elseif slot < lok and (get('lgap') <= 0 or lok - slot < get('lgap')) then
    set('lgap', lok - slot)
  end
end
-- lastGapRate is the rate of the latest accepted gap (pacing's
-- lastGapRate); 0 when none, or when it spans the latest gate.
local function lastGapRate()
  local lok, lgap = get('lok'), get('lgap')
  if lok == 0 or lgap <= 0 or lok - lgap < get('gate') then return 0 end
  return 1e6 / lgap
end
-- slowCut is the rate after slow start's 429 to the slot refused, est the rate observed, prev the rate in force
-- (pacing's cut): just under the latest accepted gap's rate when one
-- before the refused slot is known, after the latest gate; nearer the
-- refused gap's rate when that is far above it; else, as the successes
-- the fleet hears of come late, under the rate in force less one
-- success's step, never under 80% of it.
local function slowCut(slot, est, prev)
  local last = lastGapRate()
  if last > 0 and slot > get('lok') then
    local refused = 1e6 / (slot - get('lok'))
    last = math.max(last, est)
    local nr = last * (1 - CUT_MARGIN)
    if refused > 1.5 * last then nr = math.max(nr, refused * CUT_HIGH) end
    return math.min(nr, prev * CUT_HIGH)
  end
  est = math.max(est, prev - SLOW_STEP)
  return math.min(math.max(est * (1 - CUT_MARGIN), prev * CUT_LOW), prev * CUT_HIGH)
end
-- success takes n successes: counted for the observed rate; a learned rate
-- probes upward, a widened margin narrows.
local function success(n)
  if n <= 0 then return end
  local since = now - get('ot')
  if since >= WINDOW then
    -- A new window: the one before it counts, fading, for one more.
    if since < 2 * WINDOW then set('pon', get('on')) else set('pon', 0) end
    set('ot', now - since % WINDOW); set('on', 0)
  end
  set('on', get('on') + n)
  for _ = 1, n do
    local src = get('src')
    if src == 3 then
      local step = PROBE_STEP
      if get('slow') == 1 then step = SLOW_STEP end
      rate(get('rate') + step, 1, 3, 'probe')
    elseif src == 1 or src == 2 then
      widen(false)
    else
      return
    end
  end
end
`

// reserveScript books a slot (see pacing.Local.Reserve), after taking the
// successes this process saw since its last call (their reports ride on
// the next reservation instead of costing a round trip each), with the
// latest two of their slots: slow start ends, as in process, just under
// the latest gap the fleet saw accepted.
//
// It books as far ahead as the caller can wait: a caller told to come back
// later would cost another round trip. The exception is a learned rate in
// slow start (after the key's first 429, before its second), which grows
// by one request a second with every success: a slot booked far ahead at
// today's rate would be seconds late tomorrow. There it books no further
// than one interval or the horizon ahead, as the in-process pacer does
// (two intervals kept the first slots at the first 429's 1/s for 2 s, and
// the gaps slow start ends on coarse: 250 ms accepted, 167 ms refused), and gives a caller
// beyond it a place in a virtual queue (vq) and a time to come back, so
// that the waiting callers come back a few at a time, not all at each free
// slot. Once slow start ends the rate moves by half a percent a second, and
// a cut after a 429 by a tenth or so: slots booked ahead stay near enough.
//
// A process tells it the key's epoch it knew, the latest slot it knows to
// be held, the rate and source it last saw shared, a guard, and whether
// it paced the key alone until now. When the epoch differs (Redis lost the
// key's state: a restart without persistence) or the process comes back
// from pacing alone, the next free slot is put after the slots held: on a
// lost epoch, the held one and the guard (about one round of the fleet's
// schedule, whose other slots the other processes may still hold); on a
// return, after the slots the processes booked alone (see
// fallbackHorizon). A lost learned or announced rate is taken back, not
// learned again from 429s.
//
//	KEYS: the key's hash, and <hash>:procs (the processes on the key, by
//	      when they last registered)
//	ARGV: 0 (ignored), known rate, known burst, max wait µs, margin, ttl
//	      ms, successes, learned horizon µs, process ID ("": do not
//	      register), process window µs, epoch known (0: none), held slot
//	      µs (0: none), source known, rate known, guard µs, back (µs: the
//	      process paced the key alone until now, book from then on; 0:
//	      it did not), a random epoch for a new hash, 429s (to
//	      slots booked in Redis whose reports did not reach it), when
//	      Redis told the rate known (µs), settle µs (after a lost epoch
//	      or a return from pacing alone, how long past the first slot
//	      then booked a 429 cuts no rate), the latest two slots µs of
//	      the successes counted (0: none; see accepted), when the caller
//	      gives the call up (µs; 0: unknown; see Pacer.giveUpAt)
//	reply: {ok, delay µs, gated, slot µs, src, rate as text, changed,
//	        previous rate as text, reason, processes (0: not
//	        registered), this process's index among them (by ID), now µs,
//	        next free slot µs, epoch, burst, the last cut's move: mo, mg
//	        µs, mk as text, me µs}
var reserveScript = redis.NewScript(common + `
local gaveUp = late(tonumber(ARGV[23]))
if gaveUp then return gaveUp end
margin = tonumber(ARGV[5])
local kr, kb, maxWait, ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local succ, learnedH, pid, window = tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9], tonumber(ARGV[10])
-- The processes pacing this key, for their share of it should Redis stop
-- answering: each registers about once a second.
local procs, index = 0, 0
if pid ~= '' then
  redis.call('ZADD', KEYS[2], now, pid)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  redis.call('PEXPIRE', KEYS[2], ttl)
  local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
  table.sort(ids)
  procs = #ids
  for i, id in ipairs(ids) do
    if id == pid then index = i - 1 end
  end
end
rprev = get('rate')
if kr > 0 and (kr ~= get('kr') or kb ~= get('kb')) then
  set('kr', kr); set('kb', kb); set('base', kr)
  rate(limited(), kb, 1, string.format('known limit %g/s, burst %d', kr, kb))
end
success(succ)
accepted(tonumber(ARGV[21])); accepted(tonumber(ARGV[22]))
-- A Redis that lost the key's state (a restart) must not book over the
-- slots the processes still hold, nor forget the rate they shared.
local cep, held, csrc, crate = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
local guard, back, refused = tonumber(ARGV[15]), tonumber(ARGV[16]), tonumber(ARGV[18])
local seen, settle = tonumber(ARGV[19]), tonumber(ARGV[20])
local ep = get('ep')
if ep == 0 then ep = tonumber(ARGV[17]); set('ep', ep) end
local lost = cep ~= 0 and cep ~= ep
-- The rate taken back is the freshest the processes knew: each that comes
-- back to the new hash puts back its own when Redis told it later than
-- the one taken back, unless a 429 has cut that since.
if lost and crate > 0 and (csrc == 2 or csrc == 3) and
    (get('src') == 0 or (get('tbt') > 0 and seen > get('tbt') and get('rate') >= get('tbr'))) then
  if csrc == 2 then set('base', crate / (1 - margin)) end
  rate(crate, 1, csrc, 'taken back after Redis lost the key')
  set('tbt', seen); set('tbr', crate)
end
-- 429s to slots booked here whose reports did not reach Redis are told
-- now: the rate the fleet shared was refused, one cut.
if refused > 0 and get('src') == 3 and now >= get('cutgate') then
  -- (the refused slot unknown: past every accepted one)
  local prev, nr = get('rate'), get('rate') * CUT_LOW
  if get('slow') == 1 then nr = slowCut(math.huge, 0, prev); set('slow', 0) end
  rate(math.max(nr, get('floor')), 1, 3, '429 while Redis did not answer')
  set('cutgate', now + 1e6)
end
-- Back from pacing alone, the fleet's successes meanwhile went untold:
-- a learned rate probes on carefully, not in slow start.
if back > 0 and get('src') == 3 and get('slow') == 1 then set('slow', 0) end
if get('src') ~= 0 then
  local least = 0
  if lost then least = math.max(held, now) + guard end
  if back > least then least = back end
  if get('tat') < least then set('tat', least) end
  -- Until the processes still pacing alone have come back (a retry
  -- interval, their slots booked up to a horizon ahead), a 429 says that
  -- two schedules met, not that the rate is too high: it closes the gate
  -- (for its hint, not doubled) and cuts nothing.
  if least > 0 and get('cutgate') < least + settle then set('cutgate', least + settle) end
  if least > 0 and get('settle') < least + settle then set('settle', least + settle) end
end
local function reply(ok, d, gated, slot)
  if next(dirty) ~= nil then save(ttl) end
  return {ok, d, gated, slot, get('src'), string.format('%.17g', get('rate')), rchanged, string.format('%.17g', rprev), reason, procs, index,
    now, get('tat'), ep, get('burst'), get('mo'), get('mg'), string.format('%.17g', get('mk')), get('me')}
end
local gate = get('gate')
if get('src') == 0 and gate <= now then return reply(1, 0, 0, 0) end
local start, gated = now, 0
if gate > now then
  start, gated = gate, 1
  if maxWait > get('pe') then set('pe', maxWait) end
  if gate - now > math.max(GATE_CEILING, get('pe')) then
    -- Beyond the ceiling: no answer locks a key for that long. One probe
    -- goes through per longest wait (half-open); its answer decides.
    if now < get('pat') then return reply(0, gate - now, 1, 0) end
    set('pat', now + math.max(get('pe'), 1e6))
    return reply(1, 0, 1, now)
  end
end
local iv, burst = get('iv'), math.max(get('burst'), 1)
local t = start
local b = get('tat') - (burst - 1) * iv
if b > t then t = b end
local d = t - now
if d > maxWait then return reply(0, d, gated, 0) end
if get('src') == 3 and get('slow') == 1 then
  local h = math.max(iv, learnedH)
  if t - start > h then
    -- The rate grows fast: a return spaced at today's interval would
    -- come long after its turn. Space them at an eighth: those early find
    -- no slot and queue again, a few round trips over the seconds slow
    -- start lasts.
    local step = iv / 8
    local vq = math.max(get('vq'), t)
    set('vq', vq + step)
    return reply(0, math.max(vq - h - now, step), gated, 0)
  end
end
local tat = get('tat')
if tat < t then tat = t end
set('tat', tat + iv); set('last', t)
return reply(1, d, gated, t)
`)

// cancelScript gives back the latest booked slot (see pacing.Local.Cancel).
//
//	ARGV: slot µs, ttl ms
var cancelScript = redis.NewScript(common + `
local slot = tonumber(ARGV[1])
if get('last') == slot and get('src') ~= 0 then
  set('tat', get('tat') - get('iv')); set('last', slot - get('iv'))
  save(tonumber(ARGV[2]))
end
return 0
`)

// reportScript takes an attempt's answer (see pacing.Local.Report): a 429,
// or a success that carries X-RateLimit-* headers; plain successes ride on
// the next reservation.
//
//	ARGV: 0 (ignored), slot µs (0: none), status, retry after µs, X-RateLimit
//	      limit, remaining (-1: none), reset µs, margin, ttl ms, successes,
//	      the reset's precision µs, the reset as a point in time (the
//	      caller's clock, µs; 0: not given), the window stated µs (0: none),
//	      when the caller gives the call up (µs; 0: unknown)
//	reply: {src, rate as text, previous rate as text, rate changed, reason,
//	        gate closed, gate µs, the last cut's move: mo, mg µs, mk as
//	        text, me µs}
var reportScript = redis.NewScript(common + `
local gaveUp = late(tonumber(ARGV[14]))
if gaveUp then return gaveUp end
margin = tonumber(ARGV[8])
local slot, status, hint = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local limit, remaining, reset = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local ttl, succ = tonumber(ARGV[9]), tonumber(ARGV[10])
local prec, resetAt, window = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])
local paced = slot > 0
if slot == 0 then slot = now end
local hadRate = get('src') == 1 or get('src') == 2
local remap = nil
local wasFree = get('src') == 0
rprev = get('rate')
local gclosed = 0
-- observed is the rate of successes over the last window, as a sliding
-- window counter reckons it: this window's count, and the last one's in
-- proportion to how much of it the sliding window still covers.
local function observed()
  local since = now - get('ot')
  if since >= 2 * WINDOW then return 0 end
  local on, pon = get('on'), get('pon')
  if since >= WINDOW then on, pon, since = 0, on, since - WINDOW end
  return (on + pon * (1 - since / WINDOW)) / (WINDOW / 1e6)
end
-- episode is when the episode of a cut made now ends: its gate (hint),
-- or the end of the slots booked at the refused rate (booked), at most
-- EPISODE_MAX past the gate (the processes that have not heard of the
-- cut's move send theirs at the refused rate until they do).
local function episode(hint, booked)
  return math.max(now + hint, math.min(booked, now + hint + EPISODE_MAX))
end
local function closeGate(t, why, learn)
  if t - now > MAX_GATE then t = now + MAX_GATE end
  if t <= get('gate') then return end
  local wasOpen = get('gate') <= now
  set('gate', t)
  if get('src') == 0 and learn then rate(FIRST_GUESS, 1, 3, why) end
  local least = t + (get('burst') - 1) * get('iv')
  if get('tat') < least then set('tat', least) end
  if wasOpen then gclosed = 1 end
end
-- A bucket of one (GCRA with no burst) refuses exactly the requests
-- closer than its emission interval to the last it accepted (pacing's
-- bucketHint and bucketCut): lok is the latest accepted slot, lgap the gap
-- before it, sg a gate opened before a 429's whole-second Retry-After.
local function bucketOfOne() return get('bkt') == 1 and limit == 1 end
local function bucketCut(refused)
  local last = lastGapRate()
  if last <= 0 then return refused * (1 - CUT_MARGIN) end
  if refused > 1.5 * last then return (last + refused) / 2 * (1 - CUT_MARGIN) end
  return last * (1 - CUT_MARGIN)
end
local function bucketHint(h, given)
  local sg = get('sg')
  if sg > 0 and slot >= sg then set('sg', 0); return h end
  if not bucketOfOne() or not paced or get('lok') == 0 or given ~= 1e6 then return h end
  local t = math.max(get('lok') + get('iv'), now + 1000)
  if t - now < h then set('sg', t); return t - now end
  return h
end
success(succ)
-- The window: the one the answer states; else, when resets come as
-- points in time, the least step between two (a fixed window moves by its
-- length), never less than the longest reset rounded up to its precision;
-- else the longest reset. Longer than 10 s it is a quota: its gate, when
-- spent, is enough. Under a known limit the window is kept (a spent
-- quota's gate needs it), the rate is the caller's.
if limit > 0 and (reset > 0 or window > 0) then
  local r = reset
  if prec > 0 then r = math.ceil(reset / prec) * prec end
  if r > get('win') then set('win', r) end
  if resetAt > 0 then
    local d = resetAt - get('rat')
    if get('rat') > 0 and d >= math.max(prec, 1000) and (get('rdiff') == 0 or d < get('rdiff')) then set('rdiff', d) end
    if resetAt > get('rat') then set('rat', resetAt) end
  end
  local w = get('win')
  if window > 0 then w = window elseif resetAt > 0 then w = math.max(get('rdiff'), get('win')) end
  set('wdw', w)
  -- A window that ends at points in time and moves on by its length: a
  -- window counter, often sliding, which refuses below its limit. A wider
  -- margin from the start.
  local counter = resetAt > 0 and window <= 0 and get('bkt') ~= 1 and w > 0 and w <= MAX_PACED_WINDOW
  if get('src') == 1 then
    -- A bucket of one is told apart under a known limit too: its
    -- whole-second Retry-After is rounded (bucketHint).
    if limit == 1 and window <= 0 and resetAt <= 0 and w > 0 and w <= MAX_PACED_WINDOW then set('bkt', 1) end
    if counter and get('extra') < counterExtra() then
      set('extra', counterExtra())
      rate(limited(), get('burst'), 1, 'a window counter: a wider margin')
    end
  elseif get('bkt') == 1 then
    -- A bucket: its rate is a floor, learned above.
    if w > 0 and limit / (w / 1e6) > get('base') then set('base', limit / (w / 1e6)); set('floor', math.max(get('floor'), get('base') * (1 - BUCKET_MARGIN))) end
  elseif limit == 1 and window <= 0 and resetAt <= 0 and w > 0 and w <= MAX_PACED_WINDOW then
    -- A bucket of one (GCRA with no burst, as throttled sends): the
    -- headers' rate is only a floor (the reset's rounding hides the
    -- rest): learn above it.
    set('bkt', 1); set('base', limit / (w / 1e6))
    set('floor', math.max(get('floor'), get('base') * (1 - BUCKET_MARGIN)))
    set('slow', 1)
    rate(math.max(limited(), get('rate')), 1, 3, string.format('a bucket of %d: at least %.3g/s, learning above', limit, get('base')))
  elseif w > 0 and w <= MAX_PACED_WINDOW then
    local base = limit / (w / 1e6)
    if not (get('src') == 2 and math.abs(base - get('base')) < 0.001 * get('base')) then
      if counter and get('extra') < counterExtra() then set('extra', counterExtra()) end
      set('base', base)
      rate(limited(), 1, 2, string.format('X-RateLimit-Limit %d per %gs', limit, w / 1e6))
    end
  end
end
if status == 429 then
  local given = hint
  if hint <= 0 then hint = 1e6 end
  set('floor', 1e6 / math.min(hint, 3600e6))
  -- A spent window has surely ended only its reset's precision after the
  -- reset it states.
  -- (unless the server's own Retry-After says otherwise: a hint this
  -- close to the reset was read from it)
  if remaining == 0 and reset > 0 and get('bkt') ~= 1 and (given <= 0 or math.abs(given - reset) < 100e3) then
    hint = math.max(hint, reset + prec)
  end
  if given <= 0 and reset <= 0 then
    -- No hint at all: a refusal right after the last such gate opened
    -- means the limiter still counts: wait longer each time.
    local gend = get('gend')
    if slot < get('settle') then
      -- (around a return from an outage two schedules meet: a refusal
      -- then says nothing of the limiter's count)
    elseif gend ~= 0 and slot >= gend and slot - gend < hint then
      set('streak', math.min(get('streak') + 1, MAX_STREAK))
    elseif slot - gend >= 4 * hint then
      set('streak', 0)
    end
    hint = hint * 2 ^ get('streak')
    set('gend', now + hint)
  end
  local src = get('src')
  -- The slots booked so far (up to tat) were booked at the rate now
  -- refused: their 429s, whenever they come, are this episode's. A fleet
  -- books far ahead, so a cut reaches only the slots booked after it.
  local booked = get('tat')
  if slot < get('cutgate') and src ~= 0 then
    -- booked before the last cut (or around a return from an outage):
    -- the same episode. A bucket of one's shortened gate stays as short
    -- for the slots booked before it; a refusal of one after it keeps
    -- the whole Retry-After (see bucketHint).
    if get('sg') > 0 then
      if slot >= get('sg') then set('sg', 0) elseif given == 1e6 then hint = math.max(get('sg') - now, 0) end
    end
  elseif src == 0 then
    set('slow', 1)
    rate(math.max(observed(), FIRST_GUESS, get('floor')), 1, 3, 'first 429')
    set('cutgate', now + hint)
  elseif src == 3 then
    local est, prev = observed(), get('rate')
    local previv = get('iv')
    if get('slow') == 1 and bucketOfOne() then
      -- The refused gap's rate: above a bucket of one's limit.
      local refused, lok = prev, get('lok')
      if lok > 0 and slot > lok and lok >= get('gate') then refused = 1e6 / (slot - lok) end
      set('slow', 0)
      rate(math.max(math.min(bucketCut(refused), prev * CUT_HIGH), get('floor')), 1, 3, '429 in slow start')
    else
      if get('slow') == 1 then
        set('slow', 0)
        rate(math.max(slowCut(slot, est, prev), get('floor')), 1, 3, '429 in slow start')
      else
        rate(math.max(math.min(math.max(est * (1 - CUT_MARGIN), prev * CUT_LOW), prev * CUT_HIGH), get('floor')), 1, 3, '429')
      end
    end
    hint = bucketHint(hint, given)
    set('cutgate', episode(hint, booked))
    if previv > 0 and booked > now then remap = {math.min(hint, MAX_GATE), get('iv') / previv, booked} end
  else
    widen(true)
    hint = bucketHint(hint, given)
    set('cutgate', episode(hint, booked))
  end
  closeGate(now + hint, '429', true)
  if remap then
    -- The slots booked at the refused rate would go out at it, behind
    -- the gate or not: every process moves its own (Pacer.Depart) behind
    -- the gate and to the new interval, as a gate holds the callers of
    -- one process; later bookings follow them.
    local g, k, e = now + remap[1], remap[2], remap[3]
    set('mo', now); set('mg', g); set('mk', k); set('me', e)
    local moved = g + math.floor((e - now) * k + 0.5)
    if get('tat') < moved then set('tat', moved) end
    if get('last') >= now then set('last', g + math.floor((get('last') - now) * k + 0.5)) end
  end
elseif status ~= 0 and status < 500 then
  success(1)
  accepted(slot)
  if get('sg') > 0 and slot >= get('sg') then set('sg', 0) end
  if get('gate') - now > math.max(GATE_CEILING, get('pe')) then
    -- The probe through a gate beyond the ceiling was answered: the gate
    -- was wrong.
    set('gate', now); set('pat', 0); set('tat', now + get('iv'))
  end
  -- A quota spent before the fleet had a rate that keeps under it, or a
  -- long window that a known rate with a burst does not keep: wait for
  -- its reset and the reset's precision more. A window that resets takes a
  -- whole burst again: only the slots booked past the reset count.
  local quota = get('wdw') > MAX_PACED_WINDOW
  if remaining == 0 and reset > 0 and get('bkt') ~= 1 and (not hadRate or quota) then
    local t, tat = now + math.min(reset + prec, MAX_GATE), get('tat')
    closeGate(t, 'remaining 0', false)
    if quota then set('tat', math.max(tat, t)) end
  end
end
-- Pacing starts now: the attempts sent freely until this answer count as
-- if the last had left now.
if wasFree and get('src') ~= 0 and get('tat') < now + get('iv') then set('tat', now + get('iv')) end
if next(dirty) ~= nil then save(ttl) end
return {get('src'), string.format('%.17g', get('rate')), string.format('%.17g', rprev), rchanged, reason, gclosed, get('gate'),
  get('mo'), get('mg'), string.format('%.17g', get('mk')), get('me')}
`)

// stateScript reads the key's pacing for State: {src, rate, burst, gate
// µs, now µs}, Redis's clock.
var stateScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'src', 'rate', 'burst', 'gate')
local tm = redis.call('TIME')
return {v[1], v[2], v[3], v[4], tonumber(tm[1]) * 1000000 + tonumber(tm[2])}
`)

// checkScript is New's question to Redis: may this user run the Pacer's
// scripts (EVAL and EVALSHA: the call itself), read TIME, and run the
// commands inside them on the Pacer's keys? It answers the first command
// refused ("" for none) and writes nothing. redis.acl_check_cmd is Redis
// 7's; an older Redis (or miniredis) answers "".
//
//	KEYS: a key's hash and its processes' set, under the Pacer's prefix
var checkScript = redis.NewScript(`
redis.call('TIME')
if redis.acl_check_cmd then
  local K, P = KEYS[1], KEYS[2]
  local cmds = {{'hgetall', K}, {'hset', K, 'f', '1'}, {'hmget', K, 'f'}, {'pexpire', K, '1'},
    {'zadd', P, '1', 'm'}, {'zremrangebyscore', P, '0', '1'}, {'zrange', P, '0', '-1'}, {'pexpire', P, '1'}}
  for _, c in ipairs(cmds) do
    if not redis.acl_check_cmd(unpack(c)) then return c[1] end
  end
end
return ''
`)
