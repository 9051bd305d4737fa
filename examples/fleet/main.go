// Command fleet shows several processes on one API key sharing its rate
// limit through Redis (package pacing/redispacing), offline: an in-memory
// Hypedata server (client/clienttest) allows the key 5 requests a second,
// an in-process Redis (miniredis) stands in for yours, and this program
// starts worker processes — copies of itself — that call the server at
// once, each from several goroutines.
//
// With the shared pacer the fleet keeps to the key's limit as one client
// would; run it with -alone to see the same processes each pacing itself,
// each believing it has the whole limit.
//
//	go run ./examples/fleet
//	go run ./examples/fleet -alone
//	go run ./examples/fleet -redis 127.0.0.1:6379   # your own Redis
//
// It is a module of its own, as pacing/redispacing is: go-redis is not a
// dependency of the SDK.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/errors"
	"github.com/apikit/apikit-go/pacing/redispacing"
)

// keyEnv carries the key to the workers: in the environment, never on
// their command line, which every user of the machine can read.
const keyEnv = "FLEET_EXAMPLE_KEY"

const (
	procs   = 3
	workers = 4 // goroutines per process
	calls   = 8 // per process
	limit   = 5 // requests a second, the key's
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "worker" {
		os.Exit(worker(os.Args[2:]))
	}
	alone := flag.Bool("alone", false, "each process paces itself (no Redis): the fleet's limit is exceeded")
	redisAddr := flag.String("redis", "", "a Redis to share pacing through (default: an in-process one)")
	flag.Parse()
	if err := run(*alone, *redisAddr); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

func run(alone bool, redisAddr string) error {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	key, _, err := srv.IssueKey(clienttest.KeyParams{Name: "fleet", Scopes: []string{"scrape"}, RateLimitPerSecond: limit})
	if err != nil {
		return err
	}
	if redisAddr == "" && !alone {
		mr := miniredis.NewMiniRedis()
		if err := mr.Start(); err != nil {
			return err
		}
		defer mr.Close()
		redisAddr = mr.Addr()
	}
	how := "sharing one pacer through Redis"
	if alone {
		how, redisAddr = "each pacing itself", ""
	}
	fmt.Printf("%d processes × %d goroutines, %d calls each, on one key allowed %d requests a second, %s\n",
		procs, workers, calls, limit, how)

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	start := time.Now()
	type out struct {
		rep report
		err error
	}
	results := make([]out, procs)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(exe, "worker", "-base-url", srv.URL, "-redis", redisAddr, "-n", strconv.Itoa(i+1))
			cmd.Env = append(os.Environ(), keyEnv+"="+key.Reveal())
			cmd.Stderr = os.Stderr
			b, err := cmd.Output()
			if err == nil {
				err = json.Unmarshal(b, &results[i].rep)
			}
			results[i].err = err
		}()
	}
	wg.Wait()
	took := time.Since(start)
	for i, r := range results {
		if r.err != nil {
			return fmt.Errorf("worker %d: %w", i+1, r.err)
		}
		fmt.Printf("   process %d: %d calls, %d failed, paced at the end: %s\n", i+1, r.rep.Calls, r.rep.Failed, r.rep.Pacer)
	}
	var ok, refused int
	for _, rec := range srv.Requests() {
		switch rec.Status {
		case 200:
			ok++
		case 429:
			refused++
		}
	}
	fmt.Printf("the server answered %d requests: %d accepted, %d refused with 429, in %.1f s (the limit needs %.1f s)\n",
		ok+refused, ok, refused, took.Seconds(), float64(procs*calls)/limit)
	return nil
}

// report is what a worker process prints.
type report struct {
	Calls  int64  `json:"calls"`
	Failed int64  `json:"failed"`
	Pacer  string `json:"pacer"`
}

// worker is one process of the fleet: workers goroutines making calls.
func worker(args []string) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	baseURL := fs.String("base-url", "", "the API")
	redisAddr := fs.String("redis", "", "the shared Redis; none: pace alone")
	n := fs.Int("n", 0, "this worker's number")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := []client.Option{client.WithService(client.Hypedata), client.WithBaseURL(*baseURL),
		client.WithAPIKey(os.Getenv(keyEnv)), client.WithRateLimit(limit, 1)}
	shared := "alone"
	if *redisAddr != "" {
		rdb := redis.NewClient(&redis.Options{Addr: *redisAddr})
		defer rdb.Close()
		p, err := redispacing.New(rdb)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		opts, shared = append(opts, client.WithPacer(p)), "shared through Redis"
	}
	c, err := client.New(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rep report
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= calls {
				err := c.Do(ctx, "GET", fmt.Sprintf("/v1/scrape?url=https://example.com/%d", *n), nil, nil)
				atomic.AddInt64(&rep.Calls, 1)
				if err != nil {
					atomic.AddInt64(&rep.Failed, 1)
					if !errors.Is(err, apierrors.ErrRateLimited) {
						fmt.Fprintln(os.Stderr, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if st, ok := c.Pacing(ctx); ok {
		rep.Pacer = fmt.Sprintf("%.2f/s (%s, %s)", st.Rate, st.Source, shared)
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return 2
	}
	return 0
}
