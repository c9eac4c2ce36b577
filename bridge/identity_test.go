package bridge

import (
	"strings"
	"testing"
)

// TestCheckIdentity tests the merge guard on every risky id of CONTRACT §4 and on good ids.
func TestCheckIdentity(t *testing.T) {
	rejected := []Value{
		Str(""), Str("   "), Str("null"), Str("undefined"), Str("NaN"), Str("nan"), Str("0"), Num(0), Str("-1"), Num(-1),
		Str("user"), Str(" Guest "), Str("ANONYMOUS"), Str("unknown"), Str("none"), Str("N/A"), Str("Test"),
		Str(strings.Repeat("x", 256)), Num(0), Value{Kind: KindNull}, Undefined(), Obj(), Bool(true),
		Str("\ufeffguest"), Str("\u200bnull\u200b"), Str("\ufeff"), Str("\u2060 user"),
	}
	for _, v := range rejected {
		if id, why := CheckIdentity(v); why == "" {
			t.Errorf("CheckIdentity(%#v) accepted %q", v, id)
		}
	}
	accepted := []struct {
		in   Value
		want string
	}{
		{Str("alice"), "alice"}, {Num(42), "42"}, {Str(strings.Repeat("x", 255)), strings.Repeat("x", 255)},
		{Str("user-17"), "user-17"}, {Str("testing@example.com"), "testing@example.com"}, {Num(1.5), "1.5"},
	}
	for _, c := range accepted {
		if id, why := CheckIdentity(c.in); id != c.want || why != "" {
			t.Errorf("CheckIdentity(%#v) = %q, %q; want %q", c.in, id, why, c.want)
		}
	}
}
