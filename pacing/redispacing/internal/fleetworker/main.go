// Command fleetworker is one process of a fleet, for redispacing's
// rotation tests: it calls an API with the key in a file, reports which key
// it uses to a redispacing.Fleet, and moves to a new key when the file
// changes, as a worker with a mounted secret would. It stops when its
// standard input closes and prints what it saw as JSON.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/pacing/redispacing"
)

// Report is what a worker prints when it stops.
type Report struct {
	Calls    int64    `json:"calls"`
	Posts    int64    `json:"posts"`
	Failed   int64    `json:"failed"`
	Errors   []string `json:"errors,omitempty"`
	Switched int64    `json:"switched_us"` // when it moved to a new key (Unix µs); 0 if never
}

func main() {
	os.Exit(run())
}

func run() int {
	redisAddr := flag.String("redis", "", "Redis address")
	fleetName := flag.String("fleet", "workers", "the fleet's name")
	id := flag.String("id", "", "this process's ID")
	baseURL := flag.String("base-url", "", "the API")
	keyFile := flag.String("key-file", "", "a .env file holding HYPEDATA_API_KEY")
	every := flag.Duration("every", 0, "the time between calls; 0: idle, no calls")
	beat := flag.Duration("beat", 100*time.Millisecond, "heartbeat interval")
	ttl := flag.Duration("ttl", time.Second, "heartbeat TTL")
	watch := flag.Bool("watch", true, "move to the new key when the file changes")
	flag.Parse()

	rdb := redis.NewClient(&redis.Options{Addr: *redisAddr, MaxRetries: -1})
	defer rdb.Close()
	fleet, err := redispacing.NewFleet(rdb, *fleetName, redispacing.WithHeartbeat(*beat), redispacing.WithFleetTTL(*ttl))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	pacer, err := redispacing.New(rdb)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c, err := client.New(client.WithService(client.Hypedata), client.WithBaseURL(*baseURL),
		client.WithCredentials(credentials.DotEnv(*keyFile, "HYPEDATA_API_KEY")), client.WithPacer(pacer))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	var rep Report
	var mu sync.Mutex
	var wg sync.WaitGroup
	var switched atomic.Int64

	// The file, as a secret volume's watcher would see it.
	first, _ := os.ReadFile(*keyFile)
	wg.Add(2)
	go func() {
		defer wg.Done()
		t := time.NewTicker(*beat / 2)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if !*watch || switched.Load() != 0 {
				continue
			}
			if now, err := os.ReadFile(*keyFile); err == nil && len(now) > 0 && !bytes.Equal(now, first) {
				c.ResetCredential()
				switched.Store(time.Now().UnixMicro())
			}
		}
	}()
	go func() {
		defer wg.Done()
		_ = fleet.Heartbeat(ctx, *id, c)
	}()
	if *every > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(*every)
			defer t.Stop()
			for n := 0; ; n++ {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Second)
				var err error
				if n%2 == 0 {
					err = c.Do(cctx, http.MethodGet, "/v1/scrape?url=https://example.com/", nil, nil)
				} else {
					body := map[string]string{"id": fmt.Sprintf("%s-%d", *id, n)}
					err = c.Do(cctx, http.MethodPost, "/v1/jobs", body, nil)
					atomic.AddInt64(&rep.Posts, 1)
				}
				ccancel()
				atomic.AddInt64(&rep.Calls, 1)
				if err != nil {
					atomic.AddInt64(&rep.Failed, 1)
					mu.Lock()
					if len(rep.Errors) < 3 {
						rep.Errors = append(rep.Errors, err.Error())
					}
					mu.Unlock()
				}
			}
		}()
	}
	fmt.Println("ready") // the parent waits for this line
	_, _ = io.Copy(io.Discard, os.Stdin)
	cancel()
	wg.Wait()
	rep.Switched = switched.Load()
	if err := json.NewEncoder(os.Stdout).Encode(&rep); err != nil {
		return 2
	}
	return 0
}
