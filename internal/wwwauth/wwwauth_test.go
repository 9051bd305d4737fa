package wwwauth

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   []string
		want []Challenge
	}{
		{[]string{`Bearer realm="api", error="invalid_token", error_description="The access token was revoked"`},
			[]Challenge{{Scheme: "Bearer", Params: map[string]string{"realm": "api", "error": "invalid_token", "error_description": "The access token was revoked"}}}},
		{[]string{`Bearer error="insufficient_scope", scope="scrape serp"`},
			[]Challenge{{Scheme: "Bearer", Params: map[string]string{"error": "insufficient_scope", "scope": "scrape serp"}}}},
		{[]string{`Basic realm="x", Bearer error=revoked`},
			[]Challenge{{Scheme: "Basic", Params: map[string]string{"realm": "x"}}, {Scheme: "Bearer", Params: map[string]string{"error": "revoked"}}}},
		{[]string{`Basic realm="a"`, `bearer ERROR="unknown_key"`},
			[]Challenge{{Scheme: "Basic", Params: map[string]string{"realm": "a"}}, {Scheme: "bearer", Params: map[string]string{"error": "unknown_key"}}}},
		{[]string{`Bearer error_description="say \"hi\" \\ bye"`},
			[]Challenge{{Scheme: "Bearer", Params: map[string]string{"error_description": `say "hi" \ bye`}}}},
		{[]string{`Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag==`},
			[]Challenge{{Scheme: "Negotiate", Token68: "YIIGhgYGKwYBBQUCoIIGejCCBnag==", Params: map[string]string{}}}},
		{[]string{`Bearer`}, []Challenge{{Scheme: "Bearer", Params: map[string]string{}}}},
		{[]string{`Bearer realm = "spaced" , error = "expired"`},
			[]Challenge{{Scheme: "Bearer", Params: map[string]string{"realm": "spaced", "error": "expired"}}}},
		{[]string{`Bearer error="unterminated`}, []Challenge{{Scheme: "Bearer", Params: map[string]string{"error": "unterminated"}}}},
		{[]string{``, ` , ,`}, nil},
	}
	for _, tc := range cases {
		got := Parse(tc.in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q)\n got %#v\nwant %#v", tc.in, got, tc.want)
		}
	}
}

func TestBearer(t *testing.T) {
	c, ok := Bearer(Parse([]string{`Basic realm="x", Bearer error="revoked", scope="admin"`}))
	if !ok {
		t.Fatal("no bearer")
	}
	if v, _ := c.Param("ERROR"); v != "revoked" {
		t.Errorf("error = %q", v)
	}
	if _, ok := Bearer(Parse([]string{`Basic realm="x"`})); ok {
		t.Error("found a bearer challenge in a Basic-only header")
	}
}

// FuzzParse checks the package's promises on any two header lines: it never
// panics and bounds what it keeps (at most maxChallenges challenges, each
// with a scheme, at most maxParams params, names lower-cased, values of at
// most maxValueBytes bytes). The checks look only at the parser's output
// and its own limits, never for input text in it; params are visited in
// sorted order so that a failure reads the same on every run.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`Bearer realm="api", error="invalid_token"`, `Basic abc==, Bearer error=x`, `"`, `Bearer a="\`, `,,=,=`, `Negotiate a/b+c==`} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		out := Parse([]string{a, b})
		if len(out) > maxChallenges {
			t.Fatalf("%d challenges", len(out))
		}
		for _, c := range out {
			if c.Scheme == "" || len(c.Params) > maxParams {
				t.Fatalf("bad challenge %#v", c)
			}
			for _, k := range slices.Sorted(maps.Keys(c.Params)) {
				if v := c.Params[k]; k != strings.ToLower(k) || len(v) > maxValueBytes {
					t.Fatalf("bad param %q=%q", k, v)
				}
			}
		}
		_, _ = Bearer(out)
	})
}
