package scan

import (
	"math/rand/v2"

	"github.com/apikit/apikit-go/internal/scancorpus"
)

// Shorthands for the shared corpus generator.
var (
	filler   = scancorpus.Filler
	codeLine = scancorpus.CodeLine
	keyless  = scancorpus.Keyless
	blobs    = scancorpus.Blobs
)

func pick[T any](r *rand.Rand, xs []T) T { return scancorpus.Pick(r, xs) }
