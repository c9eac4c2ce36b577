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

// str reads a JSON string. A lone UTF-16 surrogate becomes U+FFFD, as the browser's TextEncoder
// would make it.
func (r *jsonReader) str() (string, error) {
	if err := r.expect('"'); err != nil {
		return "", err
	}
	start := r.i
	for r.i < len(r.s) { // fast path: no escapes
		c := r.s[r.i]
		if c == '"' {
			out := r.s[start:r.i]
			r.i++
			if !utf8.ValidString(out) {
				return validUTF8(out), nil
			}
			return out, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		r.i++
	}
	b := []byte(r.s[start:r.i])
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch {
		case c == '"':
			r.i++
			return validUTF8(string(b)), nil
		case c < 0x20:
			return "", r.fail("control character in a string")
		case c != '\\':
			b = append(b, c)
			r.i++
			continue
		}
		if r.i+1 >= len(r.s) {
			break
		}
		e := r.s[r.i+1]
		r.i += 2
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
			u, ok := r.hex4()
			if !ok {
				return "", r.fail("bad \\u escape")
			}
			ru := rune(u)
			if utf16.IsSurrogate(ru) {
				ru = utf8.RuneError
				if u < 0xdc00 && r.i+1 < len(r.s) && r.s[r.i] == '\\' && r.s[r.i+1] == 'u' {
					save := r.i
					r.i += 2
					if lo, ok := r.hex4(); ok && lo >= 0xdc00 && lo <= 0xdfff {
						ru = utf16.DecodeRune(rune(u), rune(lo))
					} else {
						r.i = save // not a pair: the next escape stands alone
					}
				}
			}
			b = utf8.AppendRune(b, ru)
		default:
			return "", r.fail("bad escape")
		}
	}
	return "", r.fail("unterminated string")
}

func (r *jsonReader) hex4() (int, bool) {
	if r.i+4 > len(r.s) {
		return 0, false
	}
	n := 0
	for _, c := range []byte(r.s[r.i : r.i+4]) {
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
	r.i += 4
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
