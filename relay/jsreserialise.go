package relay

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// jsReserialise returns the bytes JavaScript's JSON.stringify(JSON.parse(text)) gives for body, as
// Heap's reference verifier signs them (express's JSON parser, then JSON.stringify), or body itself
// when it is not JSON. It follows JavaScript, not Go: strings are UTF-16 (a lone surrogate is written
// back as \udxxx), numbers are doubles written as JavaScript writes them (1e400 becomes null), a key
// given twice keeps its last value at its first place, and keys that are array indices come first,
// in ascending order.
func jsReserialise(body []byte) []byte {
	p := jsParser{s: string(body)}
	if len(p.s) >= 3 && p.s[:3] == "\xef\xbb\xbf" {
		p.i = 3 // express's body reader drops a byte order mark before parsing
	}
	v, ok := p.value()
	if !ok || p.space() != 0 || p.i < len(p.s) {
		return body
	}
	return v.appendTo(make([]byte, 0, len(body)))
}

// jsValue is a parsed JSON value: a scalar as JSON.stringify writes it, or an array or object.
type jsValue struct {
	open byte     // '[' or '{' for an array or object, 0 for a scalar
	text []byte   // a scalar's text as written again
	keys []string // an object's keys as written again, in JavaScript's property order once sorted
	kids []*jsValue
}

// jsParser parses JSON text as JSON.parse does.
type jsParser struct {
	s     string
	i     int
	depth int
}

// space steps over JSON white space and returns the next byte, or 0 at the end.
func (p *jsParser) space() byte {
	for ; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

// value parses the value at p.i, reporting false when the text is not JSON there.
func (p *jsParser) value() (*jsValue, bool) {
	switch c := p.space(); c {
	case '{', '[':
		if p.depth++; p.depth > jsontext.MaxDepth {
			return nil, false
		}
		p.i++
		v, ok := p.container(c)
		p.depth--
		return v, ok
	case '"':
		text, ok := p.str(nil)
		return &jsValue{text: text}, ok
	case 't', 'f', 'n':
		for _, word := range [...]string{"true", "false", "null"} {
			if len(p.s)-p.i >= len(word) && p.s[p.i:p.i+len(word)] == word {
				p.i += len(word)
				return &jsValue{text: []byte(word)}, true
			}
		}
		return nil, false
	}
	return p.number()
}

// container parses the members of an object or elements of an array after its open bracket.
func (p *jsParser) container(open byte) (*jsValue, bool) {
	v := &jsValue{open: open}
	var at map[string]int // where each key is in v.keys, once the object has a few
	for n := 0; ; n++ {
		c := p.space()
		if (open == '[' && c == ']') || (open == '{' && c == '}') {
			p.i++
			if open == '{' {
				sortIndexKeys(v)
			}
			return v, true
		}
		if n > 0 {
			if c != ',' {
				return nil, false
			}
			p.i++
			c = p.space()
		}
		if open == '[' {
			kid, ok := p.value()
			if !ok {
				return nil, false
			}
			v.kids = append(v.kids, kid)
			continue
		}
		if c != '"' {
			return nil, false
		}
		text, ok := p.str(nil)
		if !ok || p.space() != ':' {
			return nil, false
		}
		p.i++
		kid, ok := p.value()
		if !ok {
			return nil, false
		}
		key := string(text)
		if j, dup := findKey(v.keys, at, key); dup {
			v.kids[j] = kid // the last value wins, at the first key's place
			continue
		}
		v.keys, v.kids = append(v.keys, key), append(v.kids, kid)
		if at != nil || len(v.keys) >= 16 {
			if at == nil {
				at = make(map[string]int, 32)
				for j, k := range v.keys {
					at[k] = j
				}
			}
			at[key] = len(v.keys) - 1
		}
	}
}

// findKey returns where key is among keys, looking in at when the object has one.
func findKey(keys []string, at map[string]int, key string) (int, bool) {
	if at != nil {
		j, ok := at[key]
		return j, ok
	}
	j := slices.Index(keys, key)
	return j, j >= 0
}

// sortIndexKeys puts an object's array-index keys first in ascending order, the others after them
// in the order they came, as JavaScript orders an object's own properties.
func sortIndexKeys(v *jsValue) {
	var first []int // each index key as (its number - 2^31) << 32 | its place: sorts as the numbers
	for j, k := range v.keys {
		if n := arrayIndex(k); n >= 0 {
			first = append(first, (n-1<<31)<<32|j)
		}
	}
	if first == nil {
		return
	}
	slices.Sort(first)
	keys, kids := make([]string, 0, len(v.keys)), make([]*jsValue, 0, len(v.kids))
	for _, f := range first {
		keys, kids = append(keys, v.keys[f&math.MaxUint32]), append(kids, v.kids[f&math.MaxUint32])
	}
	for j, k := range v.keys {
		if arrayIndex(k) < 0 {
			keys, kids = append(keys, k), append(kids, v.kids[j])
		}
	}
	v.keys, v.kids = keys, kids
}

// arrayIndex is the number a quoted key names when it is an array index (a decimal integer written
// canonically, below 2^32-1), or -1.
func arrayIndex(quoted string) int {
	digits := quoted[1 : len(quoted)-1]
	if digits == "" || len(digits) > 10 || (digits[0] == '0' && len(digits) > 1) {
		return -1
	}
	n := 0
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	if n >= math.MaxUint32 {
		return -1
	}
	return n
}

// appendTo appends v as JSON.stringify writes it.
func (v *jsValue) appendTo(b []byte) []byte {
	if v.open == 0 {
		return append(b, v.text...)
	}
	b = append(b, v.open)
	for j, kid := range v.kids {
		if j > 0 {
			b = append(b, ',')
		}
		if v.open == '{' {
			b = append(append(b, v.keys[j]...), ':')
		}
		b = kid.appendTo(b)
	}
	if v.open == '{' {
		return append(b, '}')
	}
	return append(b, ']')
}

// number parses a number in JSON's grammar and writes it as JavaScript writes the double it reads.
func (p *jsParser) number() (*jsValue, bool) {
	start := p.i
	digits := func() int {
		n := 0
		for ; p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9'; p.i++ {
			n++
		}
		return n
	}
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, false
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	f, _ := strconv.ParseFloat(p.s[start:p.i], 64) // out of range is ±Inf or 0, as in JavaScript
	if math.IsInf(f, 0) {
		return &jsValue{text: []byte("null")}, true // JSON.stringify writes Infinity as null
	}
	return &jsValue{text: []byte(bridge.JSNumberString(f))}, true
}

// str parses the string at p.i (a '"') as UTF-16, as JavaScript holds it, and appends it to b as
// JSON.stringify writes it.
func (p *jsParser) str(b []byte) ([]byte, bool) {
	w := utf16Writer{b: append(b, '"')}
	for p.i++; p.i < len(p.s); {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return append(w.flush(), '"'), true
		case c < 0x20:
			return nil, false
		case c < utf8.RuneSelf && c != '\\':
			w.unit(uint16(c))
			p.i++
		case c >= utf8.RuneSelf:
			r, size := decodeUTF8(p.s[p.i:])
			w.rune(r)
			p.i += size
		default:
			if p.i+1 >= len(p.s) {
				return nil, false
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				w.unit(uint16(e))
			case 'b':
				w.unit('\b')
			case 'f':
				w.unit('\f')
			case 'n':
				w.unit('\n')
			case 'r':
				w.unit('\r')
			case 't':
				w.unit('\t')
			case 'u':
				if p.i+4 > len(p.s) {
					return nil, false
				}
				u, ok := hex4(p.s[p.i : p.i+4])
				if !ok {
					return nil, false
				}
				w.unit(u)
				p.i += 4
			default:
				return nil, false
			}
		}
	}
	return nil, false
}

// hex4 is the code unit four hex digits give.
func hex4(digits string) (uint16, bool) {
	var u uint16
	for _, c := range []byte(digits) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		u = u<<4 | uint16(c)
	}
	return u, true
}

// decodeUTF8 decodes the character s starts with as the WHATWG UTF-8 decoder does (Node's, which
// express's body reader uses): an invalid sequence's longest valid beginning is one U+FFFD.
func decodeUTF8(s string) (rune, int) {
	if r, size := utf8.DecodeRuneInString(s); r != utf8.RuneError || size != 1 {
		return r, size
	}
	lo, hi := byte(0x80), byte(0xbf)
	need := 0
	switch c := s[0]; {
	case c >= 0xc2 && c <= 0xdf:
		need = 1
	case c >= 0xe0 && c <= 0xef:
		need = 2
		if c == 0xe0 {
			lo = 0xa0
		} else if c == 0xed {
			hi = 0x9f
		}
	case c >= 0xf0 && c <= 0xf4:
		need = 3
		if c == 0xf0 {
			lo = 0x90
		} else if c == 0xf4 {
			hi = 0x8f
		}
	default:
		return utf8.RuneError, 1
	}
	size := 1
	for ; size <= need && size < len(s) && s[size] >= lo && s[size] <= hi; size++ {
		lo, hi = 0x80, 0xbf
	}
	return utf8.RuneError, size
}

// utf16Writer writes UTF-16 code units as JSON.stringify does: surrogate pairs as their character
// in UTF-8, lone surrogates as \udxxx, and only '"', '\' and control characters escaped.
type utf16Writer struct {
	b    []byte
	high uint16 // a high surrogate waiting for the unit after it, or 0
}

// rune writes r's one or two code units.
func (w *utf16Writer) rune(r rune) {
	if r < 0x10000 {
		w.unit(uint16(r))
		return
	}
	r -= 0x10000
	w.unit(uint16(0xd800 + r>>10))
	w.unit(uint16(0xdc00 + r&0x3ff))
}

// unit writes one code unit.
func (w *utf16Writer) unit(u uint16) {
	if w.high != 0 {
		if u >= 0xdc00 && u <= 0xdfff {
			w.b = utf8.AppendRune(w.b, 0x10000+(rune(w.high)-0xd800)<<10+rune(u)-0xdc00)
			w.high = 0
			return
		}
		w.flush()
	}
	switch {
	case u >= 0xd800 && u <= 0xdbff:
		w.high = u
	case u >= 0xdc00 && u <= 0xdfff:
		w.escape(u)
	case u == '"' || u == '\\':
		w.b = append(w.b, '\\', byte(u))
	case u == '\b':
		w.b = append(w.b, `\b`...)
	case u == '\f':
		w.b = append(w.b, `\f`...)
	case u == '\n':
		w.b = append(w.b, `\n`...)
	case u == '\r':
		w.b = append(w.b, `\r`...)
	case u == '\t':
		w.b = append(w.b, `\t`...)
	case u < 0x20:
		w.escape(u)
	default:
		w.b = utf8.AppendRune(w.b, rune(u))
	}
}

// flush writes a waiting high surrogate, lone, and returns the text written.
func (w *utf16Writer) flush() []byte {
	if w.high != 0 {
		w.escape(w.high)
		w.high = 0
	}
	return w.b
}

// escape writes u as \uxxxx in lowercase hex, as JSON.stringify does.
func (w *utf16Writer) escape(u uint16) {
	const hex = "0123456789abcdef"
	w.b = append(w.b, '\\', 'u', hex[u>>12], hex[u>>8&0xf], hex[u>>4&0xf], hex[u&0xf])
}
