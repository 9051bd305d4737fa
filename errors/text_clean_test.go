package apierrors

import "testing"

// FuzzCleanFastPath: text that clean returns as it is (without copying) is
// exactly the text its copying path would return unchanged.
func FuzzCleanFastPath(f *testing.F) {
	for _, s := range []string{"Too many requests", " lead", "trail ", "two  spaces", "tab\there", "é ok", "\x7f", "\u2028", "\xff", "…"} {
		f.Add(s, 16)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if s == "" || max < 1 || max > 1024 {
			return
		}
		if fast, slow := isClean(s, max), cleanCopy(s, max) == s; fast && !slow {
			t.Fatalf("isClean(%q, %d) = true, but the copying path gives %q", s, max, cleanCopy(s, max))
		}
	})
}
