package reliability

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/keys"
)

// audit collects everything the SDK printed or returned.
type audit struct {
	mu      sync.Mutex
	logs    bytes.Buffer
	outputs []string
	secrets []string
	links   int // error-chain links walked
}

func (a *audit) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.logs.Write(p)
}

func (a *audit) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(a, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// record keeps v's text in every form a program might print it (%v, %+v,
// %#v, JSON), and any panic from doing so; for an error, also the text of
// every link of its Unwrap chain, through both Unwrap() error and
// Unwrap() []error: a caller may print any error errors.As hands it.
func (a *audit) record(vs ...any) {
	for _, v := range vs {
		a.print(v)
		if err, ok := v.(error); ok && err != nil {
			a.chain(err, 0)
		}
	}
}

func (a *audit) print(v any) {
	defer func() {
		if r := recover(); r != nil {
			a.outputs = append(a.outputs, fmt.Sprint("panic: ", r))
		}
	}()
	a.outputs = append(a.outputs, fmt.Sprintf("%v\n%+v\n%#v", v, v, v))
	if b, err := json.Marshal(v); err == nil {
		a.outputs = append(a.outputs, string(b))
	}
}

// chain records err's own text and every form of it, then each error it
// wraps, depth first.
func (a *audit) chain(err error, depth int) {
	if err == nil || depth > 64 {
		return
	}
	a.links++
	func() {
		defer func() {
			if r := recover(); r != nil {
				a.outputs = append(a.outputs, fmt.Sprint("panic: ", r))
			}
		}()
		a.outputs = append(a.outputs, err.Error(), fmt.Sprintf("%v\n%+v\n%#v", err, err, err))
	}()
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			a.chain(e, depth+1)
		}
	case interface{ Unwrap() error }:
		a.chain(u.Unwrap(), depth+1)
	}
}

func (a *audit) secret(k keys.Key) {
	if !k.IsZero() {
		a.secrets = append(a.secrets, k.Reveal())
	}
}

// findings returns each place a secret shows: whole, URL-encoded, in
// standard or URL base64, or any 16-byte piece of it (a cut that leaves
// half a key behind is a leak too).
func (a *audit) findings() []string {
	all := strings.Join(a.outputs, "\n") + "\n" + a.logs.String()
	var out []string
	for _, s := range a.secrets {
		forms := []string{s, url.QueryEscape(s), base64.StdEncoding.EncodeToString([]byte(s)),
			base64.RawURLEncoding.EncodeToString([]byte(s))}
		secret := s[publicPrefix(s):] // "hd_live_" names the kind of key and may be shown
		for i := 0; i+pieceLen <= len(secret); i++ {
			forms = append(forms, secret[i:i+pieceLen])
		}
		for _, form := range forms {
			if i := strings.Index(all, form); i >= 0 {
				out = append(out, fmt.Sprintf("form %q: ", form)+all[max(0, i-60):min(len(all), i+len(form))])
				break // one finding per secret is enough to fail
			}
		}
	}
	return out
}

// panics returns the outputs that record a panic while printing: one the
// audit recovered (from Error, MarshalJSON), or one fmt recovered itself
// from a String, GoString, Error or Format method ("%!v(PANIC=…)").
func (a *audit) panics() []string {
	var out []string
	for _, o := range a.outputs {
		if i := strings.Index(o, "(PANIC="); i >= 0 {
			out = append(out, o[max(0, i-80):min(len(o), i+120)])
		} else if strings.HasPrefix(o, "panic: ") {
			out = append(out, o)
		}
	}
	return out
}

// pieceLen is the shortest piece of a key's secret the audit looks for:
// the SDK promises that no run of 8 bytes of it reaches any output.
const pieceLen = 8

// TestLeakAudit runs the client, credentials and key-management scenarios
// with a debug logger, in every auth mode, and searches everything for the
// secrets involved. The count of scenarios and findings goes to the log
// (and to docs/RELIABILITY.md).
func TestLeakAudit(t *testing.T) {
	a := &audit{}
	ctx := context.Background()
	scenarios := 0
	for _, mode := range []struct {
		name string
		opts []client.Option
	}{{"bearer", nil}, {"header", []client.Option{client.WithHeaderAuth("")}}, {"query", []client.Option{client.WithQueryAuth("")}}} {
		clock := clienttest.NewFakeClock(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
		srv := clienttest.NewServer(client.Hypedata, clienttest.WithClock(clock))
		admin, _, _ := srv.IssueKey(clienttest.KeyParams{Name: "admin", Scopes: []string{"admin", "scrape", "jobs", "billing"}})
		a.secret(admin)
		opts := append([]client.Option{client.WithLogger(a.logger()), client.WithRetryWait(time.Millisecond, time.Millisecond)}, mode.opts...)
		c, err := srv.NewClient(admin, opts...)
		a.record(c, err)

		// Calls, successes and every failure the server can give.
		for _, path := range []string{"/v1/scrape?url=x", "/v1/serp?q=x", "/v1/nope", "/v1/billing"} {
			a.record(c.Do(ctx, "GET", path, nil, nil))
			scenarios++
		}
		srv.FailNext(2, 503, 0)
		a.record(c.DoWith(ctx, "POST", "/v1/jobs", map[string]string{"a": "b"}, nil, client.WithIdempotencyKey("")))
		srv.DropNext(1)
		a.record(c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil))
		scenarios += 2
		for _, p := range []clienttest.KeyParams{
			{Name: "ip", AllowedIPs: []string{"10.0.0.0/8"}}, {Name: "ceiling", CreditCeiling: 1, Scopes: []string{"scrape"}},
			{Name: "exp", ExpiresAt: clock.Now().Add(time.Minute)}, {Name: "rl", RateLimitPerHour: 1, Scopes: []string{"scrape"}},
		} {
			k, _, _ := srv.IssueKey(p)
			a.secret(k)
			kc, _ := srv.NewClient(k, opts...)
			for i := 0; i < 2; i++ {
				a.record(kc.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil))
			}
			clock.Advance(2 * time.Minute)
			a.record(kc.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil), kc.Diagnose(ctx))
			scenarios += 3
		}

		// Key management, rotation included (and a failed one).
		nk, err := c.Keys().Create(ctx, client.CreateKeyParams{Name: "ci"})
		a.record(nk, err)
		if nk != nil {
			a.secret(nk.Secret)
			l, err := c.Keys().List(ctx)
			a.record(l, err)
			rk, err := c.Keys().Regenerate(ctx, nk.ID)
			a.record(rk, err)
			if rk != nil {
				a.secret(rk.Secret)
			}
			res, err := c.Keys().Rotate(ctx, nk.ID, client.RotateOptions{PollInterval: time.Millisecond,
				Deploy: func(_ context.Context, k *client.NewKey) error { a.secret(k.Secret); return nil }})
			a.record(res, err)
			_, err = c.Keys().Rotate(ctx, res.New.ID, client.RotateOptions{Deploy: func(_ context.Context, k *client.NewKey) error {
				a.secret(k.Secret)
				return fmt.Errorf("cannot store %s", k.Secret)
			}})
			a.record(err)
			r, err := c.Keys().Revoke(ctx, res.New.ID, "done")
			a.record(r, err)
			scenarios += 6
		}
		// A revoked key, a rotated-away key.
		rev, info, _ := srv.IssueKey(clienttest.KeyParams{Name: "rev"})
		a.secret(rev)
		_ = srv.RevokeKey(info.ID, "leaked")
		rc, _ := srv.NewClient(rev, opts...)
		a.record(rc.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil), srv.Requests())
		scenarios++
		srv.Close()
		// The server is gone: transport errors.
		a.record(c.Do(ctx, "GET", "/v1/scrape?url=x&api_key=also", nil, nil))
		scenarios++
	}

	// Credentials: every failure a found key can have.
	dir := t.TempDir()
	good, _ := keys.Hypedata.Generate(keys.EnvLive, nil)
	a.secret(good)
	t.Setenv("AUDIT_KEY", good.Reveal()+"\n")
	a.record(credentials.Env("AUDIT_KEY").Retrieve(ctx))
	dollar := "hd_live_ABCDEFGH$IJKLMNOPQRSTUVWXYZ012345"
	a.secrets = append(a.secrets, dollar)
	_ = os.WriteFile(filepath.Join(dir, ".env"), []byte("AUDIT_KEY="+dollar+"\nBROKEN=\"unterminated\n"), 0o600)
	a.record(credentials.DotEnv(filepath.Join(dir, ".env"), "AUDIT_KEY").Retrieve(ctx))
	_ = os.WriteFile(filepath.Join(dir, "open.yaml"), []byte("profiles:\n  default:\n    hypedata: { api_key: "+good.Reveal()+" }\n"), 0o644)
	a.record(credentials.ConfigFile(filepath.Join(dir, "open.yaml"), "", "hypedata").Retrieve(ctx))
	_ = os.WriteFile(filepath.Join(dir, "typo.yaml"), []byte("profiles:\n  default:\n    hypedata: { api_key_command: "+good.Reveal()+" }\n"), 0o600)
	a.record(credentials.ConfigFile(filepath.Join(dir, "typo.yaml"), "", "hypedata").Retrieve(ctx))
	a.record(credentials.Command("sh", "-c", "echo "+good.Reveal()+"; echo "+good.Reveal()+" >&2; exit 2").Retrieve(ctx))
	short := good.Reveal()[:30]
	a.secrets = append(a.secrets, short)
	a.record(credentials.Validated(credentials.Static(short), keys.Hypedata).Retrieve(ctx))
	a.record(credentials.Diagnose(ctx, keys.Hypedata, credentials.Static(good.Reveal()), credentials.Env("AUDIT_KEY")))
	_, err := client.New(client.WithService(client.Hypedata), client.WithAPIKey(short), client.WithLogger(a.logger()))
	a.record(err)
	scenarios += 8

	// A key pasted where a name belongs — a profile, a service section, a
	// field, a top-level entry of the config file, a line or a name of a
	// .env file — or into a file that does not parse: each read directly
	// and through a client's default search (New reads the config file's
	// base_url, Credential and Diagnose the key).
	k := good.Reveal()
	t.Setenv("HYPEDATA_API_KEY", "")
	os.Unsetenv("HYPEDATA_API_KEY")
	t.Setenv("APIKIT_PROFILE", "")
	t.Setenv("HYPEDATA_BASE_URL", "")
	misplaced := []struct{ file, text string }{
		{"profile.yaml", "profiles:\n  " + k + ":\n    hypedata: { api_key: " + k + " }\n"},
		{"section.yaml", "profiles:\n  default:\n    " + k + ": { api_key: x }\n"},
		{"field.yaml", "profiles:\n  default:\n    hypedata: { " + k + " }\n"},
		{"field-value.yaml", "profiles:\n  default:\n    hypedata:\n      " + k + ": 1\n"},
		{"top.yaml", k + ":\n  x: 1\n"},
		{"syntax.yaml", "profiles:\n  default:\n    hypedata: { api_key: " + k + " \n  : [\n"},
		{"type.yaml", "profiles:\n  default:\n    hypedata: " + k + "\n"},
		{"list.yaml", "profiles:\n  default:\n    hypedata: { api_key: [" + k + "] }\n"},
		{"bare.env", k + "\n"},
		{"name.env", k + "=1\nHYPEDATA_API_KEY=\"open\n"},
		{"open.env", "HYPEDATA_API_KEY=\"" + k + "\n"},
		{"spaces.env", "HYPEDATA_API_KEY = " + k + " and more\n"},
		{"ref.env", "HYPEDATA_API_KEY=${" + k + "}x\n"},
	}
	for _, m := range misplaced {
		sub := filepath.Join(dir, strings.TrimSuffix(m.file, filepath.Ext(m.file)))
		_ = os.Mkdir(sub, 0o700)
		path := filepath.Join(sub, m.file)
		_ = os.WriteFile(path, []byte(m.text), 0o600)
		if strings.HasSuffix(m.file, ".env") {
			a.record(credentials.Validated(credentials.DotEnv(path, "HYPEDATA_API_KEY"), keys.Hypedata).Retrieve(ctx))
			_ = os.Rename(path, filepath.Join(sub, ".env"))
			t.Chdir(sub)
			t.Setenv("APIKIT_CONFIG_FILE", filepath.Join(sub, "none.yaml"))
		} else {
			a.record(credentials.Validated(credentials.ConfigFile(path, "default", "hypedata"), keys.Hypedata).Retrieve(ctx))
			t.Chdir(sub)
			t.Setenv("APIKIT_CONFIG_FILE", path)
		}
		c, err := client.New(client.WithService(client.Hypedata), client.WithLogger(a.logger()))
		a.record(c, err)
		if err == nil {
			a.record(c.Credential(ctx))
			a.record(c.Diagnose(ctx))
			a.record(c.Do(ctx, "GET", "/v1/scrape?url=x", nil, nil))
		}
		scenarios += 2
	}

	found := a.findings()
	t.Logf("leak audit: %d scenarios; %d outputs (%d error-chain links) and %d bytes of logs searched for %d secrets (whole, URL-encoded, base64, base64url, every %d-byte piece): %d findings",
		scenarios, len(a.outputs), a.links, a.logs.Len(), len(a.secrets), pieceLen, len(found))
	for _, f := range found {
		t.Errorf("a secret appears in output: …%s", f)
	}
	for _, p := range a.panics() {
		t.Errorf("printing a value panicked: %.300s", p)
	}
	if a.logs.Len() == 0 || !strings.Contains(a.logs.String(), "apikit: retrying") {
		t.Fatal("the audit did not exercise the logger")
	}
}
