package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apikit/apikit-go/cmd/apikit/internal/configfile"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/internal/longtest"
)

// TestConcurrentWritersKilledMidRun: writers each run `apikit config set`
// again and again against one config file, one process at a time each; the
// first quarter also SIGKILL one in five of their processes at a random
// moment. Each writer cycles through settings of its own profile.
// Afterwards the file parses (with the SDK's strict reader), every setting
// holds the last write to it whose process exited 0 (or a later one that
// was killed after its rename), the user's comment is kept, and the file is
// still mode 0600. A lost update (a writer that read the file before
// another's write and wrote after it) would put an older value back.
//
// The default run is 6 writers x 8 writes (48 processes, a second or two);
// the long suite (APIKIT_LONG_TESTS=1, as CI runs it) is 16 writers x 200
// writes over 40 settings each: 3,200 processes, about a minute on two
// cores. Not under -race: the processes are the same binary either way.
func TestConcurrentWritersKilledMidRun(t *testing.T) {
	if raceEnabled {
		t.Skip("run in the plain test pass: the processes are the same binary either way, -race only slows the harness")
	}
	writers, writes, slots := 6, 8, 4
	if longtest.Enabled() {
		writers, writes, slots = 16, 200, 40
	}
	killers := max(1, writers/4)
	u := newUser(t)
	bin := apikitBinary(t)
	cfg := u.writeFile(".config/apikit/config.yaml", "# written by many processes at once\nprofiles: {}\n", 0o600)

	var mu sync.Mutex
	lastDone := map[[2]int]int{}   // (writer, slot) -> index of the last write that exited 0
	lastKilled := map[[2]int]int{} // (writer, slot) -> index of the last write that was killed
	completed := 0
	killed, failed := 0, 0
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; i < writes; i++ {
				// --timeout: the lock wait is bounded for hang detection only;
				// on a busy machine 3,200 processes may queue for longer than the
				// default 30 s.
				cmd := exec.Command(bin, "config", "set", "--timeout", "10m", "--profile", fmt.Sprintf("w%02d", w),
					fmt.Sprintf("s%03d.base_url", i%slots), fmt.Sprintf("https://w%02d.example/%d", w, i))
				cmd.Dir = u.cwd
				for k, v := range u.env {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Error(err)
					return
				}
				kill := w < killers && rng.IntN(5) == 0
				var timer *time.Timer
				if kill {
					// Anywhere from before the lock to after the rename.
					timer = time.AfterFunc(time.Duration(rng.IntN(4000))*time.Microsecond, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
				}
				err := cmd.Wait()
				if timer != nil {
					timer.Stop()
				}
				mu.Lock()
				switch {
				case err == nil:
					completed++
					lastDone[[2]int{w, i % slots}] = i
				case kill:
					killed++
					lastKilled[[2]int{w, i % slots}] = i
				default:
					failed++
					t.Errorf("writer %d, write %d: %v: %s", w, i, err, stderr.String())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	if _, err := credentials.LoadConfig(cfg); err != nil {
		t.Fatalf("the SDK cannot read the file after the run: %v", err)
	}
	d, _, err := configfile.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for ws, i := range lastDone {
		v, ok := d.Get(fmt.Sprintf("w%02d", ws[0]), fmt.Sprintf("s%03d", ws[1]), "base_url")
		want := fmt.Sprintf("https://w%02d.example/%d", ws[0], i)
		later := fmt.Sprintf("https://w%02d.example/%d", ws[0], lastKilled[ws])
		if !ok || v.Scalar != want && !(lastKilled[ws] > i && v.Scalar == later) {
			lost++
			t.Errorf("writer %d, setting %d: the file holds %q, want %q", ws[0], ws[1], v.Scalar, want)
		}
	}
	if lost > 0 {
		t.Errorf("%d completed writes are missing from the file", lost)
	}
	info, err := os.Stat(cfg)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode after the run: %v %v", info, err)
	}
	b, _ := os.ReadFile(cfg)
	if !strings.HasPrefix(string(b), "# written by many processes at once\n") {
		t.Errorf("the comment was lost:\n%.200s", b)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg), ".config.yaml*"))
	t.Logf("%d writers x %d writes: %d completed, %d killed, %d failed, %d lost, %d temporary files of killed writers left, in %s",
		writers, writes, completed, killed, failed, lost, len(leftovers), elapsed.Round(time.Millisecond))
}
