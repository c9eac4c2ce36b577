package relay

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// jsReserialise returns the bytes JavaScript's JSON.stringify(JSON.parse(text)) gives for body, as
// Heap's reference verifier signs them (express's JSON parser, then JSON.stringify), or body itself
// when it is not JSON. It follows JavaScript, not Go: strings are UTF-16 (a lone surrogate is written
// back as \udxxx), numbers are doubles written as JavaScript writes them (1e400 becomes null), a key
// given twice keeps its last value at its first place, and keys that are array indices come first,
// in ascending order. It writes as it reads, holding only the members of the objects open.
func jsReserialise(body []byte) []byte {
	p := jsParser{s: string(body), out: make([]byte, 0, len(body))}
	if len(p.s) >= 3 && p.s[:3] == "\xef\xbb\xbf" {
		p.i = 3 // express's body reader drops a byte order mark before parsing
	}
	p.moveBudget = 4*len(body) + 4096
	if !p.value() || p.space() != 0 || p.i < len(p.s) {
		return body
	}
	return p.out
}

// jsParser parses JSON text as JSON.parse does and writes it to out as JSON.stringify does.
type jsParser struct {
	s       string
	i       int
	depth   int
	out     []byte
	members []jsMember // the members of the objects open, innermost last
	scratch []byte     // where an object is put in order before it is copied back
	// moveBudget is how many more bytes reordered objects may copy: objects that need reordering
	// nested in each other are copied once per level, and a forged body must not cost more than a
	// few times its length.
	moveBudget int
}

// jsMember is an object member written to out: its key's text, then its value's (which is another
// member's value when the key came again).
type jsMember struct {
	keyStart, keyEnd, valueStart, valueEnd int
	index                                  int // the array index its key names, or -1
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

// value parses the value at p.i and writes it, reporting false when the text is not JSON there.
func (p *jsParser) value() bool {
	switch c := p.space(); c {
	case '{', '[':
		if p.depth++; p.depth > jsontext.MaxDepth {
			return false
		}
		p.i++
		ok := false
		if c == '[' {
			ok = p.array()
		} else {
			ok = p.object()
		}
		p.depth--
		return ok
	case '"':
		return p.str()
	case 't', 'f', 'n':
		for _, word := range [...]string{"true", "false", "null"} {
			if len(p.s)-p.i >= len(word) && p.s[p.i:p.i+len(word)] == word {
				p.i += len(word)
				p.out = append(p.out, word...)
				return true
			}
		}
		return false
	}
	return p.number()
}

// item starts the n-th item of an array or object: end is true at its closing byte; after the
// first item a ',' is read and written first.
func (p *jsParser) item(closing byte, n int) (end, ok bool) {
	c := p.space()
	if c == closing {
		return true, true
	}
	if n == 0 {
		return false, true
	}
	if c != ',' {
		return false, false
	}
	p.i++
	p.out = append(p.out, ',')
	return false, true
}

// array parses and writes an array's elements after its '['.
func (p *jsParser) array() bool {
	p.out = append(p.out, '[')
	for n := 0; ; n++ {
		if end, ok := p.item(']', n); !ok {
			return false
		} else if end {
			break
		}
		if !p.value() {
			return false
		}
	}
	p.i++
	p.out = append(p.out, ']')
	return true
}

// object parses and writes an object's members after its '{', then puts them in JavaScript's order
// if they are not in it.
func (p *jsParser) object() bool {
	start, first := len(p.out), len(p.members)
	p.out = append(p.out, '{')
	var at map[string]int           // where each key is in p.members, once the object has a few
	reorder, lastIndex := false, -1 // whether the members need reordering; the last index key seen
	for n := 0; ; n++ {
		if end, ok := p.item('}', n); !ok {
			return false
		} else if end {
			break
		}
		if p.space() != '"' {
			return false
		}
		m := jsMember{keyStart: len(p.out)}
		if !p.str() || p.space() != ':' {
			return false
		}
		p.i++
		m.keyEnd = len(p.out)
		p.out = append(p.out, ':')
		m.valueStart = len(p.out)
		key := p.out[m.keyStart:m.keyEnd]
		j := -1
		if at != nil {
			if k, ok := at[string(key)]; ok {
				j = k
			}
		} else {
			for k := first; k < len(p.members); k++ {
				if string(p.out[p.members[k].keyStart:p.members[k].keyEnd]) == string(key) {
					j = k
					break
				}
			}
		}
		m.index = arrayIndex(key)
		if !p.value() {
			return false
		}
		m.valueEnd = len(p.out)
		if j >= 0 { // the last value wins, at the first key's place
			p.members[j].valueStart, p.members[j].valueEnd = m.valueStart, m.valueEnd
			reorder = true
			continue
		}
		if m.index >= 0 && (m.index < lastIndex || len(p.members) > first && p.members[len(p.members)-1].index < 0) {
			reorder = true
		}
		lastIndex = max(lastIndex, m.index)
		p.members = append(p.members, m)
		if at != nil || len(p.members)-first >= 16 {
			if at == nil {
				at = make(map[string]int, 32)
				for k := first; k < len(p.members); k++ {
					at[string(p.out[p.members[k].keyStart:p.members[k].keyEnd])] = k
				}
			}
			at[string(p.out[m.keyStart:m.keyEnd])] = len(p.members) - 1
		}
	}
	p.i++
	p.out = append(p.out, '}')
	ok := !reorder || p.reorder(start, p.members[first:])
	p.members = p.members[:first]
	return ok
}

// reorder writes the object at out[start:] again with members, index keys first in ascending order,
// the others after them in the order they came; false when that would go over the move budget.
func (p *jsParser) reorder(start int, members []jsMember) bool {
	if p.moveBudget -= len(p.out) - start; p.moveBudget < 0 {
		return false
	}
	var order []int // each index key as (its number - 2^31) << 32 | its place: sorts as the numbers
	for j, m := range members {
		if m.index >= 0 {
			order = append(order, (m.index-1<<31)<<32|j)
		}
	}
	slices.Sort(order)
	for j := range order {
		order[j] &= math.MaxUint32
	}
	for j, m := range members {
		if m.index < 0 {
			order = append(order, j)
		}
	}
	b := append(p.scratch[:0], '{')
	for n, j := range order {
		if n > 0 {
			b = append(b, ',')
		}
		m := members[j]
		b = append(append(append(b, p.out[m.keyStart:m.keyEnd]...), ':'), p.out[m.valueStart:m.valueEnd]...)
	}
	p.scratch = append(b, '}')
	p.out = append(p.out[:start], p.scratch...)
	return true
}

// arrayIndex is the number a quoted key names when it is an array index (a decimal integer written
// canonically, below 2^32-1), or -1.
func arrayIndex(quoted []byte) int {
	digits := quoted[1 : len(quoted)-1]
	if len(digits) == 0 || len(digits) > 10 || (digits[0] == '0' && len(digits) > 1) {
		return -1
	}
	n := 0
	for _, c := range digits {
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

// number parses a number in JSON's grammar and writes it as JavaScript writes the double it reads.
func (p *jsParser) number() bool {
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
		return false
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return false
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return false
		}
	}
	if text := p.s[start:p.i]; len(text) <= 15 && text != "-0" && strings.Trim(text, "-0123456789") == "" {
		p.out = append(p.out, text...) // a whole number below 2^53 is written as it came
		return true
	}
	f, _ := strconv.ParseFloat(p.s[start:p.i], 64) // out of range is ±Inf or 0, as in JavaScript
	if math.IsInf(f, 0) {
		p.out = append(p.out, "null"...) // JSON.stringify writes Infinity as null
		return true
	}
	p.out = append(p.out, bridge.JSNumberString(f)...)
	return true
}

// str parses the string at p.i (a '"') as UTF-16, as JavaScript holds it, and writes it as
// JSON.stringify does.
func (p *jsParser) str() bool {
	w := utf16Writer{b: append(p.out, '"')}
	ok := p.strTo(&w)
	p.out = w.b
	return ok
}

// strTo parses the string at p.i for str, writing to w.
func (p *jsParser) strTo(w *utf16Writer) bool {
	for p.i++; p.i < len(p.s); {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			w.b = append(w.flush(), '"')
			return true
		case c < 0x20:
			return false
		case c < utf8.RuneSelf && c != '\\':
			w.unit(uint16(c))
			p.i++
		case c >= utf8.RuneSelf:
			r, size := decodeUTF8(p.s[p.i:])
			w.rune(r)
			p.i += size
		default:
			if p.i+1 >= len(p.s) {
				return false
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
					return false
				}
				u, ok := hex4(p.s[p.i : p.i+4])
				if !ok {
					return false
				}
				w.unit(u)
				p.i += 4
			default:
				return false
			}
		}
	}
	return false
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
