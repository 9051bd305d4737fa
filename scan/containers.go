package scan

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Containers: a gzip stream (.env.gz), a zip archive (a zipped config, a
// .jar, a CI artifact) and a UTF-16 file (what PowerShell's > writes) are
// decoded before they are scanned, so that a key inside is found like any
// other; the Finding's Chain names the container ("gzip", "zip:app/.env",
// "utf16le") and its Line and Column are in the decoded text. Decoding is
// bounded against bombs: each decoded stream at most maxDecoded bytes, and
// at most maxRatio times the bytes it came from once past a mebibyte; a zip
// archive is read into memory (it needs random access) up to maxZip bytes;
// containers nest at most maxDepth deep (a .gz inside a .zip).
const (
	maxDecoded = 256 << 20
	maxRatio   = 200
	maxZip     = 64 << 20
	maxMembers = 10000
	maxDepth   = 2
	// sniffLen is how much of an input is looked at to tell a container
	// (and, in an archive, a binary member: a NUL byte in it) from text.
	sniffLen = 512
)

// ErrDecodeLimit is returned (wrapped) when a container's content passes
// the bounds above: what was decoded before is scanned, the rest is not.
var ErrDecodeLimit = errors.New("decoded content passes the scanner's bound (256 MiB, or 200 times its compressed size)")

// container is the kind of input sniffed from its first bytes.
type container uint8

const (
	plain container = iota
	gzipped
	zipped
	utf16LE
	utf16BE
)

// sniff tells the container from the first bytes of an input.
func sniff(head []byte) container {
	switch {
	case len(head) >= 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8:
		return gzipped
	case len(head) >= 4 && string(head[:4]) == "PK\x03\x04":
		return zipped
	case len(head) >= 2 && head[0] == 0xff && head[1] == 0xfe:
		return utf16LE
	case len(head) >= 2 && head[0] == 0xfe && head[1] == 0xff:
		return utf16BE
	}
	// UTF-16 without a byte-order mark: text whose every other byte is 0.
	pairs, le, be := len(head)/2, 0, 0
	if pairs < 8 {
		return plain
	}
	for i := 0; i+1 < len(head); i += 2 {
		switch {
		case head[i] != 0 && head[i+1] == 0:
			le++
		case head[i] == 0 && head[i+1] != 0:
			be++
		}
	}
	switch {
	case le*10 >= pairs*9:
		return utf16LE
	case be*10 >= pairs*9:
		return utf16BE
	}
	return plain
}

// Decodable reports whether an input starting with head is a container
// Scan decodes (gzip, zip, UTF-16): a caller that skips binary files (a NUL
// byte near the start) should not skip these.
func Decodable(head []byte) bool { return sniff(head) != plain }

// scanAny scans r, decoding it first when it is a container, with outer
// naming the containers it came out of.
func (s *Scanner) scanAny(ctx context.Context, r io.Reader, fn func(Finding) error, outer string, depth int) error {
	var head [sniffLen]byte
	n, err := io.ReadFull(r, head[:])
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		r = bytes.NewReader(head[:n])
	case err != nil:
		r = io.MultiReader(bytes.NewReader(head[:n]), errReader{err})
	default:
		r = io.MultiReader(bytes.NewReader(head[:n]), r)
	}
	kind := sniff(head[:n])
	if kind == plain || depth >= maxDepth {
		if depth > 0 && bytes.IndexByte(head[:n], 0) >= 0 {
			return nil // a binary member of an archive
		}
		return s.scanText(ctx, r, fn, outer)
	}
	join := func(step string) string {
		if outer == "" {
			return step
		}
		return outer + ">" + step
	}
	switch kind {
	case gzipped:
		in := &countReader{r: r}
		gz, err := gzip.NewReader(in)
		if err != nil {
			return s.scanText(ctx, io.MultiReader(bytes.NewReader(head[:n]), r), fn, outer) // not gzip after all
		}
		defer gz.Close()
		step := "gzip"
		if gz.Name != "" {
			step += ":" + safeName(gz.Name)
		}
		err = s.scanAny(ctx, &boundReader{r: gz, in: in}, fn, join(step), depth+1)
		if err != nil {
			return fmt.Errorf("%s: %w", join(step), err)
		}
		return nil
	case zipped:
		return s.scanZip(ctx, r, fn, outer, join, depth)
	default:
		le := kind == utf16LE
		step := "utf16be"
		if le {
			step = "utf16le"
		}
		return s.scanAny(ctx, &utf16Reader{r: r, le: le}, fn, join(step), depth+1)
	}
}

// scanZip scans every member of the zip archive r holds.
func (s *Scanner) scanZip(ctx context.Context, r io.Reader, fn func(Finding) error, outer string, join func(string) string, depth int) error {
	data, err := io.ReadAll(io.LimitReader(r, maxZip+1))
	if err != nil {
		return err
	}
	if len(data) > maxZip {
		return fmt.Errorf("%s: a zip archive larger than %d MiB is not read (it must be held in memory): %w", join("zip"), maxZip>>20, ErrDecodeLimit)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return s.scanText(ctx, bytes.NewReader(data), fn, outer) // "PK\3\4" and then not a zip
	}
	var firstErr error
	for i, f := range zr.File {
		if i >= maxMembers {
			return fmt.Errorf("%s: more than %d members, the rest not read: %w", join("zip"), maxMembers, ErrDecodeLimit)
		}
		if f.FileInfo().IsDir() {
			continue
		}
		step := join("zip:" + safeName(f.Name))
		rc, err := f.Open()
		if err != nil {
			firstErr = cmpErr(firstErr, fmt.Errorf("%s: %w", step, err))
			continue
		}
		in := &countReader{n: int64(f.CompressedSize64)}
		err = s.scanAny(ctx, &boundReader{r: rc, in: in}, fn, step, depth+1)
		rc.Close()
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			var cb callbackError
			if errors.As(err, &cb) {
				return cb.err
			}
			firstErr = cmpErr(firstErr, fmt.Errorf("%s: %w", step, err))
		}
	}
	return firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// safeName makes an archive member's name printable: as it is when it is
// plain printable ASCII without spaces at its ends, else Go-quoted.
func safeName(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] >= 0x7f || name[i] == '>' {
			return strconv.QuoteToASCII(name)
		}
	}
	return name
}

// errReader returns its error.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// countReader counts the bytes read through it (n starts at a known count
// when r is nil).
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// boundReader passes on what r decodes until it passes maxDecoded bytes,
// or maxRatio times what was read of the compressed input (in) once past a
// mebibyte: a decompression bomb stops there.
type boundReader struct {
	r   io.Reader
	in  *countReader
	out int64
}

func (b *boundReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.out += int64(n)
	if b.out > maxDecoded || (b.out > 1<<20 && b.out > maxRatio*max(b.in.n, 1)) {
		return n, ErrDecodeLimit
	}
	return n, err
}

// utf16Reader turns UTF-16 (little- or big-endian) into UTF-8, a byte-order
// mark dropped and an unpaired surrogate written as U+FFFD.
type utf16Reader struct {
	r       io.Reader
	le      bool
	in      [32 << 10]byte
	keep    int    // bytes of in carried over (an odd byte, a high surrogate)
	out     []byte // decoded, not yet read
	err     error
	started bool
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		n, err := u.r.Read(u.in[u.keep:])
		n += u.keep
		u.keep = 0
		i := 0
		for ; i+1 < n; i += 2 {
			c := uint16(u.in[i])<<8 | uint16(u.in[i+1])
			if u.le {
				c = uint16(u.in[i+1])<<8 | uint16(u.in[i])
			}
			if !u.started {
				u.started = true
				if c == 0xfeff {
					continue
				}
			}
			r := rune(c)
			if utf16.IsSurrogate(r) {
				if i+3 >= n {
					if err == nil {
						break // the pair's second half comes with the next read
					}
					r = utf8.RuneError
				} else {
					d := uint16(u.in[i+2])<<8 | uint16(u.in[i+3])
					if u.le {
						d = uint16(u.in[i+3])<<8 | uint16(u.in[i+2])
					}
					if r2 := utf16.DecodeRune(r, rune(d)); r2 != utf8.RuneError {
						r = r2
						i += 2
					} else {
						r = utf8.RuneError
					}
				}
			}
			u.out = utf8.AppendRune(u.out, r)
		}
		u.keep = copy(u.in[:], u.in[i:n])
		if err != nil {
			u.err = err
			if u.keep > 0 && errors.Is(err, io.EOF) {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				u.keep = 0
			}
		}
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	if len(u.out) == 0 {
		u.out = u.out[:0:0]
	}
	return n, nil
}
