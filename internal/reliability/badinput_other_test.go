//go:build !unix

package reliability

import "testing"

// specialFiles: no named pipes, sockets or /dev/zero to test with here.
func specialFiles(*testing.T, string) map[string]string { return nil }
