package bridge

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonReader reads the JSON text the loader writes with JSON.stringify. It is written by hand so the
// page module carries neither encoding/json nor reflect; it reads one value at a time, in order.
type jsonReader struct {
	s     string
	i     int
	depth int
}

// maxJSONDepth bounds nesting: a snapshot is at most 8 levels deep, inside a message of 3.
const maxJSONDepth = 64

func (r *jsonReader) fail(what string) error {
	return errors.New("malformed message at byte " + strconv.Itoa(r.i) + ": " + what)
}

func (r *jsonReader) space() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the next significant byte, or 0 at the end.
func (r *jsonReader) peek() byte {
	r.space()
	if r.i < len(r.s) {
		return r.s[r.i]
	}
	return 0
}

func (r *jsonReader) expect(c byte) error {
	if r.peek() != c {
		return r.fail("expected " + strconv.QuoteRune(rune(c)))
	}
	r.i++
	return nil
}

// more steps past a comma between array elements: true if another element follows.
func (r *jsonReader) more() (bool, error) {
	switch r.peek() {
	case ',':
		r.i++
		return true, nil
	case ']':
		return false, nil
	}
	return false, r.fail("expected ',' or ']'")
}

// openArray consumes '[' and reports whether the array has elements.
func (r *jsonReader) openArray() (bool, error) {
	if err := r.expect('['); err != nil {
		return false, err
	}
	return r.peek() != ']', nil
}

func (r *jsonReader) closeArray() error { return r.expect(']') }

// literal consumes one of true, false, null.
func (r *jsonReader) literal(word string) bool {
	if len(r.s)-r.i >= len(word) && r.s[r.i:r.i+len(word)] == word {
		r.i += len(word)
		return true
	}
	return false
}

// number reads a JSON number.
func (r *jsonReader) number() (float64, error) {
	r.space()
	start := r.i
	for r.i < len(r.s) {
		c := r.s[r.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			r.i++
			continue
		}
		break
	}
	if start == r.i {
		return 0, r.fail("expected a number")
	}
	f, err := strconv.ParseFloat(r.s[start:r.i], 64)
	if err != nil {
		return 0, r.fail("bad number")
	}
	return f, nil
}

// int reads a JSON number that must be a whole number in int range.
func (r *jsonReader) int() (int, error) {
	f, err := r.number()
	if err != nil {
		return 0, err
	}
	if f != f || f < -1e15 || f > 1e15 || f != float64(int64(f)) {
		return 0, r.fail("expected a whole number")
	}
	return int(f), nil
}

// str reads a JSON string.
func (r *jsonReader) str() (string, error) {
	r.space()
	out, next, ok := UnquoteJSON(r.s, r.i)
	if !ok {
		return "", r.fail("expected a string")
	}
	r.i = next
	return out, nil
}

// UnquoteJSON reads the JSON string that starts at s[i] (a '"') as encoding/json does: escapes
// decoded, invalid UTF-8 and lone UTF-16 surrogates as U+FFFD (what the browser's TextEncoder makes
// of a lone surrogate). It returns the string and where it ends, or false for malformed input. The
// page's message reader and the relay's one-pass decoder both use it.
func UnquoteJSON(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	i++
	start := i
	for i < len(s) { // fast path: no escapes
		c := s[i]
		if c == '"' {
			return validUTF8(s[start:i]), i + 1, true
		}
		if c == '\\' || c < 0x20 {
			break
		}
		i++
	}
	b := []byte(s[start:i])
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return validUTF8(string(b)), i + 1, true
		case c < 0x20:
			return "", i, false
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			break
		}
		e := s[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			u, ok := hex4(s, i)
			if !ok {
				return "", i, false
			}
			i += 4
			ru := rune(u)
			if utf16.IsSurrogate(ru) {
				ru = utf8.RuneError
				if u < 0xdc00 && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if lo, ok := hex4(s, i+2); ok && lo >= 0xdc00 && lo <= 0xdfff {
						ru = utf16.DecodeRune(rune(u), rune(lo))
						i += 6
					} // else the next escape stands alone
				}
			}
			b = utf8.AppendRune(b, ru)
		default:
			return "", i, false
		}
	}
	return "", i, false
}

// hex4 reads the four hex digits at s[i:].
func hex4(s string, i int) (int, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s[i : i+4]) {
		n <<= 4
		switch {
		case c >= '0' && c <= '9':
			n |= int(c - '0')
		case c >= 'a' && c <= 'f':
			n |= int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			n |= int(c-'A') + 10
		default:
			return 0, false
		}
	}
	return n, true
}

// skip reads and discards any JSON value.
func (r *jsonReader) skip() error {
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxJSONDepth {
		return r.fail("nested too deep")
	}
	switch c := r.peek(); {
	case c == '"':
		_, err := r.str()
		return err
	case c == '[' || c == '{':
		closer := byte(']')
		if c == '{' {
			closer = '}'
		}
		r.i++
		for first := true; ; first = false {
			if r.peek() == closer {
				r.i++
				return nil
			}
			if !first {
				if err := r.expect(','); err != nil {
					return err
				}
			}
			if c == '{' {
				if _, err := r.str(); err != nil {
					return err
				}
				if err := r.expect(':'); err != nil {
					return err
				}
			}
			if err := r.skip(); err != nil {
				return err
			}
		}
	case c == 't':
		if r.literal("true") {
			return nil
		}
	case c == 'f':
		if r.literal("false") {
			return nil
		}
	case c == 'n':
		if r.literal("null") {
			return nil
		}
	default:
		_, err := r.number()
		return err
	}
	return r.fail("unexpected input")
}

// end checks that nothing but white space follows.
func (r *jsonReader) end() error {
	if r.peek() != 0 {
		return r.fail("trailing data")
	}
	return nil
}
