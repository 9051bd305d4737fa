//go:build unix

package safefile

import (
	"io/fs"
	"os/user"
	"strconv"
	"syscall"
)

// ownersKnown: unix files have an owner and mode bits to judge.
const ownersKnown = true

// ownerOf is the user ID that owns the file info describes.
func ownerOf(info fs.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// userName names uid for a message and a chown command: its login name when
// the system knows it, else the number.
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return u.Username
	}
	return strconv.Itoa(uid)
}
