package redistest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Cluster is a Redis Cluster of redis-server processes on loopback: masters
// and a replica of each, made with redis-cli --cluster create. Stop ends
// them all.
type Cluster struct {
	Nodes []*Server
	dir   string
}

// StartCluster starts masters masters with one replica each, cluster node
// timeout nodeTimeout (how long before a master that stopped answering is
// failed over), and waits until the cluster is ok.
func StartCluster(ctx context.Context, masters int, nodeTimeout time.Duration) (*Cluster, error) {
	bin := Binary()
	if bin == "" {
		return nil, errors.New("redistest: redis-server is not installed (apt-get install redis-server)")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, errors.New("redistest: redis-cli is not installed (apt-get install redis-tools)")
	}
	dir, err := os.MkdirTemp("", "redistest-cluster")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir}
	var addrs []string
	for i := range 2 * masters {
		port, err := freePort()
		if err != nil {
			c.Stop()
			return nil, err
		}
		s := &Server{bin: bin, port: port, dir: dir, extra: []string{"--cluster-enabled", "yes",
			"--cluster-config-file", fmt.Sprintf("nodes-%d.conf", i),
			"--cluster-node-timeout", strconv.FormatInt(nodeTimeout.Milliseconds(), 10),
			// A replica takes over however stale its copy: a test kills a
			// master moments after the cluster formed.
			"--cluster-replica-validity-factor", "0"}}
		if err := s.start(ctx); err != nil {
			c.Stop()
			return nil, err
		}
		c.Nodes = append(c.Nodes, s)
		addrs = append(addrs, s.Addr())
	}
	args := append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.WaitOK(ctx, 30*time.Second); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Addrs are the nodes' addresses, for redis.ClusterOptions.Addrs.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, s := range c.Nodes {
		out = append(out, s.Addr())
	}
	return out
}

// WaitOK waits until every running node says cluster_state:ok.
func (c *Cluster) WaitOK(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		ok := true
		for _, s := range c.Nodes {
			if s.cmd == nil {
				continue
			}
			info, err := s.Do(ctx, "CLUSTER", "INFO")
			if err != nil || !strings.Contains(info, "cluster_state:ok") {
				ok = false
				break
			}
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redistest: the cluster was not ok within %s", within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// MasterOf returns the node that serves key now: the one running node that
// answers a plain command on it (the others answer MOVED).
func (c *Cluster) MasterOf(ctx context.Context, key string) (*Server, error) {
	for _, s := range c.Nodes {
		if s.cmd == nil {
			continue
		}
		if _, err := s.Do(ctx, "EXISTS", key); err == nil {
			// Only the slot's master answers a plain command; the others
			// answer MOVED.
			return s, nil
		}
	}
	return nil, fmt.Errorf("redistest: no running node serves %q", key)
}

// Stop ends every node and removes their files.
func (c *Cluster) Stop() {
	for _, s := range c.Nodes {
		s.Stop()
	}
	os.RemoveAll(c.dir)
}
