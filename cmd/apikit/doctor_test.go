package main

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apikit/apikit-go/client"
	"github.com/apikit/apikit-go/client/clienttest"
)

// expiredJWT is a well-formed HS256 JWT whose exp passed in 2001.
func expiredJWT() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(`{"sub":"did:key:z6Mk","exp":1000000000}`)) + "." +
		enc([]byte("0123456789abcdef0123456789abcdef"))
}

// skewedProxy serves srv through a reverse proxy whose Date header is off by
// skew, as a machine with a wrong clock sees a right server.
func skewedProxy(t *testing.T, target string, skew time.Duration) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		r.Header.Set("Date", time.Now().Add(skew).UTC().Format(http.TimeFormat))
		return nil
	}
	p := httptest.NewServer(rp)
	t.Cleanup(p.Close)
	return p
}

// TestDoctorNamesEveryPlantedMisconfiguration plants sixteen problems in
// one user's setup and checks that doctor names each, with a fix, and
// prints no secret.
func TestDoctorNamesEveryPlantedMisconfiguration(t *testing.T) {
	srv := clienttest.NewServer(client.Hypedata)
	t.Cleanup(srv.Close)
	revoked, info, err := srv.IssueKey(clienttest.KeyParams{Name: "old laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RevokeKey(info.ID, "leaked"); err != nil {
		t.Fatal(err)
	}
	proxy := skewedProxy(t, srv.URL, -2*time.Hour) // the server's clock reads 2 h earlier than ours

	u := newUser(t)
	hsKey := "hs_live_Hq3Wz8Lr5Tn2Vb7Kx4Mc9Pd1"
	// 1, 3, 4, 5, 6: one config file, readable by others, holding a literal
	// key, a misspelt service, a plain-HTTP base_url, a keyring reference
	// and a key command that cannot run.
	cfg := u.writeFile(".config/apikit/config.yaml", `# my keys
profiles:
  default:
    hypersave:
      api_key: `+hsKey+`
      base_url: http://api.hypersave.example
    hypedat:
      base_url: https://api.hypedata.io
    hypersync:
      api_key_command: [/nonexistent/bin/op, read, "op://prod/envio"]
  prod:
    hopx:
      api_key_command: [`+apikitBinary(t)+`, token, --from-keyring, hopx, --profile, prod]
`, 0o644)
	// 2: the config directory writable by everyone (so doctor runs none of
	// the file's commands: see TestDoctorRunsCommandsOfATrustedFileOnly).
	if err := os.Chmod(filepath.Dir(cfg), 0o777); err != nil {
		t.Fatal(err)
	}
	// 7: a profile variable naming a profile the file lacks.
	u.env["HOPX_PROFILE"] = "staging"
	// 8, 16, 17: a revoked key in the environment, shadowing another in
	// ./.env, checked against a server whose clock differs from ours.
	u.env["HYPEDATA_API_KEY"] = revoked.Reveal()
	u.env["HYPEDATA_BASE_URL"] = proxy.URL
	u.writeFile("project/.env", "HYPEDATA_API_KEY="+hdKey+"\n", 0o644) // 15: and readable by others
	// 9: a malformed key; 10: an expired JWT.
	u.env["HYPERSAVE_API_KEY"] = "hs_live_short"
	u.env["WEB3_STORAGE_TOKEN"] = expiredJWT()
	// 11, 12: .env files the SDK does not read.
	u.writeFile(".env", "HOPX_API_KEY=hopx_live_Ab3dEf6hIj9k.Zq8Wx7Ec6Rv5Tb4Yn3Um2\n", 0o600)
	u.writeFile("project/.env.local", "HYPEDATA_API_KEY="+hdKey2+"\n", 0o600)
	// 13: a variable named nearly like the service's.
	u.env["HYPEDATA_KEY"] = hdKey2
	// 14: a base URL variable on plain HTTP to another host.
	u.env["HYPERSAVE_BASE_URL"] = "http://10.1.2.3:8080"

	r := u.must(exitProblems, "", "doctor", "--verify", "--json")
	var res doctorResult
	decode(t, r, &res)
	want := []struct{ check, subject string }{
		{"config-mode", cfg},
		{"config-dir-mode", filepath.Dir(cfg)},
		{"config-service-name", "hypedat"},
		{"base-url", "hypersave.base_url"},
		{"keyring", "OS keyring"},
		{"profile-missing", "HOPX_PROFILE"},
		{"key-shadowed", ".env file"},
		{"key-malformed", "env HYPERSAVE_API_KEY"},
		{"key-expired", "env WEB3_STORAGE_TOKEN"},
		{"dotenv-not-read", filepath.Join(u.home, ".env")},
		{"dotenv-not-read", ".env.local"},
		{"env-name", "HYPEDATA_KEY"},
		{"base-url", "env HYPERSAVE_BASE_URL"},
		{"dotenv-mode", filepath.Join(u.cwd, ".env")},
		{"clock", "clock"},
		{"key-refused", "env HYPEDATA_API_KEY"},
	}
	for _, w := range want {
		found := false
		for _, p := range res.Problems {
			if p.Check == w.check && strings.Contains(p.Subject, w.subject) {
				found = true
				if p.Fix == "" || strings.Contains(p.Fix, "\n") {
					t.Errorf("%s %s: the fix is not one line: %q", p.Check, p.Subject, p.Fix)
				}
			}
		}
		if !found {
			t.Errorf("doctor did not name %s (%s)", w.check, w.subject)
		}
	}
	if t.Failed() {
		t.Logf("doctor found:\n%s", r.stdout)
	}
	if len(res.Problems) != len(want) {
		t.Errorf("doctor found %d problems, %d planted:\n%s", len(res.Problems), len(want), r.stdout)
	}

	// The text form names the same problems, one fix line each.
	r = u.must(exitProblems, "", "doctor", "--verify")
	if got := strings.Count(r.stdout, "\n      fix: "); got != len(want) {
		t.Errorf("text output has %d fixes, want %d:\n%s", got, len(want), r.stdout)
	}
	u.noLeak(revoked.Reveal(), hdKey, hdKey2, hsKey, "Zq8Wx7Ec6Rv5Tb4Yn3Um2", expiredJWT())
}

func TestDoctorIsQuietAboutAGoodSetup(t *testing.T) {
	u := newUser(t)
	u.must(exitOK, hdKey, "login", "hypedata", "--insecure-storage")
	r := u.must(exitOK, "", "doctor")
	if !strings.Contains(r.stdout, "No problems found") || !strings.Contains(r.stdout, "note: no OS keyring answers") {
		t.Errorf("doctor on a good setup:\n%s", r)
	}
	u.noLeak(hdKey)
}

// TestDoctorEscapesWhatItPrints: a config file whose path holds a terminal
// escape sequence and a line break (another user named the directory) is
// named by doctor, escaped: no escape byte reaches the terminal and no line
// is forged.
func TestDoctorEscapesWhatItPrints(t *testing.T) {
	u := newUser(t)
	evil := "d\x1b]0;pwned\x07\n 9. [forged] all fine"
	cfg := u.writeFile(filepath.Join(evil, "config.yaml"), "profiles: {}\n", 0o666)
	u.env["APIKIT_CONFIG_FILE"] = cfg
	r := u.must(exitProblems, "", "doctor")
	if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07") || strings.Contains(r.stdout, "\n 9. [forged]") {
		t.Fatalf("doctor printed the path raw:\n%q", r.stdout)
	}
	if !strings.Contains(r.stdout, `d\x1b]0;pwned\a\n 9. [forged] all fine`) {
		t.Errorf("doctor does not show the escaped path:\n%s", r.stdout)
	}
}

// TestDoctorRunsCommandsOfATrustedFileOnly: doctor tries each key command
// of the user's own file and names one that fails; once others can change
// the file, it runs none of them (they would be another user's commands).
func TestDoctorRunsCommandsOfATrustedFileOnly(t *testing.T) {
	u := newUser(t)
	mark := filepath.Join(u.home, "ran")
	cfg := u.writeFile(".config/apikit/config.yaml", "profiles:\n  default:\n    hypersync:\n      api_key_command: [sh, -c, \"touch "+mark+"; exit 3\"]\n", 0o600)
	r := u.must(exitProblems, "", "doctor", "--json")
	var res doctorResult
	decode(t, r, &res)
	if len(res.Problems) != 1 || res.Problems[0].Check != "key-command" {
		t.Errorf("own file: %s", r.stdout)
	}
	if err := os.Remove(mark); err != nil {
		t.Fatalf("the command did not run: %v", err)
	}
	if err := os.Chmod(filepath.Dir(cfg), 0o777); err != nil {
		t.Fatal(err)
	}
	r = u.must(exitProblems, "", "doctor", "--json")
	res = doctorResult{}
	decode(t, r, &res)
	if len(res.Problems) != 1 || res.Problems[0].Check != "config-dir-mode" {
		t.Errorf("open directory: %s", r.stdout)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Error("doctor ran a command of a file others can change")
	}
}
