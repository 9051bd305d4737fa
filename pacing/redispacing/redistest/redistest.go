// Package redistest runs a real redis-server (the Debian package's binary)
// for tests and load scripts: on a free loopback port, without persistence,
// stopped by Stop. It is how redispacing's tests and scripts/pacing prove
// the pacer against the Redis a fleet would use, beside the fast in-memory
// miniredis.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Binary finds redis-server on PATH or in /usr/bin and /usr/sbin; "" when
// it is not installed (apt-get install redis-server).
func Binary() string {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/sbin/redis-server"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Server is one redis-server process. Kill and Restart let a test take it
// away mid-run and bring it back on the same port (empty: nothing is
// saved).
type Server struct {
	bin   string
	port  int
	extra []string // more redis-server arguments (StartCluster's)
	dir   string   // its working directory ("": the caller's)
	cmd   *exec.Cmd
	done  chan struct{}
}

// Start starts redis-server on a free loopback port and waits until it
// answers PING.
func Start(ctx context.Context) (*Server, error) {
	bin := Binary()
	if bin == "" {
		return nil, errors.New("redistest: redis-server is not installed (apt-get install redis-server)")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, port: port}
	return s, s.start(ctx)
}

// Addr is the server's host:port on 127.0.0.1.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

func (s *Server) start(ctx context.Context) error {
	s.cmd = exec.Command(s.bin, append([]string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"}, s.extra...)...)
	s.cmd.Dir = s.dir
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("redistest: starting %s: %w", s.bin, err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(s.cmd, s.done)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := s.Do(ctx, "PING"); err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("redistest: redis-server on port %d exited at start (is the port taken?)", s.port)
		case <-ctx.Done():
			s.Kill()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("redistest: redis-server on port %d did not answer PING within 10s", s.port)
		}
	}
}

// Kill ends the server at once (SIGKILL), as a crash would, and waits for
// it to exit.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused process ends too
	<-s.done
	s.cmd = nil
}

// Restart starts the server again on the same port, after Kill.
func (s *Server) Restart(ctx context.Context) error {
	s.Kill()
	return s.start(ctx)
}

// Pause stops the server's process (SIGSTOP) without ending it: it keeps
// its connections and answers nothing, as a server stalled by a long
// command, a fork or a VM pause does, until Resume.
func (s *Server) Pause() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return errors.New("redistest: Pause: the server is not running")
	}
	return s.cmd.Process.Signal(syscall.SIGSTOP)
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return errors.New("redistest: Resume: the server is not running")
	}
	return s.cmd.Process.Signal(syscall.SIGCONT)
}

// Stop ends the server.
func (s *Server) Stop() { s.Kill() }

// Do sends one command and returns its reply as text (RESP, read loosely:
// a status, an error, an integer or a bulk string; arrays are not read).
// It is enough for PING, INFO and CONFIG without a client library.
func (s *Server) Do(ctx context.Context, args ...string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr())
	if err != nil {
		return "", err
	}
	defer conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(conn))
}

func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("redistest: empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("redistest: redis: %s", line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < -1 || n > 64<<20 {
			return "", fmt.Errorf("redistest: bad bulk length %q", line)
		}
		if n == -1 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("redistest: reply type %q is not read here", line[0])
}

// CommandStats reads INFO commandstats: calls by command name (lower case,
// e.g. "evalsha").
func (s *Server) CommandStats(ctx context.Context) (map[string]int64, error) {
	info, err := s.Do(ctx, "INFO", "commandstats")
	if err != nil {
		return nil, err
	}
	return ParseCommandStats(info), nil
}

// ParseCommandStats reads the text of INFO commandstats: lines like
// "cmdstat_evalsha:calls=12,usec=40,...". Lines it cannot read are
// skipped.
func ParseCommandStats(info string) map[string]int64 {
	out := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		name, rest, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, f := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(f, "calls="); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
					out[strings.TrimPrefix(name, "cmdstat_")] = n
				}
			}
		}
	}
	return out
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("redistest: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
