package secretstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeBound is a bound the test fires by hand.
func fakeBound() (osStore, chan time.Time) {
	fire := make(chan time.Time)
	return osStore{timeout: DefaultTimeout, after: func(time.Duration) (<-chan time.Time, func()) { return fire, func() {} }}, fire
}

func TestAKeyringThatDoesNotAnswerIsUnavailableAfterTheBound(t *testing.T) {
	s, fire := fakeBound()
	unblock := make(chan struct{})
	finished := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- s.do(context.Background(), func() error {
			defer close(finished)
			<-unblock // a keyring waiting for an unlock prompt nobody sees
			return nil
		})
	}()
	fire <- time.Time{}
	err := <-errc
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "did not answer within 3s") {
		t.Fatalf("want ErrUnavailable after 3s, got %v", err)
	}
	close(unblock)
	<-finished
}

func TestTheContextEndsTheWait(t *testing.T) {
	s, _ := fakeBound()
	unblock := make(chan struct{})
	finished := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.do(ctx, func() error { defer close(finished); <-unblock; return nil })
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	close(unblock)
	<-finished
}

func TestAnswersAreClassified(t *testing.T) {
	s, _ := fakeBound()
	if err := s.do(context.Background(), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.do(context.Background(), func() error { return errors.New("org.freedesktop.secrets was not provided") }); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v", err)
	}
}

// Without a D-Bus session (a server, a container, CI) go-keyring fails on
// its own, at once: the error is the keyring's, not the bound's.
func TestNoDBusSessionFailsByItself(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus")
	_, err := OS(0).Get(context.Background(), "apikit:test", "default")
	if !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("want the keyring's own failure, got %v", err)
	}
}

func TestMemory(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(nil)
	if _, err := m.Get(ctx, "s", "a"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if err := m.Set(ctx, "s", "a", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Get(ctx, "s", "a"); v != "v" || err != nil {
		t.Fatal(v, err)
	}
	if err := m.Delete(ctx, "s", "a"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, "s", "a"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if err := NewMemory(errors.New("no bus")).Set(ctx, "s", "a", "v"); !errors.Is(err, ErrUnavailable) {
		t.Fatal(err)
	}
}
