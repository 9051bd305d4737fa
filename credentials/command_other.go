//go:build !unix

package credentials

import "os/exec"

// inOwnGroup: other systems keep exec's default (the process alone is
// killed on cancellation).
func inOwnGroup(*exec.Cmd) {}

// killGroup: nothing more to kill than exec already has.
func killGroup(*exec.Cmd) error { return nil }
