package keys

// SKELETON — being completed by the keys work (issue 2). The exported names
// here are fixed; everything else is free.

import (
	"errors"
	"io"
)

// Format describes one service's key shape.
type Format struct {
	// Name names the format in error messages, e.g. "Hypedata".
	Name string
	// Prefixes are the accepted prefixes with the environment each one means.
	Prefixes []Prefix
}

// Prefix is one accepted key prefix and the environment it denotes.
type Prefix struct {
	Text string
	Env  Env
}

func (f *Format) prefixes() []string {
	out := make([]string, 0, len(f.Prefixes))
	for _, p := range f.Prefixes {
		out = append(out, p.Text)
	}
	return out
}

// Parse validates raw against f.
func (f *Format) Parse(raw string) (Key, error) { return Key{}, errors.New("TODO") }

// Generate makes a new random key of this format for env, reading randomness
// from r (crypto/rand.Reader when nil).
func (f *Format) Generate(env Env, r io.Reader) (Key, error) { return Key{}, errors.New("TODO") }

// Parse validates raw against formats (every built-in when none are given).
func Parse(raw string, formats ...*Format) (Key, error) { return Key{}, errors.New("TODO") }

// Built-in formats.
var Hypedata, Hypersave, HopX, HyperSync, Web3Storage *Format

// Opaque accepts any key of printable ASCII without whitespace (1-4096 bytes):
// for providers that do not know the service, and for custom services
// without a declared format.
var Opaque *Format
