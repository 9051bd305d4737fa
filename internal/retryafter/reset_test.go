package retryafter

import (
	"testing"
	"time"
)

// TestParseResetRefusesNonDecimals: strconv.ParseFloat alone takes "Inf",
// "NaN" and hex floats, which once turned into a zero wait (retry at once)
// or a platform-dependent int64 conversion.
func TestParseResetRefusesNonDecimals(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, v := range []string{"Inf", "+Inf", "inf", "Infinity", "-Inf", "NaN", "nan", "0x10", "0x1p4", "0X1P-2",
		"+5", "-5", "1_000", "", " ", "1e", "e5", ".", "5s", "1.2.3"} {
		if d, ok := ParseReset(v, now); ok {
			t.Errorf("ParseReset(%q) = %v, true; want refused", v, d)
		}
	}
}

func TestParseResetClampsHugeValues(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, v := range []string{"1e300", "1e18", "1e400", "9223372036854775807", "99999999999999999999", "1e12"} {
		if d, ok := ParseReset(v, now); !ok || d != Max {
			t.Errorf("ParseReset(%q) = %v, %v; want Max, true", v, d, ok)
		}
	}
	cases := []struct {
		v    string
		want time.Duration
	}{
		{"30", 30 * time.Second},
		{"1.5", 1500 * time.Millisecond},
		{"1e1", 10 * time.Second},
		{".5", 500 * time.Millisecond},
		{"1e-400", 0},
		{"1700000060", time.Minute},
		{"1700000060.5", time.Minute + 500*time.Millisecond},
		{"1.70000012e9", 2 * time.Minute},
		{"1600000000", 0}, // in the past
	}
	for _, tc := range cases {
		if d, ok := ParseReset(tc.v, now); !ok || d != tc.want {
			t.Errorf("ParseReset(%q) = %v, %v; want %v, true", tc.v, d, ok, tc.want)
		}
	}
}

func TestParseMillisAndSecondsRefuseNonDecimals(t *testing.T) {
	for _, v := range []string{"Inf", "+Inf", "NaN", "0x10", "-1", "1_0"} {
		if d, ok := ParseMillis(v); ok {
			t.Errorf("ParseMillis(%q) = %v, true; want refused", v, d)
		}
		if d, ok := ParseSeconds(v); ok {
			t.Errorf("ParseSeconds(%q) = %v, true; want refused", v, d)
		}
	}
	if d, ok := ParseSeconds("2.5"); !ok || d != 2500*time.Millisecond {
		t.Errorf("ParseSeconds(2.5) = %v, %v", d, ok)
	}
	if d, ok := ParseSeconds("1e300"); !ok || d != Max {
		t.Errorf("ParseSeconds(1e300) = %v, %v; want Max", d, ok)
	}
	if d, ok := ParseMillis("1500.5"); !ok || d != 1500500*time.Microsecond {
		t.Errorf("ParseMillis(1500.5) = %v, %v", d, ok)
	}
}
