package main

import (
	"fmt"
	"io/fs"
	"os"

	"github.com/apikit/apikit-go/internal/safefile"
)

// openRegular opens the regular file p for reading, never blocking: p is
// opened non-blocking and checked, through the open file, to be a regular
// file (so a path swapped for a pipe between a check and the open is still
// caught), with safefile's reason for anything else (a named pipe, a
// device, a socket: reading it could block or never end). It returns the
// file and its size.
func openRegular(p string) (*os.File, int64, error) {
	f, err := openNoBlock(p)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if err := safefile.CheckRegular(st); err != nil {
		f.Close()
		return nil, 0, &fs.PathError{Op: "open", Path: p, Err: fmt.Errorf("%w: not read, since reading it could block or never end", err)}
	}
	return f, st.Size(), nil
}
