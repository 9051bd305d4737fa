package client_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
)

// scriptedFleet answers Processes from a list of snapshots, one per call
// (the last repeats), and runs check before each answer.
type scriptedFleet struct {
	mu    sync.Mutex
	snaps [][]client.FleetProcess
	calls int
	check func(call int)
}

func (f *scriptedFleet) Processes(context.Context) ([]client.FleetProcess, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.check != nil {
		f.check(f.calls)
	}
	return f.snaps[min(f.calls, len(f.snaps))-1], nil
}

// snapshot is the fleet with each process (by ID) on the key fingerprint
// given.
func snapshot(onKey map[string]string) []client.FleetProcess {
	var out []client.FleetProcess
	for id, k := range onKey {
		out = append(out, client.FleetProcess{ID: id, KeyFingerprint: k, Seen: time.Now()})
	}
	return out
}

func fleetSetup(t *testing.T) (*client.Client, client.KeyInfo, *clienttest.Server) {
	t.Helper()
	srv := clienttest.NewServer(client.Hypedata)
	t.Cleanup(srv.Close)
	admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	_, old, err := srv.IssueKey(clienttest.KeyParams{Name: "workers", Scopes: []string{"scrape"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := srv.NewClient(admin)
	return c, old, srv
}

// The old key is revoked only once every live process reports the new one:
// an idle process that has not switched yet holds the rotation, however
// quiet the old key is.
func TestRotateFleetWaitsForEveryProcess(t *testing.T) {
	c, old, _ := fleetSetup(t)
	ctx := context.Background()
	var newFP string
	fleet := &scriptedFleet{}
	fleet.check = func(call int) {
		info, err := c.Keys().Get(ctx, old.ID)
		if err != nil || info.Revoked() {
			t.Errorf("poll %d: the old key was revoked before every process switched (%v)", call, err)
		}
		on := map[string]string{"busy": newFP, "idle": "fp_oldkeyoldkey"}
		if call >= 4 {
			on["idle"] = newFP
		}
		fleet.snaps = [][]client.FleetProcess{snapshot(on)}
	}
	res, err := c.Keys().Rotate(ctx, old.ID, client.RotateOptions{
		Fleet: fleet, PollInterval: time.Millisecond, MaxPollInterval: time.Millisecond,
		Deploy: func(_ context.Context, nk *client.NewKey) error { newFP = nk.Secret.Fingerprint(); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Old.Revoked() || res.Polls != 4 || len(res.Fleet) != 2 {
		t.Fatalf("revoked %v after %d polls with %d processes; want revoked after 4, 2 processes", res.Old.Revoked(), res.Polls, len(res.Fleet))
	}
}

// A process that dies mid-rotation drops out of the registry when its
// report expires; the rotation then completes without it.
func TestRotateFleetProcessDies(t *testing.T) {
	c, old, _ := fleetSetup(t)
	var newFP string
	fleet := &scriptedFleet{}
	fleet.check = func(call int) {
		on := map[string]string{"a": newFP, "dead": "fp_oldkeyoldkey"}
		if call >= 3 { // its heartbeat expired
			delete(on, "dead")
		}
		fleet.snaps = [][]client.FleetProcess{snapshot(on)}
	}
	res, err := c.Keys().Rotate(context.Background(), old.ID, client.RotateOptions{
		Fleet: fleet, PollInterval: time.Millisecond, MaxPollInterval: time.Millisecond,
		Deploy: func(_ context.Context, nk *client.NewKey) error { newFP = nk.Secret.Fingerprint(); return nil },
	})
	if err != nil || res.Polls != 3 || len(res.Fleet) != 1 || res.Fleet[0].ID != "a" {
		t.Fatalf("got %+v, %v; want done at poll 3 with process a", res, err)
	}
}

// When the deadline passes, the rotation fails at StepFleet naming the
// processes that held it up, and both keys stay valid.
func TestRotateFleetDeadline(t *testing.T) {
	c, old, _ := fleetSetup(t)
	ctx := context.Background()
	var newFP string
	fleet := &scriptedFleet{}
	fleet.check = func(int) {
		fleet.snaps = [][]client.FleetProcess{snapshot(map[string]string{"a": newFP, "stuck": "fp_oldkeyoldkey"})}
	}
	_, err := c.Keys().Rotate(ctx, old.ID, client.RotateOptions{
		Fleet: fleet, FleetTimeout: 20 * time.Millisecond, PollInterval: time.Millisecond, MaxPollInterval: time.Millisecond,
		Deploy: func(_ context.Context, nk *client.NewKey) error { newFP = nk.Secret.Fingerprint(); return nil },
	})
	var re *client.RotateError
	var he *client.FleetHoldoutError
	if !errors.As(err, &re) || re.Step != client.StepFleet || !errors.As(err, &he) {
		t.Fatalf("got %v, want a RotateError at %q with a FleetHoldoutError", err, client.StepFleet)
	}
	if he.Live != 2 || len(he.Holdouts) != 1 || he.Holdouts[0].ID != "stuck" || !strings.Contains(err.Error(), "stuck (key fp_oldkeyoldkey") {
		t.Fatalf("holdouts %+v: %v", he, err)
	}
	if info, err := c.Keys().Get(ctx, old.ID); err != nil || info.Revoked() {
		t.Fatalf("the old key after a failed fleet rotation: revoked %v, %v", info.Revoked(), err)
	}
	if re.NewKey == nil {
		t.Fatal("the new key is not handed back")
	}
	if info, err := c.Keys().Get(ctx, re.NewKey.ID); err != nil || info.Revoked() {
		t.Fatalf("the new key after a failed fleet rotation: %v", err)
	}
}

// An empty registry (no process reports at all: heartbeats not set up) is
// never read as "everyone switched".
func TestRotateFleetEmptyIsNotDone(t *testing.T) {
	c, old, _ := fleetSetup(t)
	fleet := &scriptedFleet{snaps: [][]client.FleetProcess{nil}}
	_, err := c.Keys().Rotate(context.Background(), old.ID, client.RotateOptions{
		Fleet: fleet, FleetTimeout: 10 * time.Millisecond, PollInterval: time.Millisecond, MaxPollInterval: time.Millisecond,
		Deploy: func(context.Context, *client.NewKey) error { return nil },
	})
	var he *client.FleetHoldoutError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "no live process reported the new key") {
		t.Fatalf("got %v", err)
	}
}
