package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

//go:embed nginx/nginx.conf.tmpl
var nginxConfTemplate string

// gatewayLimit is what the nginx config enforces per key: 5 requests per
// second, burst 0, and the Retry-After it sends with a 429.
const (
	gatewayRate       = 5.0
	gatewayRetryAfter = time.Second
)

// gateway is a running nginx with the two rate-limited servers of
// nginx/nginx.conf.tmpl: "blind" (no rate-limit headers) and "headers".
type gateway struct {
	prefix      string // temporary directory: config, logs, pid, the 200 body
	blindURL    string
	headersURL  string
	cmd         *exec.Cmd
	exited      chan struct{} // closed when nginx has exited
	exitErr     error         // nginx's exit status, once exited is closed
	stderr      bytes.Buffer
	nginxBinary string
}

// findNginx returns the nginx binary: on PATH, or where Debian puts it
// (/usr/sbin is not on every user's PATH).
func findNginx() (string, error) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("nginx not found on PATH or in /usr/sbin: install it (apt-get install nginx), or run scripts/pacing/run, which does")
}

// freePort asks the kernel for a free port on 127.0.0.1. Another process
// could take it before nginx binds it; startGateway retries if so.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startGateway writes the config into a new temporary directory and starts
// nginx on two free loopback ports. The caller must call stop, which also
// removes the directory.
func startGateway(ctx context.Context) (*gateway, error) {
	bin, err := findNginx()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for try := 0; try < 3; try++ {
		g, err := startGatewayOnce(ctx, bin)
		if err == nil {
			return g, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func startGatewayOnce(ctx context.Context, bin string) (*gateway, error) {
	prefix, err := os.MkdirTemp("", "apikit-pacing-nginx-")
	if err != nil {
		return nil, fmt.Errorf("creating nginx's temporary directory: %w", err)
	}
	g := &gateway{prefix: prefix, nginxBinary: bin, exited: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			g.stop()
		}
	}()
	blind, err := freePort()
	if err != nil {
		return nil, err
	}
	headers, err := freePort()
	if err != nil {
		return nil, err
	}
	if blind == headers {
		return nil, errors.New("the kernel gave the same free port twice; retrying")
	}
	for _, d := range []string{"html", "tmp"} {
		if err := os.MkdirAll(filepath.Join(prefix, d), 0o755); err != nil {
			return nil, fmt.Errorf("preparing nginx's directory: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(prefix, "html", "ok.json"), []byte("{\"ok\":true}\n"), 0o644); err != nil {
		return nil, fmt.Errorf("writing the 200 body: %w", err)
	}
	conf, err := renderConfig(prefix, blind, headers)
	if err != nil {
		return nil, err
	}
	confPath := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(confPath, conf, 0o644); err != nil {
		return nil, fmt.Errorf("writing nginx.conf: %w", err)
	}
	// -e: the error log before the config is read (Debian's compiled-in one
	// is /var/log/nginx/error.log, not writable by every user).
	g.cmd = exec.Command(bin, "-p", prefix, "-e", filepath.Join(prefix, "error.log"), "-c", confPath)
	g.cmd.Stdout = &g.stderr
	g.cmd.Stderr = &g.stderr
	// nginx dies with the harness, even if the harness is killed outright.
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting nginx: %w", err)
	}
	go func() {
		g.exitErr = g.cmd.Wait()
		close(g.exited)
	}()
	g.blindURL = fmt.Sprintf("http://127.0.0.1:%d", blind)
	g.headersURL = fmt.Sprintf("http://127.0.0.1:%d", headers)
	if err := g.waitReady(ctx, blind, headers); err != nil {
		return nil, err
	}
	ok = true
	return g, nil
}

// renderConfig fills in nginx/nginx.conf.tmpl.
func renderConfig(prefix string, blindPort, headersPort int) ([]byte, error) {
	t, err := template.New("nginx.conf").Option("missingkey=error").Parse(nginxConfTemplate)
	if err != nil {
		return nil, fmt.Errorf("parsing nginx/nginx.conf.tmpl: %w", err)
	}
	var b bytes.Buffer
	err = t.Execute(&b, struct {
		Prefix                 string
		BlindPort, HeadersPort int
	}{prefix, blindPort, headersPort})
	if err != nil {
		return nil, fmt.Errorf("filling in nginx/nginx.conf.tmpl: %w", err)
	}
	return b.Bytes(), nil
}

// waitReady waits until both ports accept connections, nginx exits, or 10 s
// pass.
func (g *gateway) waitReady(ctx context.Context, ports ...int) error {
	deadline := time.Now().Add(10 * time.Second)
	for _, port := range ports {
		for {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-g.exited:
				return fmt.Errorf("nginx exited at start (%v): %s%s", g.exitErr,
					strings.TrimSpace(g.stderr.String()), g.errorLogTail())
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("nginx did not listen on 127.0.0.1:%d within 10 s%s", port, g.errorLogTail())
			}
		}
	}
	return nil
}

func (g *gateway) errorLogTail() string {
	b, err := os.ReadFile(filepath.Join(g.prefix, "error.log"))
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\nnginx error.log:\n" + string(b)
}

// stopProcess ends nginx: SIGQUIT (finish what is in flight, flush the
// logs, exit), SIGKILL after 5 s. Safe to call more than once.
func (g *gateway) stopProcess() {
	if g.cmd == nil || g.cmd.Process == nil {
		return
	}
	select {
	case <-g.exited:
		return
	default:
	}
	_ = g.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-g.exited:
	case <-time.After(5 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.exited
	}
}

// stop ends nginx and removes its directory. Safe to call more than once.
func (g *gateway) stop() {
	g.stopProcess()
	if g.prefix != "" {
		_ = os.RemoveAll(g.prefix)
		g.prefix = ""
	}
}

// logs returns what nginx wrote to its access and error logs.
func (g *gateway) logs() (access, errorLog []byte, err error) {
	access, err = os.ReadFile(filepath.Join(g.prefix, "access.log"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading nginx's access log: %w", err)
	}
	errorLog, _ = os.ReadFile(filepath.Join(g.prefix, "error.log"))
	return access, errorLog, nil
}

// version returns "nginx/1.22.1" or similar.
func nginxVersion(bin string) string {
	out, err := exec.Command(bin, "-v").CombinedOutput()
	if err != nil {
		return "nginx (version unknown)"
	}
	s := strings.TrimSpace(string(out))
	return strings.TrimPrefix(s, "nginx version: ")
}

// logEntry is one line of the access log (log_format pacing).
type logEntry struct {
	Done    time.Time     // when nginx logged the answer
	Took    time.Duration // $request_time
	Status  int
	Conn    uint64 // $connection: nginx's serial number of the TCP connection
	Path    string
	Arrived time.Time // Done - Took: when nginx read the request's first bytes
}

// parseLogLine parses "$msec $request_time $status $connection $cell".
func parseLogLine(line string) (logEntry, error) {
	f := strings.Fields(line)
	if len(f) != 5 {
		return logEntry{}, fmt.Errorf("want 5 fields, got %d", len(f))
	}
	done, err := parseMillis(f[0])
	if err != nil {
		return logEntry{}, fmt.Errorf("$msec %q: %w", f[0], err)
	}
	took, err := parseMillis(f[1])
	if err != nil {
		return logEntry{}, fmt.Errorf("$request_time %q: %w", f[1], err)
	}
	status, err := strconv.Atoi(f[2])
	if err != nil || status < 100 || status > 599 {
		return logEntry{}, fmt.Errorf("$status %q is not an HTTP status", f[2])
	}
	conn, err := strconv.ParseUint(f[3], 10, 64)
	if err != nil {
		return logEntry{}, fmt.Errorf("$connection %q: %w", f[3], err)
	}
	e := logEntry{
		Done:   time.UnixMilli(done),
		Took:   time.Duration(took) * time.Millisecond,
		Status: status,
		Conn:   conn,
		Path:   f[4],
	}
	e.Arrived = e.Done.Add(-e.Took)
	return e, nil
}

// parseMillis parses nginx's "seconds.milliseconds" (e.g. "1764258000.123",
// "0.004") into milliseconds, exactly (no float rounding).
func parseMillis(s string) (int64, error) {
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 3 || whole == "" || strings.ContainsAny(s, "+-") {
		return 0, errors.New("want seconds with three decimals")
	}
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec < 0 || sec > 1<<40 {
		return 0, errors.New("bad seconds")
	}
	ms, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, errors.New("bad milliseconds")
	}
	return sec*1000 + ms, nil
}

// parseAccessLog groups the access log's entries by path. Lines that do not
// parse are an error: the harness's truth must not silently lose answers.
func parseAccessLog(r io.Reader) (map[string][]logEntry, error) {
	byPath := map[string][]logEntry{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		e, err := parseLogLine(line)
		if err != nil {
			return nil, fmt.Errorf("nginx access log line %d: %w", n, err)
		}
		byPath[e.Path] = append(byPath[e.Path], e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading nginx's access log: %w", err)
	}
	return byPath, nil
}
