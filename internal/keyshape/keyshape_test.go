package keyshape

import "testing"

func TestWord(t *testing.T) {
	for _, c := range []struct {
		w            string
		known, maybe bool
	}{
		{"hd_live_" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", true, true},
		{"xhd_test_broken", true, true}, // a built-in prefix, even malformed
		{"3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b", true, true},
		{"Zq9Zq9Zq9Zq9Zq9Zq9Zq9", false, true}, // random-looking
		{"production-eu-west-1", false, false},
		{"HYPEDATA_API_KEY", false, false},
		{"https", false, false},
		{"example.com", false, false},
		{"config2138472389", false, false},
	} {
		if got := Known(c.w); got != c.known {
			t.Errorf("Known(%q) = %v, want %v", c.w, got, c.known)
		}
		if got := Word(c.w); got != c.maybe {
			t.Errorf("Word(%q) = %v, want %v", c.w, got, c.maybe)
		}
	}
}
