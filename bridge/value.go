package bridge

// Kind says what a JavaScript value was when the loader took its snapshot.
type Kind string

// The kinds a snapshot can hold; the loader writes these one-letter tags.
const (
	KindUndefined  Kind = "u"
	KindNull       Kind = "z"
	KindBool       Kind = "b"
	KindNumber     Kind = "n"
	KindString     Kind = "s"
	KindObject     Kind = "o"
	KindArray      Kind = "a"
	KindDate       Kind = "d" // Str holds toISOString()
	KindFunction   Kind = "f"
	KindSymbol     Kind = "y"
	KindBigInt     Kind = "g" // Str holds the decimal digits
	KindCycle      Kind = "c" // the value was an ancestor of itself
	KindUnreadable Kind = "x" // reading it threw; Str holds the error message
	KindTooDeep    Kind = "t" // nested deeper than the snapshot goes
)

// Value is a bounded, acyclic snapshot of a JavaScript value, safe to walk in Go.
// Objects keep their own enumerable keys in insertion order (Keys parallel to Items).
type Value struct {
	Kind  Kind
	Str   string
	Num   float64
	Bool  bool
	Keys  []string
	Items []Value
	// Omitted counts entries the snapshot left out because the object or array was too large.
	Omitted int
}

// Str returns a string value.
func Str(s string) Value { return Value{Kind: KindString, Str: s} }

// Num returns a number value.
func Num(f float64) Value { return Value{Kind: KindNumber, Num: f} }

// Bool returns a boolean value.
func Bool(b bool) Value { return Value{Kind: KindBool, Bool: b} }

// Undefined returns JavaScript's undefined.
func Undefined() Value { return Value{Kind: KindUndefined} }

// Obj returns an object from alternating key, value pairs, in that order.
func Obj(pairs ...any) Value {
	v := Value{Kind: KindObject}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Keys = append(v.Keys, pairs[i].(string))
		v.Items = append(v.Items, pairs[i+1].(Value))
	}
	return v
}

// Arr returns an array of the given items.
func Arr(items ...Value) Value { return Value{Kind: KindArray, Items: items} }

// Field returns the value under key in an object, and whether it was there.
func (v Value) Field(key string) (Value, bool) {
	if v.Kind != KindObject {
		return Value{Kind: KindUndefined}, false
	}
	for i, k := range v.Keys {
		if k == key && i < len(v.Items) {
			return v.Items[i], true
		}
	}
	return Value{Kind: KindUndefined}, false
}

// IsScalar reports whether v is a string, number or boolean.
func (v Value) IsScalar() bool {
	return v.Kind == KindString || v.Kind == KindNumber || v.Kind == KindBool
}
