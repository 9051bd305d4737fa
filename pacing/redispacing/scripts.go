package redispacing

import "github.com/redis/go-redis/v9"

// The pacing of one API key is one Redis hash, <prefix>{<fingerprint>}: the
// braces are a cluster hash tag, so everything about one key sits in one
// slot. Times are Unix microseconds on the callers' clock (the caller
// passes "now"), rates requests a second. Fields, all optional:
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
//	win       the longest X-RateLimit-Reset seen, µs
//	floor     one request per hint of the latest 429
//	slow      1 while learning is in slow start
//	cutgate   slots booked before it belong to the last cut's episode
//	ot, on    successes observed since ot (µs), and how many
//	orate     the rate of successes observed over the window before
//
// The scripts are the in-process pacer's keyState (package pacing) in Lua,
// with the same constants, so that a fleet behaves as one process would.
// The hash expires a while after its last use (ARGV ttl), so keys no longer
// used leave nothing behind.

// common is the Lua shared by the scripts: reading the hash, setting the
// rate, and writing back what changed.
const common = `
local K = KEYS[1]
local raw = redis.call('HGETALL', K)
local s = {}
for i = 1, #raw, 2 do s[raw[i]] = tonumber(raw[i+1]) or 0 end
local dirty = {}
local function get(f) return s[f] or 0 end
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
local MIN_RATE = 0.05
-- setRate paces at rate with burst from src; it returns 1 when the change is
-- worth an event, and the rate before.
local function setRate(rate, burst, src)
  if rate < MIN_RATE then rate = MIN_RATE end
  if burst < 1 then burst = 1 end
  local prev, prevSrc, prevIv = get('rate'), get('src'), get('iv')
  local iv = math.floor(1e6 / rate + 0.5)
  set('src', src); set('rate', rate); set('burst', burst); set('iv', iv)
  local last = get('last')
  if last ~= 0 and get('tat') == last + prevIv then set('tat', last + iv) end
  if prevSrc == src and math.abs(rate - prev) < 0.01 * prev then return 0, prev end
  return 1, prev
end
local function limited(margin) return get('base') * (1 - margin - get('extra')) end
`

// reserveScript books a slot (see pacing.Local.Reserve). Unlike the
// in-process pacer it books as far ahead as the caller can wait: a caller
// told to ask again later would cost another round trip, and every waiting
// caller asking again at each free slot would be a herd of round trips.
//
//	ARGV: now µs, known rate, known burst, max wait µs, margin, ttl ms
//	reply: {ok, delay µs, gated, slot µs, src, rate as text, extra > 0,
//	        changed, previous rate as text}
var reserveScript = redis.NewScript(common + `
local now, kr, kb, maxWait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local margin, ttl = tonumber(ARGV[5]), tonumber(ARGV[6])
local changed, prev = 0, 0
if kr > 0 and (kr ~= get('kr') or kb ~= get('kb')) then
  set('kr', kr); set('kb', kb); set('base', kr)
  changed, prev = setRate(limited(margin), kb, 1)
end
local function reply(ok, d, gated, slot)
  if next(dirty) ~= nil then save(ttl) end
  local ex = 0
  if get('extra') > 0 then ex = 1 end
  return {ok, d, gated, slot, get('src'), string.format('%.17g', get('rate')), ex, changed, string.format('%.17g', prev)}
end
local gate = get('gate')
if get('src') == 0 and gate <= now then return reply(1, 0, 0, 0) end
local start, gated = now, 0
if gate > now then start, gated = gate, 1 end
local iv, burst = get('iv'), math.max(get('burst'), 1)
local t = start
local b = get('tat') - (burst - 1) * iv
if b > t then t = b end
local d = t - now
if d > maxWait then return reply(0, d, gated, 0) end
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

// reportScript takes an attempt's answer (see pacing.Local.Report).
//
//	ARGV: now µs, slot µs (0: none), status, retry after µs, X-RateLimit
//	      limit, remaining (-1: none), reset µs, margin, ttl ms
//	reply: {src, rate as text, previous rate as text, rate changed, reason,
//	        gate closed, gate µs}
var reportScript = redis.NewScript(common + `
local now, slot, status, hint = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local limit, remaining, reset = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local margin, ttl = tonumber(ARGV[8]), tonumber(ARGV[9])
if slot == 0 then slot = now end
local FIRST_GUESS, SLOW_STEP, PROBE_STEP = 1.0, 1.0, 0.005
local CUT_LOW, CUT_HIGH, CUT_MARGIN = 0.5, 0.9, 0.05
local EXTRA_STEP, EXTRA_MAX, NARROW_EVERY = 0.03, 0.15, 10
local WINDOW = 2e6
local rchanged, rprev, reason, gclosed = 0, get('rate'), '', 0
local function rate(r, burst, src, why)
  local c, p = setRate(r, burst, src)
  if c == 1 and rchanged == 0 then rchanged, rprev, reason = 1, p, why end
end
local function observed()
  local ot, on = get('ot'), get('on')
  local span = now - ot
  if on >= 3 and span >= 5e5 then return on / (span / 1e6) end
  return get('orate')
end
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
  rate(limited(margin), get('burst'), get('src'), 'margin')
end
local function closeGate(t, why)
  if t <= get('gate') then return end
  local wasOpen = get('gate') <= now
  set('gate', t)
  if get('src') == 0 then rate(FIRST_GUESS, 1, 3, why) end
  local least = t + (get('burst') - 1) * get('iv')
  if get('tat') < least then set('tat', least) end
  if wasOpen then gclosed = 1 end
end
if limit > 0 and reset > 0 and get('src') ~= 1 then
  if reset > get('win') then set('win', reset) end
  local base = limit / (get('win') / 1e6)
  if not (get('src') == 2 and math.abs(base - get('base')) < 0.001 * get('base')) then
    set('base', base)
    rate(limited(margin), 1, 2, string.format('X-RateLimit-Limit %d per %gs', limit, get('win') / 1e6))
  end
end
if status == 429 then
  if hint <= 0 then hint = 1e6 end
  set('floor', 1e6 / hint)
  local src = get('src')
  if slot < get('cutgate') and src ~= 0 then
    -- booked before the last cut: the same episode
  elseif src == 0 then
    set('slow', 1)
    rate(math.max(observed(), FIRST_GUESS, get('floor')), 1, 3, 'first 429')
    set('cutgate', now + hint)
  elseif src == 3 then
    local est, prev = observed(), get('rate')
    if get('slow') == 1 then est = math.max(est, prev - SLOW_STEP); set('slow', 0) end
    rate(math.max(math.min(math.max(est * (1 - CUT_MARGIN), prev * CUT_LOW), prev * CUT_HIGH), get('floor')), 1, 3, '429')
    set('cutgate', now + hint)
  else
    widen(true)
    set('cutgate', now + hint)
  end
  closeGate(now + hint, '429')
elseif status ~= 0 and status < 500 then
  if now - get('ot') > WINDOW then
    if get('ot') > 0 and get('on') > 0 then set('orate', get('on') / ((now - get('ot')) / 1e6)) else set('orate', 0) end
    set('ot', now); set('on', 0)
  end
  set('on', get('on') + 1)
  local src = get('src')
  if remaining == 0 and reset > 0 and src ~= 2 and src ~= 1 then closeGate(now + reset, 'remaining 0') end
  src = get('src')
  if src == 3 then
    local step = PROBE_STEP
    if get('slow') == 1 then step = SLOW_STEP end
    rate(get('rate') + step, 1, 3, 'probe')
  elseif src == 1 or src == 2 then
    widen(false)
  end
end
if next(dirty) ~= nil then save(ttl) end
return {get('src'), string.format('%.17g', get('rate')), string.format('%.17g', rprev), rchanged, reason, gclosed, get('gate')}
`)
