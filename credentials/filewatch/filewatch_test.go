package filewatch_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/credentials/filewatch"
	apierrors "github.com/apikit/apikit-go/errors"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// volume is a secret volume laid out as the kubelet lays it out: the key
// file is a symlink through ..data, itself a symlink to a timestamped
// directory; an update writes a new directory and swaps ..data atomically.
type volume struct {
	t    *testing.T
	dir  string
	gen  int
	prev string
}

func newVolume(t *testing.T, key string) *volume {
	v := &volume{t: t, dir: t.TempDir()}
	v.update(key)
	if err := os.Symlink(filepath.Join("..data", "api-key"), filepath.Join(v.dir, "api-key")); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v *volume) update(key string) {
	v.gen++
	ts := "..2026_11_27_16_00_0" + string(rune('0'+v.gen))
	if err := os.Mkdir(filepath.Join(v.dir, ts), 0o755); err != nil {
		v.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(v.dir, ts, "api-key"), []byte(key), 0o400); err != nil {
		v.t.Fatal(err)
	}
	tmp := filepath.Join(v.dir, "..data_tmp")
	if err := os.Symlink(ts, tmp); err != nil {
		v.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(v.dir, "..data")); err != nil {
		v.t.Fatal(err)
	}
	if v.prev != "" {
		if err := os.RemoveAll(filepath.Join(v.dir, v.prev)); err != nil {
			v.t.Fatal(err)
		}
	}
	v.prev = ts
}

func (v *volume) path() string { return filepath.Join(v.dir, "api-key") }

// A running client moves to the rotated key when the kubelet swaps the
// volume, without a restart and without a 401: the old key is revoked only
// after the swap, and the next call already carries the new one.
func TestKubeletSwap(t *testing.T) {
	srv := clienttest.NewServer(client.Hypedata)
	defer srv.Close()
	admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin"}})
	oldKey, oldInfo, _ := srv.IssueKey(clienttest.KeyParams{Name: "app", Scopes: []string{"scrape"}})
	newKey, newInfo, _ := srv.IssueKey(clienttest.KeyParams{Name: "app-2", Scopes: []string{"scrape"}})

	vol := newVolume(t, oldKey.Reveal())
	f, err := filewatch.New(vol.path())
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c, err := client.New(client.WithService(client.Hypedata), client.WithBaseURL(srv.URL),
		client.WithCredentials(f), client.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com/", nil, nil); err != nil {
		t.Fatal(err)
	}
	changed := make(chan struct{}, 4)
	w, err := f.Watch(ctx, func() { c.ResetCredential(); changed <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	vol.update(newKey.Reveal() + "\n")
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("the swap of ..data was not seen")
	}
	ac, _ := srv.NewClient(admin)
	if _, err := ac.Keys().Revoke(ctx, oldInfo.ID, "rotated"); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "GET", "/v1/scrape?url=https://example.com/", nil, nil); err != nil {
		t.Fatalf("after the swap: %v", err)
	}
	recs := srv.Requests()
	if last := recs[len(recs)-1]; last.KeyID != newInfo.ID {
		t.Fatalf("the call after the swap went out with key %s, want the new %s", last.KeyID, newInfo.ID)
	}
	cred, _ := c.Credential(ctx)
	if cred.Source.Kind != filewatch.Kind || !strings.Contains(cred.Source.String(), vol.path()) {
		t.Fatalf("source %q", cred.Source)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{oldKey.Reveal(), newKey.Reveal()} {
		if strings.Contains(logs.String(), k[len(k)-12:]) {
			t.Fatal("a key appears in the client's log")
		}
	}
}

// Events that do not change the key (a touch, another file in the
// directory, the same key written again) call nothing.
func TestNoChangeNoCall(t *testing.T) {
	vol := newVolume(t, "hd_live_"+strings.Repeat("a1B2", 8))
	f, _ := filewatch.New(vol.path())
	if _, err := f.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := make(chan struct{}, 8)
	w, err := f.Watch(context.Background(), func() { calls <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	vol.update("hd_live_" + strings.Repeat("a1B2", 8) + "\n")
	if err := os.WriteFile(filepath.Join(vol.dir, "other"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A change after them is the first call: the ones before made none.
	vol.update("hd_live_" + strings.Repeat("c3D4", 8))
	select {
	case <-calls:
	case <-time.After(10 * time.Second):
		t.Fatal("the real change was not seen")
	}
	w.Close()
	if len(calls) != 0 {
		t.Fatalf("%d more calls for events that did not change the key", len(calls))
	}
}

func TestRetrieveErrors(t *testing.T) {
	dir := t.TempDir()
	f, _ := filewatch.New(filepath.Join(dir, "missing"))
	_, err := f.Retrieve(context.Background())
	var nf *credentials.NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, apierrors.ErrMissingCredentials) {
		t.Fatalf("missing file: %v", err)
	}
	for name, content := range map[string]string{"empty": "", "blank": " \n", "spaced": " hd_live_" + strings.Repeat("a1B2", 8)} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		f, _ := filewatch.New(p)
		if _, err := f.Retrieve(context.Background()); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v, want an error naming the file", name, err)
		} else if strings.Contains(err.Error(), "a1B2a1B2") {
			t.Errorf("%s: the error shows the key: %v", name, err)
		}
	}
	if _, err := filewatch.New(" "); err == nil {
		t.Error("New accepted an empty path")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("hd_live_a1B2a1B2a1B2a1B2a1B2a1B2a1B2a1B2\n"))
	f.Add([]byte("\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "k")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Skip()
		}
		fl, _ := filewatch.New(p)
		cred, err := fl.Retrieve(context.Background())
		if err != nil {
			if len(b) >= 12 && strings.Contains(err.Error(), string(b[:12])) && strings.TrimSpace(string(b)) != "" && !strings.Contains(p, string(b[:12])) {
				t.Fatalf("the error shows the file's content: %v", err)
			}
			return
		}
		if strings.ContainsAny(cred.Key.Reveal(), "\n") {
			t.Fatalf("a key with a newline: %q", cred.Key.Reveal())
		}
	})
}
