package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmux runs tmux on the test's own server socket.
func tmux(t *testing.T, socket string, args ...string) string {
	t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// waitForScreen polls the pane until it shows want (the program runs at
// its own pace in a real terminal; this waits for a state, it measures
// nothing), and returns the screen.
func waitForScreen(t *testing.T, socket, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		screen := tmux(t, socket, "capture-pane", "-p", "-t", "apikit")
		if strings.Contains(screen, want) {
			return screen
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; it shows:\n%s", want, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHiddenPromptInATerminal runs login in a real terminal (tmux), types
// the key at the prompt, and checks the key never appears on the screen.
func TestHiddenPromptInATerminal(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is not installed; .ci/run installs it (need tmux tmux)")
		}
		t.Skip("tmux is not installed (apt-get install tmux); CI runs this test")
	}
	u := newUser(t)
	socket := fmt.Sprintf("apikit-test-%d", os.Getpid())
	var env []string
	for k, v := range u.env {
		env = append(env, fmt.Sprintf("export %s=%q", k, v))
	}
	script := u.writeFile("login.sh", "#!/bin/sh\n"+strings.Join(env, "\n")+"\ncd "+u.cwd+"\n"+
		apikitBinary(t)+" login hypedata --insecure-storage\necho \"EXIT=$?\"\nexec sleep 600\n", 0o700)
	tmux(t, socket, "new-session", "-d", "-s", "apikit", "-x", "160", "-y", "40", script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", socket, "kill-server").Run() })

	waitForScreen(t, socket, "Paste the hypedata API key")
	tmux(t, socket, "send-keys", "-t", "apikit", "-l", hdKey)
	tmux(t, socket, "send-keys", "-t", "apikit", "Enter")
	screen := waitForScreen(t, socket, "EXIT=")
	if !strings.Contains(screen, "EXIT=0") || !strings.Contains(screen, "Stored hypedata key hd_test_…3EaU") {
		t.Fatalf("login in the terminal did not succeed:\n%s", screen)
	}
	for i := 0; i+8 <= len(secretBody(hdKey)); i++ {
		if part := secretBody(hdKey)[i : i+8]; strings.Contains(screen, part) {
			t.Fatalf("the typed key was echoed (%q):\n%s", part, screen)
		}
	}
	b, err := os.ReadFile(filepath.Join(u.home, ".config", "apikit", "config.yaml"))
	if err != nil || !strings.Contains(string(b), "api_key: "+hdKey) {
		t.Fatalf("the key typed at the prompt was not stored: %v\n%s", err, b)
	}
}
