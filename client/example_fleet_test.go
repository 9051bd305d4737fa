package client_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
)

// staticFleet is a fleet registry that always lists the same processes;
// pacing/redispacing's Fleet is the real one, fed by each process's
// heartbeat.
type staticFleet []client.FleetProcess

func (f staticFleet) Processes(context.Context) ([]client.FleetProcess, error) { return f, nil }

// A rotation across a fleet revokes the old key only once every live
// process reports the new one. Here one process never switches: when
// FleetTimeout passes the rotation fails naming it, and both keys stay
// valid.
func ExampleRotateOptions_fleet() {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	_, old, _ := srv.IssueKey(clienttest.KeyParams{Name: "workers", Scopes: []string{"scrape"}})
	c, _ := srv.NewClient(admin)

	stuck := staticFleet{{ID: "worker-7", KeyFingerprint: "fp_oldkeyoldkey", Seen: time.Now()}}
	_, err := c.Keys().Rotate(context.Background(), old.ID, client.RotateOptions{
		Deploy:       func(context.Context, *client.NewKey) error { return nil },
		Fleet:        stuck,
		FleetTimeout: 50 * time.Millisecond, PollInterval: 10 * time.Millisecond,
	})
	var held *client.FleetHoldoutError
	if errors.As(err, &held) {
		fmt.Println("held up by:", held.Holdouts[0].ID, "on", held.Holdouts[0].KeyFingerprint)
	}
	info, _ := c.Keys().Get(context.Background(), old.ID)
	fmt.Println("old key revoked:", info.Revoked())
	// Output:
	// held up by: worker-7 on fp_oldkeyoldkey
	// old key revoked: false
}
