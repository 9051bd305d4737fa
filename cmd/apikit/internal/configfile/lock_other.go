//go:build !unix

package configfile

import "os"

// lockFlags: systems without O_NOFOLLOW open the lock as gofrs/flock does.
const lockFlags = os.O_CREATE | os.O_RDONLY
