package redispacing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit/apikit-go/client"
)

// Fleet is a client.FleetRegistry on Redis: each process of a fleet
// reports, by heartbeat, which key it uses (by fingerprint), and a
// rotation (client.RotateOptions.Fleet) revokes the old key only once
// every live process reports the new one. A report lives for the TTL
// (WithFleetTTL), so a process that dies drops out on its own.
//
// Stored: a sorted set <prefix>fleet:{<name>} of process IDs by expiry, and
// a hash <prefix>fleet:{<name>}:keys of process ID → "<fingerprint> <seen
// µs>", and "~born" → when the first report made it (µs); both in one
// cluster slot. No key is ever stored.
//
// A registry younger than the TTL may not list every live process: Redis
// lost its state (a restart without persistence, a failover to a replica
// that had not caught up) or the fleet just started, and a process that
// reported just before is not in it yet. Processes then answers an error,
// so a rotation waits (and asks again) instead of revoking a key a live
// process still uses.
type Fleet struct {
	rdb      redis.UniversalClient
	set, ids string
	ttl      time.Duration
	every    time.Duration
	timeout  time.Duration
	now      func() time.Time
	logger   *slog.Logger
}

var _ client.FleetRegistry = (*Fleet)(nil)

// FleetOption configures a Fleet; NewFleet validates them.
type FleetOption func(*Fleet) error

// Defaults of the Fleet's options.
const (
	DefaultHeartbeat = 2 * time.Second
	DefaultFleetTTL  = 10 * time.Second
)

// WithHeartbeat sets how often Heartbeat reports (DefaultHeartbeat, 2 s).
// It must be well under the TTL: a report missed by a busy process must
// not drop it from the fleet.
func WithHeartbeat(every time.Duration) FleetOption {
	return func(f *Fleet) error {
		if every <= 0 {
			return fmt.Errorf("redispacing: WithHeartbeat(%s): give an interval above 0", every)
		}
		f.every = every
		return nil
	}
}

// WithFleetTTL sets how long a report keeps a process in the fleet
// (DefaultFleetTTL, 10 s): how long a rotation waits for a process that
// died before it could switch.
func WithFleetTTL(ttl time.Duration) FleetOption {
	return func(f *Fleet) error {
		if ttl <= 0 {
			return fmt.Errorf("redispacing: WithFleetTTL(%s): give a TTL above 0", ttl)
		}
		f.ttl = ttl
		return nil
	}
}

// WithFleetPrefix sets the prefix of the Fleet's Redis keys
// (DefaultPrefix); it may not hold '{' or '}'.
func WithFleetPrefix(prefix string) FleetOption {
	return func(f *Fleet) error {
		if strings.ContainsAny(prefix, "{}") {
			return fmt.Errorf("redispacing: WithFleetPrefix(%q): a prefix may not hold '{' or '}'", prefix)
		}
		f.set = prefix
		return nil
	}
}

// WithFleetLogger logs heartbeats that fail (at Warn, once until one
// succeeds again).
func WithFleetLogger(l *slog.Logger) FleetOption {
	return func(f *Fleet) error {
		f.logger = l
		return nil
	}
}

// WithFleetClock sets the clock reports are stamped with (time.Now by
// default).
func WithFleetClock(now func() time.Time) FleetOption {
	return func(f *Fleet) error {
		if now == nil {
			return errors.New("redispacing: WithFleetClock(nil): give a clock")
		}
		f.now = now
		return nil
	}
}

// NewFleet returns the registry of the fleet called name (the processes
// that share a key's rotation: e.g. "billing-workers"): 1 to 64 letters,
// digits, '_', '-' or '.'. Each of its Redis calls is bounded by one second
// (a heartbeat is not on any request's path, so it can afford more than the
// Pacer's 100 ms).
func NewFleet(rdb redis.UniversalClient, name string, opts ...FleetOption) (*Fleet, error) {
	if rdb == nil {
		return nil, errors.New("redispacing: NewFleet: the Redis client is nil")
	}
	if err := checkName("fleet name", name, "."); err != nil {
		return nil, err
	}
	f := &Fleet{rdb: rdb, set: DefaultPrefix, ttl: DefaultFleetTTL, every: DefaultHeartbeat, timeout: time.Second, now: time.Now}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(f); err != nil {
			return nil, err
		}
	}
	if f.every >= f.ttl {
		return nil, fmt.Errorf("redispacing: NewFleet: the heartbeat (%s) must be shorter than the TTL (%s), or live processes drop out", f.every, f.ttl)
	}
	f.set = f.set + "fleet:{" + name + "}"
	f.ids = f.set + ":keys"
	return f, nil
}

// checkName accepts 1 to 64 letters, digits, '_', '-' and the extra
// characters given.
func checkName(what, s, extra string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("redispacing: a %s has 1 to 64 characters, not %d", what, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || strings.IndexByte(extra, c) >= 0) {
			allowed := "letters, digits, '_' and '-'"
			if extra != "" {
				allowed = fmt.Sprintf("letters, digits, '_', '-' and %q", extra)
			}
			return fmt.Errorf("redispacing: a %s has only %s; position %d is not one", what, allowed, i)
		}
	}
	return nil
}

// ProcessID returns an ID for this process: host, pid and 4 random bytes,
// e.g. "web-7f9c.1234.9a8b7c6d".
func ProcessID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := []byte(fmt.Sprintf("%s.%d.%s", host, os.Getpid(), hex.EncodeToString(b[:])))
	for i, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			id[i] = '-'
		}
	}
	if len(id) > 64 {
		id = id[len(id)-64:]
	}
	return string(id)
}

// beatScript records one report and drops the expired ones.
//
//	KEYS: the set, the hash; ARGV: now µs, expiry µs, id, "<fp> <now µs>",
//	key TTL ms
var beatScript = redis.NewScript(`
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #gone > 0 then
  redis.call('ZREM', KEYS[1], unpack(gone))
  redis.call('HDEL', KEYS[2], unpack(gone))
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('HSETNX', KEYS[2], '~born', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return #gone
`)

// listScript returns when the registry was made (µs, "0": it is not) and
// the live processes: born, id, "<fp> <seen µs>", ….
//
//	KEYS: the set, the hash; ARGV: now µs
var listScript = redis.NewScript(`
local born = redis.call('HGET', KEYS[2], '~born') or '0'
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
if #ids == 0 then return {born} end
local vals = redis.call('HMGET', KEYS[2], unpack(ids))
local out = {born}
for i, id in ipairs(ids) do
  if vals[i] then out[#out+1] = id; out[#out+1] = vals[i] end
end
return out
`)

// Beat reports once that the process id uses the key with fingerprint fp.
func (f *Fleet) Beat(ctx context.Context, id, fp string) error {
	if err := checkName("process ID", id, ".:"); err != nil {
		return err
	}
	if err := checkFingerprint(fp); err != nil {
		return err
	}
	now := f.now()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	err := beatScript.Run(ctx, f.rdb, []string{f.set, f.ids}, now.UnixMicro(), now.Add(f.ttl).UnixMicro(), id,
		fp+" "+strconv.FormatInt(now.UnixMicro(), 10), (2 * f.ttl).Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("redispacing: fleet heartbeat: %w", err)
	}
	return nil
}

// Leave removes the process id from the fleet at once (on a clean
// shutdown), instead of when its report expires.
func (f *Fleet) Leave(ctx context.Context, id string) error {
	if err := checkName("process ID", id, ".:"); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	pipe := f.rdb.TxPipeline()
	pipe.ZRem(ctx, f.set, id)
	pipe.HDel(ctx, f.ids, id)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redispacing: leaving the fleet: %w", err)
	}
	return nil
}

// Heartbeat reports, now and every heartbeat interval until ctx ends,
// that the process id uses the key c would send now (its fingerprint). A
// process switches when its client does: after c.ResetCredential (a
// watched secret file, your deploy hook) or a 401 that makes it ask its
// source again. A failed report is logged and retried at the next beat.
// On return (ctx done) the process leaves the fleet. Run it on a goroutine
// of its own.
func (f *Fleet) Heartbeat(ctx context.Context, id string, c *client.Client) error {
	if err := checkName("process ID", id, ".:"); err != nil {
		return err
	}
	t := time.NewTicker(f.every)
	defer t.Stop()
	failing := false
	for {
		err := f.beatClient(ctx, id, c)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			failing = true
			if f.logger != nil {
				f.logger.Warn("redispacing: fleet heartbeat failed; retrying at each beat", "process", id, "error", err.Error())
			}
		case err == nil && failing:
			failing = false
			if f.logger != nil {
				f.logger.Info("redispacing: fleet heartbeat reported again", "process", id)
			}
		}
		select {
		case <-ctx.Done():
			_ = f.Leave(context.WithoutCancel(ctx), id)
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (f *Fleet) beatClient(ctx context.Context, id string, c *client.Client) error {
	cred, err := c.Credential(ctx)
	if err != nil {
		return fmt.Errorf("which key the client uses: %w", err)
	}
	return f.Beat(ctx, id, cred.Key.Fingerprint())
}

// Processes lists the live processes of the fleet and the key each
// reported last; see client.FleetRegistry. It fails while the registry is
// younger than the TTL (see Fleet): a process may have reported to a Redis
// that lost its state since.
func (f *Fleet) Processes(ctx context.Context) ([]client.FleetProcess, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	now := f.now()
	v, err := listScript.Run(ctx, f.rdb, []string{f.set, f.ids}, now.UnixMicro()).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redispacing: listing the fleet: %w", err)
	}
	a, _ := v.([]any)
	if len(a) == 0 {
		return nil, fmt.Errorf("redispacing: fleet list: %T, want an array", v)
	}
	born, _ := a[0].(string)
	us, err := strconv.ParseInt(born, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("redispacing: fleet list: the registry's birth %q is not µs", born)
	}
	if age := now.Sub(time.UnixMicro(us)); us != 0 && age < f.ttl {
		return nil, fmt.Errorf("redispacing: the fleet registry is %s old, younger than its TTL (%s): Redis lost its state, or the fleet just started, and a live process may not have reported yet; ask again in %s",
			age.Round(time.Millisecond), f.ttl, (f.ttl - age).Round(time.Millisecond))
	}
	return parseProcesses(a[1:])
}

// parseProcesses reads listScript's reply.
func parseProcesses(v any) ([]client.FleetProcess, error) {
	a, _ := v.([]any)
	if v != nil && a == nil {
		return nil, fmt.Errorf("redispacing: fleet list: %T, want an array", v)
	}
	out := make([]client.FleetProcess, 0, len(a)/2)
	for i := 0; i+1 < len(a); i += 2 {
		id, _ := a[i].(string)
		val, _ := a[i+1].(string)
		fp, seen, ok := strings.Cut(val, " ")
		us, err := strconv.ParseInt(seen, 10, 64)
		if id == "" || !ok || err != nil || checkFingerprint(fp) != nil {
			return nil, fmt.Errorf("redispacing: fleet list: entry %d is not \"<fingerprint> <µs>\"", i/2)
		}
		out = append(out, client.FleetProcess{ID: id, KeyFingerprint: fp, Seen: time.UnixMicro(us)})
	}
	return out, nil
}
