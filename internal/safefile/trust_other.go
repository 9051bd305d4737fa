//go:build !unix

package safefile

import (
	"io/fs"
	"strconv"
)

// ownersKnown: other systems' permissions (Windows ACLs) are not judged.
const ownersKnown = false

func ownerOf(fs.FileInfo) (int, bool) { return 0, false }

func userName(uid int) string { return strconv.Itoa(uid) }
