package bridge

import (
	"math"
	"testing"
)

// TestJSNumberString tests that numbers render as JavaScript's String(n) renders them.
func TestJSNumberString(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-1, "-1"}, {42, "42"}, {1.5, "1.5"},
		{0.1, "0.1"}, {1e21, "1e+21"}, {1e20, "100000000000000000000"}, {123456789012345680000, "123456789012345680000"},
		{1e-7, "1e-7"}, {0.000001, "0.000001"}, {1.5e-10, "1.5e-10"}, {2.5e25, "2.5e+25"},
		{9007199254740993, "9007199254740992"}, {math.NaN(), "NaN"}, {math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"}, {-0.5, "-0.5"}, {123.456, "123.456"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
		{5e-324, "5e-324"},
	}
	for _, c := range cases {
		if got := JSNumberString(c.in); got != c.want {
			t.Errorf("JSNumberString(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
