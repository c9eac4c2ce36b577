package jsontext

import (
	"math"
	"strings"
	"testing"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// TestWriter tests that the writer puts commas where JSON needs them, at any nesting.
func TestWriter(t *testing.T) {
	w := NewWriter(0)
	w.BeginObject()
	w.Key("a")
	w.Strings([]string{"x", "y\""})
	w.Key("b")
	w.BeginObject()
	w.Key("n")
	w.Int(-3)
	w.Key("f")
	w.Float(1.5e21)
	w.Key("t")
	w.Bool(true)
	w.EndObject()
	w.Key("e")
	w.BeginArray()
	w.EndArray()
	w.EndObject()
	if got, want := string(w.Bytes()), `{"a":["x","y\""],"b":{"n":-3,"f":1.5e+21,"t":true},"e":[]}`; got != want {
		t.Errorf("wrote %s, want %s", got, want)
	}
}

// TestReaderErrors tests that each kind of error names where it is.
func TestReaderErrors(t *testing.T) {
	readAll := func(body string) error {
		r := NewReader([]byte(body))
		var value func() error
		value = func() error {
			switch r.Peek() {
			case Object:
				return r.Object(func(key string) error {
					if key == "bad" {
						return r.UnknownField(key, "Bad")
					}
					if key == "s" {
						_, err := r.String()
						return err
					}
					return value()
				})
			case Array:
				return r.Array(func(int) error { return value() })
			}
			return r.Skip()
		}
		if err := value(); err != nil {
			return err
		}
		return r.End()
	}
	for _, tt := range []struct{ body, want string }{
		{``, "body: is empty, want a JSON object"},
		{`{"a":[1,{"k":1,"k":2}]}`, `a[1]: duplicate key "k"`},
		{`{"a":{"bad":1}}`, `a: unknown field "bad" (field names are case-sensitive: "Bad")`},
		{`{"a":{"s":7}}`, `a: "s" is a number, not a string`},
		{`{"a":[1,`, "body: the JSON ends early at byte 8"},
		{`{"a":01}`, "body: invalid character '1' at byte 6"},
		{`{"a":1} x`, "body: has data after the JSON object, at byte 8"},
		{`{"a":1,}`, "body: invalid character '}' at byte 7, where a key in quotes should be"},
		{`[1,]`, "body: invalid character ']' at byte 3"},
		{"{\"a\":\"\x01\"}", `body: invalid character '\x01' at byte 6`},
		{"[\xff]", `body: invalid character '\xff' at byte 1`},
		{strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), "body: nested more than 10000 deep"},
	} {
		err := readAll(tt.body)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%.40q: error %v, want %q", tt.body, err, tt.want)
		}
	}
	if err := readAll(strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)); err != nil {
		t.Errorf("nesting %d deep: %v", MaxDepth, err)
	}
}

// TestFloatAsJavaScript tests that Float writes what bridge.JSNumberString does (JavaScript's
// Number::toString), integers written directly included, at and past the safe integers.
func TestFloatAsJavaScript(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 7, 1000, 1049, -123456789, 1 << 53, -(1 << 53), 1<<53 + 2, 1e21, 1e22, -1e21,
		0.5, 1.5, -0.001, 1e-7, 123.456, 4503599627370495.5, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		w := NewWriter(0)
		w.Float(f)
		if got, want := string(w.Bytes()), bridge.JSNumberString(f); got != want {
			t.Errorf("Float(%v) = %s, want %s", f, got, want)
		}
	}
}
