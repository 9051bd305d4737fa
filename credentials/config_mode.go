package credentials

import (
	"io/fs"
	"strings"
)

// modeExposure says in words what mode's group and other bits allow, for
// the message that refuses a config file holding a literal key: "readable
// by its group", "writable by its group and readable by others". "" when
// the file is private.
func modeExposure(mode fs.FileMode) string {
	who := func(bits fs.FileMode) string {
		var can []string
		if bits&4 != 0 {
			can = append(can, "readable")
		}
		if bits&2 != 0 {
			can = append(can, "writable")
		}
		if bits&1 != 0 {
			can = append(can, "executable")
		}
		return strings.Join(can, " and ")
	}
	var parts []string
	g, o := who(mode.Perm()>>3&7), who(mode.Perm()&7)
	switch {
	case g != "" && g == o:
		parts = append(parts, g+" by its group and by others")
	default:
		if g != "" {
			parts = append(parts, g+" by its group")
		}
		if o != "" {
			parts = append(parts, o+" by others")
		}
	}
	return strings.Join(parts, ", and ")
}
