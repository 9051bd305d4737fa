//go:build unix

package safefile

import (
	"os"
	"syscall"
)

// openReadFlags opens without blocking: a named pipe swapped in for the
// file between the check and the open must not hang the caller.
const openReadFlags = os.O_RDONLY | syscall.O_NONBLOCK
