//go:build unix

package credentials

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// alive reports whether pid is a running process (a zombie nobody has
// reaped yet is not: it runs nothing).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// childPID reads the PID a command wrote to file.
func childPID(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the command did not start its child: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// A key command that starts a child in the background and exits, the
// child keeping its output open, fails (as before) — and the child does not
// outlive it. The same for a command that runs past its timeout.
func TestCommandChildDoesNotOutliveIt(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc to tell a live process from a dead one")
	}
	for _, tc := range []struct {
		name    string
		script  string
		timeout time.Duration
		want    string
	}{
		{"background child", "sleep 1000 & echo $! > %s; echo " + fileKey, DefaultCommandTimeout, "kept its output open"},
		{"timeout", "sleep 1000 & echo $! > %s; wait", time.Second, "did not finish within 1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			script := strings.Replace(tc.script, "%s", pidFile, 1)
			_, err := CommandWithTimeout(tc.timeout, "sh", "-c", script).Retrieve(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			pid := childPID(t, pidFile)
			// SIGKILL is delivered at once but acted on by the kernel a
			// moment later: a bound on the bug, not a wait for success.
			for deadline := time.Now().Add(5 * time.Second); alive(pid) && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if alive(pid) {
				_ = os.Remove(pidFile)
				p, _ := os.FindProcess(pid)
				_ = p.Kill()
				t.Fatalf("the command's child %d outlived it", pid)
			}
		})
	}
}
