package longtest

import "testing"

func TestEnabled(t *testing.T) {
	for _, c := range []struct {
		v    string
		want bool
	}{{"1", true}, {"", false}, {"0", false}, {"true", false}, {"yes", false}} {
		t.Setenv(Var, c.v)
		if got := Enabled(); got != c.want {
			t.Errorf("%s=%q: Enabled() = %v, want %v", Var, c.v, got, c.want)
		}
	}
}

func TestSkip(t *testing.T) {
	t.Setenv(Var, "")
	ran := false
	t.Run("skipped", func(t *testing.T) {
		Skip(t)
		ran = true
	})
	if ran {
		t.Error("Skip did not skip with the variable unset")
	}
	t.Setenv(Var, "1")
	t.Run("runs", func(t *testing.T) {
		Skip(t)
		ran = true
	})
	if !ran {
		t.Error("Skip skipped with the variable set to 1")
	}
}
