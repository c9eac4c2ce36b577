package bridge

import (
	"math"
)

// The loader's snapshot of a JavaScript value, as JSON (js/src/snapshot.js, snap()). Strings, finite
// numbers, booleans and null are themselves; everything else is an array whose first element is
// the Kind's tag:
//
//	["u"] undefined   ["f"] function   ["y"] symbol   ["c"] cycle   ["t"] too deep
//	["g", digits] bigint   ["d", iso] date   ["x", message] unreadable
//	["n", "NaN" | "Infinity" | "-Infinity"] a number JSON cannot hold
//	["a", omitted, item...] array   ["o", omitted, key, value, key, value...] object

// readValue reads one snapshot.
func (r *jsonReader) readValue() (Value, error) {
	switch c := r.peek(); {
	case c == '"':
		s, err := r.str()
		return Value{Kind: KindString, Str: s}, err
	case c == 't':
		if r.literal("true") {
			return Value{Kind: KindBool, Bool: true}, nil
		}
	case c == 'f':
		if r.literal("false") {
			return Value{Kind: KindBool}, nil
		}
	case c == 'n':
		if r.literal("null") {
			return Value{Kind: KindNull}, nil
		}
	case c == '[':
		return r.readTagged()
	case c == '-' || (c >= '0' && c <= '9'):
		f, err := r.number()
		return Value{Kind: KindNumber, Num: f}, err
	}
	return Value{}, r.fail("expected a snapshot value")
}

func (r *jsonReader) readTagged() (v Value, err error) {
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxJSONDepth {
		return v, r.fail("nested too deep")
	}
	r.i++ // '['
	tag, err := r.str()
	if err != nil {
		return v, err
	}
	v.Kind = Kind(tag)
	switch v.Kind {
	case KindUndefined, KindFunction, KindSymbol, KindCycle, KindTooDeep:
	case KindBigInt, KindDate, KindUnreadable:
		if err = r.expect(','); err == nil {
			v.Str, err = r.str()
		}
	case KindNumber:
		var s string
		if err = r.expect(','); err == nil {
			s, err = r.str()
		}
		switch s {
		case "Infinity":
			v.Num = math.Inf(1)
		case "-Infinity":
			v.Num = math.Inf(-1)
		default:
			v.Num = math.NaN()
		}
	case KindArray, KindObject:
		if err = r.expect(','); err != nil {
			return v, err
		}
		if v.Omitted, err = r.int(); err != nil {
			return v, err
		}
		for err == nil && r.peek() == ',' {
			r.i++
			if v.Kind == KindObject {
				var k string
				if k, err = r.str(); err != nil {
					return v, err
				}
				v.Keys = append(v.Keys, k)
				if err = r.expect(','); err != nil {
					return v, err
				}
			}
			var item Value
			item, err = r.readValue()
			v.Items = append(v.Items, item)
		}
	default:
		return v, r.fail("unknown snapshot tag")
	}
	if err != nil {
		return v, err
	}
	return v, r.closeArray()
}

// ReadSnapshot decodes one snapshot written by the loader.
func ReadSnapshot(text string) (Value, error) {
	r := &jsonReader{s: text}
	v, err := r.readValue()
	if err == nil {
		err = r.end()
	}
	return v, err
}
