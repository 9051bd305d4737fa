package suggest_test

import (
	"fmt"
	"testing"

	"github.com/apikit/apikit-go/internal/suggest"
)

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3},
		{"hypedata", "hypdata", 1}, {"base_url", "baseurl", 1}, {"api_key", "api_key", 0}, {"ab", "ba", 2},
	} {
		if got := suggest.Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := suggest.Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestNearest(t *testing.T) {
	services := []string{"hypedata", "hypersave", "hopx", "hypersync", "web3storage"}
	for _, tc := range []struct {
		name string
		want string
	}{
		{"hypdata", "hypedata"},     // one edit
		{"hypersyncc", "hypersync"}, // one edit
		{"hypersav", "hypersave"},   // one edit, not hypersync's two
		{"hopxx", "hopx"},
		{"hypedata", ""},  // an exact match is no suggestion
		{"hx", ""},        // too far from everything
		{"hop", "hopx"},   // one letter short
		{"something", ""}, // three or more edits
		{"HYPEDATA", ""},  // case counts
		{"", ""},
	} {
		if got := suggest.Nearest(tc.name, services); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := suggest.Nearest("ab", []string{"ax", "ay"}); got != "" {
		t.Errorf("Nearest(ab) = %q: a candidate of 2 letters one edit away is half of it", got)
	}
	if got := suggest.Nearest("abcd", []string{"abce", "abcf"}); got != "abce" {
		t.Errorf("Nearest(abcd) = %q, want the first of equally close candidates", got)
	}
}

func ExampleNearest() {
	fields := []string{"api_key", "api_key_command", "base_url"}
	fmt.Println(suggest.Nearest("api_kye", fields))
	fmt.Println(suggest.Nearest("baseurl", fields))
	fmt.Printf("%q\n", suggest.Nearest("timeout", fields))
	// Output:
	// api_key
	// base_url
	// ""
}
