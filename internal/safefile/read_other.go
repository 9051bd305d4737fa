//go:build !unix

package safefile

import "os"

// openReadFlags: systems other than unix have no O_NONBLOCK open; the type
// check before opening is what keeps a non-file from being read.
const openReadFlags = os.O_RDONLY
