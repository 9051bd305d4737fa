//go:build unix

package credentials

import (
	"errors"
	"os/exec"
	"syscall"
)

// inOwnGroup makes cmd the leader of a process group of its own, and its
// cancellation kill that whole group: a key command that starts a child
// (sh -c 'helper & ...') must not leave it running past the timeout.
func inOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
}

// killGroup kills every process of cmd's group; one already gone is no
// error.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
