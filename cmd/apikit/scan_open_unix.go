//go:build unix

package main

import (
	"os"
	"syscall"
)

// openNoBlock opens p for reading without blocking on a named pipe with no
// writer (O_NONBLOCK; a regular file reads as usual with it).
func openNoBlock(p string) (*os.File, error) {
	return os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
}
