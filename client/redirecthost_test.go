package client

import (
	"strings"
	"testing"
)

// A wildcard over a public suffix would follow redirects to hosts anyone
// can register; New refuses it and says why and what to write instead.
// Wildcards under a site, and under names that never resolve publicly,
// keep working.
func TestRedirectHostsWildcardOverPublicSuffix(t *testing.T) {
	for _, tc := range []struct {
		host string
		want string // "" accepted, else a part of the error
	}{
		{"*", "not a host name"},
		{"*.", "not a host name"},
		{"*.*.example.com", "not a host name"},
		{"*.example..com", "not a host name"},
		{"*.com", "a top-level domain"},
		{"*.COM", "a top-level domain"},
		{"*.io", "a top-level domain"},
		{"*.co.uk", "a country's public registry"},
		{"*.com.au", "a country's public registry"},
		{"*.co.jp", "a country's public registry"},
		{"*.gov.br", "a country's public registry"},
		{"*.github.io", "a shared hosting domain"},
		{"*.herokuapp.com", "a shared hosting domain"},
		{"*.s3.amazonaws.com", "a shared hosting domain"},
		{"*.vercel.app", "a shared hosting domain"},
		{"*.uk.com", "a shared hosting domain"},
		{"*.10.0.0.1", "IP address"},
		{"*.0.1", "IP address"},
		{"*.example.com", ""},
		{"*.files.example.co.uk", ""},
		{"*.example.co.uk", ""},
		{"*.myorg.github.io", ""},
		{"*.cdn.example.io", ""},
		{"*.localhost", ""},
		{"*.test", ""},
		{"*.local", ""},
		{"*.internal", ""},
		{"*.svc.internal", ""},
		{"*.home.arpa", ""},
		{"*.corp", ""}, // RFC 6762's names for private networks
		{"*.lan", ""},
		{"*.home", ""},
		{"*.intranet", ""},
		{"*.private", ""},
		{"com", ""}, // an exact host is only itself
		{"10.0.0.1", ""},
	} {
		_, err := New(WithService(testService("https://api.example.com")), WithAPIKey(testKey), WithRedirectHosts(tc.host))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q refused: %v", tc.host, err)
		case tc.want != "" && err == nil:
			t.Errorf("%q accepted", tc.host)
		case tc.want != "" && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%q: %v; want %q in it", tc.host, err, tc.want)
		case tc.want != "" && tc.want != "not a host name" && tc.want != "IP address" && !strings.Contains(err.Error(), "name the exact hosts"):
			t.Errorf("%q: %v; it should say what to write instead", tc.host, err)
		}
	}
}

// FuzzRedirectHost: whatever it is given, the check does not panic, and a
// wildcard it accepts sits two labels deep or under a private name.
func FuzzRedirectHost(f *testing.F) {
	for _, s := range []string{"*", "*.com", "*.co.uk", "*.example.com", "*.localhost", "a.b", "*..", "*.1.2", "*.a.internal"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got, err := checkRedirectHost(h)
		if err != nil {
			return
		}
		name, wild := strings.CutPrefix(got, "*.")
		if strings.Contains(name, "*") || name == "" {
			t.Fatalf("%q accepted as %q", h, got)
		}
		if wild && !strings.Contains(name, ".") && !inList(privateTLDs, name) {
			t.Fatalf("%q accepted: a wildcard over one label", h)
		}
	})
}
