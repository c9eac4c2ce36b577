package bridge

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestPropertyPolicy tests flattening, arrays, dates, reserved keys and unsupported values.
func TestPropertyPolicy(t *testing.T) {
	cycle := Value{Kind: KindCycle}
	cases := []struct {
		name      string
		key       string
		in        Value
		want      []Property
		wantDrops map[string]int
	}{
		{"string", "a", Str("x"), []Property{{"a", "x"}}, nil},
		{"number stays number", "a", Num(3), []Property{{"a", 3.0}}, nil},
		{"bool stays bool", "a", Bool(false), []Property{{"a", false}}, nil},
		{"nested object flattens with dots", "meta", Obj("a", Num(1), "b", Obj("c", Str("d"))),
			[]Property{{"meta.a", 1.0}, {"meta.b.c", "d"}}, nil},
		{"scalar array joins with ||", "tags", Arr(Str("x"), Num(2), Bool(true)), []Property{{"tags", "x||2||true"}}, nil},
		{"array of objects flattens by index", "items", Arr(Obj("id", Num(1)), Obj("id", Num(2))),
			[]Property{{"items.0.id", 1.0}, {"items.1.id", 2.0}}, nil},
		{"date becomes ISO text", "at", Value{Kind: KindDate, Str: "2026-11-28T14:00:00.000Z"}, []Property{{"at", "2026-11-28T14:00:00.000Z"}}, nil},
		{"null dropped", "a", Value{Kind: KindNull}, nil, map[string]int{PropUnsupported: 1}},
		{"NaN dropped", "a", Num(math.NaN()), nil, map[string]int{PropUnsupported: 1}},
		{"Infinity dropped", "a", Num(math.Inf(1)), nil, map[string]int{PropUnsupported: 1}},
		{"function dropped", "a", Value{Kind: KindFunction}, nil, map[string]int{PropUnsupported: 1}},
		{"cycle dropped", "self", Obj("x", Num(1), "me", cycle), []Property{{"self.x", 1.0}}, map[string]int{PropCycle: 1}},
		{"proto key never set", "p", Obj("__proto__", Obj("x", Num(1)), "ok", Num(1)), []Property{{"p.ok", 1.0}}, map[string]int{PropReservedKey: 1}},
		{"constructor key dropped", "constructor", Str("x"), nil, map[string]int{PropReservedKey: 1}},
		{"unreadable getter dropped", "a", Value{Kind: KindUnreadable, Str: "boom"}, nil, map[string]int{PropUnreadable: 1}},
		{"empty key dropped", "", Str("x"), nil, map[string]int{PropEmptyKey: 1}},
		{"long key dropped", strings.Repeat("k", 512), Str("x"), nil, map[string]int{PropKeyTooLong: 1}},
		{"key of 511 kept", strings.Repeat("k", 511), Str("x"), []Property{{strings.Repeat("k", 511), "x"}}, nil},
		{"nulls inside a scalar array counted", "a", Arr(Str("x"), Value{Kind: KindNull}), []Property{{"a", "x"}}, map[string]int{PropUnsupported: 1}},
	}
	for _, c := range cases {
		p := NewPropertySet()
		p.Add(c.key, c.in)
		if !reflect.DeepEqual(p.Properties(), c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, p.Properties(), c.want)
		}
		if c.wantDrops == nil {
			c.wantDrops = map[string]int{}
		}
		if !reflect.DeepEqual(p.Drops, c.wantDrops) {
			t.Errorf("%s: drops %v, want %v", c.name, p.Drops, c.wantDrops)
		}
	}
}

// TestPropertyCapKeepsOrder tests that past the cap later properties drop, earlier ones stay,
// and the user id still fits.
func TestPropertyCapKeepsOrder(t *testing.T) {
	p := NewPropertySet()
	for i := 0; i < 150; i++ {
		p.Add("k"+itoa(i), Num(float64(i)))
	}
	p.SetReserved(UserIDProperty, "alice")
	props := p.Properties()
	if len(props) != MaxProperties {
		t.Fatalf("len = %d, want %d", len(props), MaxProperties)
	}
	if props[0].Key != "k0" || props[98].Key != "k98" || props[99].Key != UserIDProperty {
		t.Errorf("order lost: first %q, 99th %q, last %q", props[0].Key, props[98].Key, props[99].Key)
	}
	if p.Drops[PropTooMany] != 51 {
		t.Errorf("too_many_properties = %d, want 51", p.Drops[PropTooMany])
	}
}

// TestLongValuesCut tests that long strings are cut to 1023 units and counted.
func TestLongValuesCut(t *testing.T) {
	p := NewPropertySet()
	p.Add("s", Str(strings.Repeat("x", 1022)+"😀"+"tail"))
	got := p.Properties()[0].Value.(string)
	if UTF16Len(got) != 1022 || p.Truncated != 1 {
		t.Errorf("cut to %d units (truncated %d), want 1022 and 1", UTF16Len(got), p.Truncated)
	}
	p.Add("j", Arr(Str(strings.Repeat("a", 600)), Str(strings.Repeat("b", 600))))
	if n := UTF16Len(p.Properties()[1].Value.(string)); n != MaxPropertyValueLen {
		t.Errorf("joined array cut to %d, want %d", n, MaxPropertyValueLen)
	}
}
