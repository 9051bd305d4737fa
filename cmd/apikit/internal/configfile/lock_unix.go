//go:build unix

package configfile

import (
	"os"
	"syscall"
)

// lockFlags opens (or creates) the lock file without following a symbolic
// link planted in its place, and without blocking on a named pipe.
const lockFlags = os.O_CREATE | os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK | syscall.O_CLOEXEC
