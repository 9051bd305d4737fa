package redistest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/apikit/apikit-go/pacing/redispacing/redistest"
)

// A Redis Cluster of 3 masters and their replicas on loopback, for a
// failover test: kill the master of a key and wait for its replica.
// (Needs redis-server and redis-cli; not run as a test.)
func ExampleStartCluster() {
	ctx := context.Background()
	c, err := redistest.StartCluster(ctx, 3, time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Stop()
	fmt.Println(len(c.Addrs()), "nodes") // for redis.ClusterOptions.Addrs
	m, err := c.MasterOf(ctx, "apikit:pacing:{fp_x}")
	if err != nil {
		fmt.Println(err)
		return
	}
	m.Kill() // the replica takes over after the node timeout
}

// A Redis that stops answering for a while, as a stalled server does.
// (Needs redis-server; not run as a test.)
func ExampleServer_Pause() {
	ctx := context.Background()
	s, err := redistest.Start(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Stop()
	_ = s.Pause() // SIGSTOP: connections stay open, nothing answers
	time.Sleep(3 * time.Second)
	_ = s.Resume()
}
