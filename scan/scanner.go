package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/apikit/apikit-go/keys"
)

const (
	// defaultChunk is how many new bytes each read round scans.
	defaultChunk = 256 << 10
	// contextWindow is how near (in bytes) a word naming the service must
	// be to a UUID for the UUID to be reported; it must also be on the
	// UUID's line or the line above.
	contextWindow = 256
	// uuidSpan is the longest a UUID is written: 36 raw, 48 in base64.
	uuidSpan = 50
)

// Scanner finds keys in text. Make one with [New]; it is safe for
// concurrent use, and reuses its read buffers from one scan to the next.
type Scanner struct {
	targets []*target
	groups  []anchorGroup
	uuid    bool // HyperSync tokens, found near their context keywords
	// genericJWT reports JWTs whose claims do not name web3.storage, as
	// Service "JWT".
	genericJWT bool
	withKeys   bool
	examples   bool
	chunk      int
	// behind and ahead are how many bytes before and after the region a
	// round owns the scanner keeps, so that every key starting in the
	// region (and the words around a UUID) is whole in the buffer.
	behind, ahead int
	swar          swarPlan
	seams         *seamTable // the base64 needles, by how a line break can cut them
	// bufs recycles read buffers between scans, so that scanning many
	// small files does not allocate one per file.
	bufs sync.Pool
}

// Option configures a Scanner.
type Option func(*config)

type config struct {
	formats    []*keys.Format
	noBuiltins bool
	withKeys   bool
	examples   bool
	genericJWT bool
	chunk      int
}

// WithFormats adds formats to look for, besides the built-in ones (see
// [WithoutBuiltins]). A format must have at least one prefix, of 2
// characters or more: the scanner finds keys by their fixed prefix, and
// finds them base64-encoded when the prefix has 3 characters or more. For
// UUID and JWT keys use [keys.HyperSync] and [keys.Web3Storage] themselves.
func WithFormats(formats ...*keys.Format) Option {
	return func(c *config) { c.formats = append(c.formats, formats...) }
}

// WithoutBuiltins looks only for the formats given [WithFormats].
func WithoutBuiltins() Option { return func(c *config) { c.noBuiltins = true } }

// WithKeys makes each Finding carry the parsed key ([Finding.Key]), for a
// program that must act on it (revoke it, compare it with the keys in use).
// The Key still prints redacted.
func WithKeys() Option { return func(c *config) { c.withKeys = true } }

// WithExamples reports the keys that vendors publish in their documentation
// as examples, marked [Finding.Example]; by default they are skipped.
func WithExamples() Option { return func(c *config) { c.examples = true } }

// WithGenericJWTs also reports JWTs that are not web3.storage tokens (any
// well-formed, unexpired JWT whose claims do not say iss "web3-storage"
// with a did: subject), with Service [GenericJWT]. By default they are not
// reported: most JWTs in code are test fixtures and short-lived session
// tokens of other services.
func WithGenericJWTs() Option { return func(c *config) { c.genericJWT = true } }

// GenericJWT is the Service of a finding for a JWT that is not a
// web3.storage token, reported with [WithGenericJWTs].
const GenericJWT = "JWT"

// WithChunkSize sets how many bytes the scanner reads and scans per round
// (default 256 KiB). Memory use is about this plus 7 KiB, whatever the
// input's size or the length of its lines. Findings do not depend on it.
func WithChunkSize(n int) Option { return func(c *config) { c.chunk = n } }

// New returns a Scanner for the built-in formats and those given
// [WithFormats]. It fails on a nil or invalid format, a format it cannot
// search for (no prefix), or a chunk size below 1.
func New(opts ...Option) (*Scanner, error) {
	c := config{chunk: defaultChunk}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.chunk < 1 {
		return nil, fmt.Errorf("scan: chunk size %d: want at least 1 byte", c.chunk)
	}
	formats := c.formats
	if !c.noBuiltins {
		formats = append(builtinFormats(), formats...)
	}
	if len(formats) == 0 {
		return nil, errors.New("scan: no formats to look for: WithoutBuiltins needs WithFormats")
	}
	s := &Scanner{withKeys: c.withKeys, examples: c.examples, chunk: c.chunk, genericJWT: c.genericJWT}
	seen := map[*keys.Format]bool{}
	maxPrefix := 0
	for i, f := range formats {
		if f == nil {
			return nil, fmt.Errorf("scan: format %d is nil", i+1)
		}
		if seen[f] {
			continue
		}
		seen[f] = true
		if _, err := f.Parse(""); err != nil && strings.Contains(err.Error(), "invalid format") {
			return nil, fmt.Errorf("scan: %w", err)
		}
		if f == keys.HyperSync {
			s.uuid = true
			continue
		}
		if f != keys.Web3Storage && len(f.Prefixes) == 0 {
			return nil, fmt.Errorf("scan: the %s format has no prefix: the scanner finds keys by their fixed prefix "+
				"(for UUID or JWT keys, use keys.HyperSync or keys.Web3Storage)", formatName(f))
		}
		for _, p := range f.Prefixes {
			if len(p.Text) < 2 {
				return nil, fmt.Errorf("scan: the %s format's prefix %q is too short to search for: the scanner "+
					"needs a prefix of 2 characters or more (3 or more to find base64-encoded keys)", formatName(f), p.Text)
			}
		}
		for _, t := range newTargets(f) {
			s.targets = append(s.targets, t)
			maxPrefix = max(maxPrefix, len(t.prefix))
		}
	}
	s.seams = newSeamTable(s.targets)
	s.groups = buildGroups(s.targets, s.uuid, s.seams != nil)
	s.swar = newSWARPlan(s.groups)
	// The longest extent of a key: prefix, key id, separator, secret, one
	// byte to see it end; base64 takes 4 characters per 3 bytes, plus a
	// group on either side.
	longest := maxPrefix + maxKeyLen + 64
	// A key written with \u escapes takes 6 characters a byte (only keys
	// whose prefix has a "_" are looked for so), base64 in base64 16 for 9.
	encLongest := 0
	for _, t := range s.targets {
		if !t.jwt {
			encLongest = max(encLongest, len(t.prefix)+t.idLen+len(t.sep)+t.maxBody+1)
		}
	}
	s.ahead = max(longest*4/3+16, 6*encLongest+16, encLongest*16/9+64, 2*contextWindow+2*uuidSpan+32) + maxRunLook
	s.behind = max(2*contextWindow+2*uuidSpan+32, maxRunLook+8, b64VarReach+8)
	return s, nil
}

func formatName(f *keys.Format) string {
	if f.Name == "" {
		return "API"
	}
	return f.Name
}

// All scans r to its end and returns every finding, in input order.
func (s *Scanner) All(ctx context.Context, r io.Reader) ([]Finding, error) {
	var out []Finding
	err := s.Scan(ctx, r, func(f Finding) error {
		out = append(out, f)
		return nil
	})
	return out, err
}

// Scan reads r to its end and calls fn with each finding, in input order.
// It stops at the first error fn returns, and returns it unchanged; it
// stops too when ctx ends, returning ctx.Err(). When r fails, what was read
// before is still scanned, and the read error is returned, wrapped. Memory
// stays bounded ([WithChunkSize]) whatever r holds.
func (s *Scanner) Scan(ctx context.Context, r io.Reader, fn func(Finding) error) error {
	if r == nil {
		return errors.New("scan: nil reader")
	}
	if fn == nil {
		return errors.New("scan: nil callback")
	}
	err := s.scanAny(ctx, r, func(f Finding) error {
		if err := fn(f); err != nil {
			return callbackError{err}
		}
		return nil
	}, "", 0)
	var cb callbackError
	if errors.As(err, &cb) {
		return cb.err // fn's own error, unchanged
	}
	return err
}

// callbackError carries the error of Scan's callback through the layers of
// containers, so that Scan returns it unchanged.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

// scanText scans r as text, the findings' Chain starting with outer.
func (s *Scanner) scanText(ctx context.Context, r io.Reader, fn func(Finding) error, outer string) error {
	st := &state{s: s, lastNL: -1, line: 1, outer: outer}
	bp, _ := s.bufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, s.behind+s.chunk+s.ahead)
		bp = &b
	}
	buf := *bp
	used := 0
	defer func() {
		clear(buf[:used]) // keys found (or not) do not outlive the scan in a pooled buffer
		s.bufs.Put(bp)
	}()
	n, ownStart := 0, 0
	eof := false
	var readErr error
	empty := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		for n < len(buf) && !eof {
			m, err := r.Read(buf[n:])
			n += m
			switch {
			case errors.Is(err, io.EOF):
				eof = true
			case err != nil:
				// Scan what was read, then say why the rest was not.
				eof, readErr = true, fmt.Errorf("scan: reading the input at byte %d: %w", st.base+int64(n), err)
			case m == 0:
				if empty++; empty > 100 {
					eof, readErr = true, fmt.Errorf("scan: reading the input at byte %d: %w", st.base+int64(n), io.ErrNoProgress)
				}
			default:
				empty = 0
			}
		}
		used = max(used, n)
		ownEnd := n
		if !eof {
			ownEnd = n - s.ahead
		}
		if err := st.round(buf[:n], ownStart, ownEnd, fn); err != nil {
			return err
		}
		if eof {
			return readErr
		}
		from := ownEnd - min(s.behind, ownEnd)
		copy(buf, buf[from:n])
		n -= from
		ownStart = ownEnd - from
		st.base += int64(from)
		st.mark -= from
	}
}

// hit is a key found in one round, before it becomes a Finding.
type hit struct {
	off   int // in the round's buffer
	enc   Encoding
	chain string // "" for enc's own name
	key   keys.Key
}

// state is one Scan's progress.
type state struct {
	s    *Scanner
	base int64 // the input offset of buf[0]
	// mark is a position in the buffer up to which lines are counted:
	// line is the line number there, lastNL the input offset of the last
	// newline before it (-1: none).
	mark   int
	line   int
	lastNL int64
	hits   []hit
	outer  string // the containers the input was decoded from ("gzip", "zip:a.env"), outermost first
	kws    []int  // keyword positions this round, for UUIDs
	kwLen  []int
	dec    []byte // base64 decoding scratch
	dec2   []byte // the outer text of base64 in base64
	join   []byte // base64 joined across a line break
}

// round scans b for keys that start in b[lo:hi], reports them in order,
// and counts the lines up to hi.
func (st *state) round(b []byte, lo, hi int, fn func(Finding) error) error {
	st.hits, st.kws, st.kwLen = st.hits[:0], st.kws[:0], st.kwLen[:0]
	if hi > lo {
		if st.s.swar.ok {
			st.searchSWAR(b, lo, hi)
		} else {
			st.search(b, lo, hi)
		}
		if len(st.kws) > 0 {
			st.uuids(b, lo, hi)
		}
	}
	sort.SliceStable(st.hits, func(i, j int) bool {
		if st.hits[i].off != st.hits[j].off {
			return st.hits[i].off < st.hits[j].off
		}
		if st.hits[i].enc != st.hits[j].enc {
			return st.hits[i].enc < st.hits[j].enc
		}
		return st.hits[i].chain < st.hits[j].chain
	})
	for i, h := range st.hits {
		if i > 0 && h.off == st.hits[i-1].off && h.enc == st.hits[i-1].enc && h.chain == st.hits[i-1].chain {
			continue // the same key, through two needles
		}
		st.advance(b, h.off)
		f := Finding{
			Line: st.line, Column: int(st.base + int64(h.off) - st.lastNL), Offset: st.base + int64(h.off),
			Service: formatName(h.key.Spec()), Env: h.key.Env(), Encoding: h.enc,
			Redacted: h.key.String(), Fingerprint: h.key.Fingerprint(), Chain: st.chain(h),
		}
		if h.key.Spec() == keys.Web3Storage && !isWeb3(h.key) {
			f.Service = GenericJWT
		}
		f.Example = isExample(f.Fingerprint)
		if f.Example && !st.s.examples {
			continue
		}
		if st.s.withKeys {
			f.key = h.key
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	st.advance(b, max(hi, st.mark))
	return nil
}

// chain is the Finding.Chain of h: the containers the input came out of
// (st.outer), then how the key was written in it.
func (st *state) chain(h hit) string {
	inner := h.chain
	if inner == "" {
		inner = h.enc.String()
	}
	switch {
	case st.outer == "":
		return inner
	case inner == "raw":
		return st.outer
	}
	return st.outer + ">" + inner
}

// advance moves the line count to b[to].
func (st *state) advance(b []byte, to int) {
	if to <= st.mark {
		return
	}
	seg := b[st.mark:to]
	if nl := countNL(seg); nl > 0 {
		st.line += nl
		st.lastNL = st.base + int64(st.mark+lastNL(seg))
	}
	st.mark = to
}
