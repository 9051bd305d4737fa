// Package otheruser lets tests attack as another local user would: files
// and links owned by a user who is not the one running the program.
// Creating them takes root; tests that need them skip otherwise.
package otheruser

import (
	"os"
	"testing"
)

// UID is the other user's ID: nobody's, which owns nothing of the test's.
const UID = 65534

// Need skips t unless it can create files owned by another user (it runs as
// root).
func Need(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root, to create files owned by another user")
	}
}

// Give makes the file or link at path the other user's (the link itself,
// not what it points to). It fails t if it cannot.
func Give(t testing.TB, path string) {
	t.Helper()
	Need(t)
	if err := os.Lchown(path, UID, UID); err != nil {
		t.Fatal(err)
	}
}
