package pacing_test

import (
	"testing"
	"time"

	"github.com/apikit/apikit-go/pacing"
	"github.com/apikit/apikit-go/pacing/pacingtest"
)

// TestRules runs the table of rules every pacer keeps (pacingtest) against
// the in-process pacer.
func TestRules(t *testing.T) {
	pacingtest.Run(t, func(_ *testing.T, now func() time.Time) pacing.Pacer {
		return pacing.New(pacing.WithClock(now))
	})
}
