// Package jsontext reads and writes the JSON the relay takes and answers, by hand: the Worker's
// wasm then links neither encoding/json nor its reflection, which is slow there and large.
package jsontext

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// Kind is the kind of a JSON value, as messages name it.
type Kind string

// The kinds of JSON value; None is what starts no value.
const (
	None   Kind = ""
	Object Kind = "an object"
	Array  Kind = "an array"
	String Kind = "a string"
	Number Kind = "a number"
	Bool   Kind = "a boolean"
	Null   Kind = "null"
)

// Num is a JSON number as written, so that 1e400 reaches validation rather than being lost here.
type Num string

// MaxDepth is how deeply objects and arrays may nest, encoding/json's limit.
const MaxDepth = 10000

// manyKeys is the object size from which duplicate keys are looked up in a map, not a list.
const manyKeys = 16

// Reader reads one JSON text strictly, in one pass: its grammar exactly (RFC 8259), no key twice in
// one object at any depth, strings decoded as encoding/json decodes them (invalid UTF-8 and lone
// surrogates become U+FFFD). Its callers say which keys they take and of what kind; every error
// names where it is, as "body", "events[0]" or "events[0].properties".
type Reader struct {
	s       string
	i       int
	depth   int
	path    []step   // the value being read: its keys and indexes from the top
	keys    []string // the keys of the objects being read, innermost last
	objects []object // the objects being read, innermost last
}

// object is an object being read.
type object struct {
	first   int             // where its keys start in Reader.keys
	seen    map[string]bool // its keys, once it has manyKeys of them
	into    map[string]any  // the map it is read into, which then records its keys
	members int             // members read so far
}

// step is one element of a path: an object key, or an array index when key is unset.
type step struct {
	key   string
	index int // -1 for a key
}

// NewReader returns a Reader of text.
func NewReader(text []byte) *Reader { return &Reader{s: string(text)} }

// Where names the value being read, as messages do.
func (r *Reader) Where() string { return where(r.path) }

// where names the value at path: "body" at the top, then keys joined by dots and indexes in brackets.
func where(path []step) string {
	if len(path) == 0 {
		return "body"
	}
	var b strings.Builder
	if path[0].index >= 0 {
		b.WriteString("body")
	}
	for i, p := range path {
		switch {
		case p.index >= 0:
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
		case i > 0:
			b.WriteString("." + p.key)
		default:
			b.WriteString(p.key)
		}
	}
	return b.String()
}

// Error is an error at the value being read: "<where>: what".
func (r *Reader) Error(what string) error { return errors.New(r.Where() + ": " + what) }

// MemberError is an error about the member being read, said of the object that holds it:
// `events[0]: unknown field "user_id"`. At the top or in an array it is Error.
func (r *Reader) MemberError(what string) error {
	if n := len(r.path); n > 0 && r.path[n-1].index < 0 {
		return errors.New(where(r.path[:n-1]) + ": " + what)
	}
	return r.Error(what)
}

// KindError says that the value being read is not of the kind want: `events[0]: "id" is a
// number, not a string`, or `events[1]: is null, not an object` for an array element. Where no
// value starts at all, it is the syntax error.
func (r *Reader) KindError(want string) error {
	kind := r.Peek()
	if kind == None {
		return r.syntax("a JSON value")
	}
	if n := len(r.path); n > 0 && r.path[n-1].index < 0 {
		return r.MemberError(strconv.Quote(r.path[n-1].key) + " is " + string(kind) + ", not " + want)
	}
	return r.Error("is " + string(kind) + ", not " + want)
}

// UnknownField is the error for a member whose key the object does not take, which are fields:
// exact spelling is required, so that a body cannot say one thing to another reader and another to
// the relay. It hints at the field meant when they differ only in case.
func (r *Reader) UnknownField(key string, fields ...string) error {
	hint := ""
	for _, f := range fields {
		if strings.EqualFold(f, key) {
			hint = " (field names are case-sensitive: " + strconv.Quote(f) + ")"
		}
	}
	return r.MemberError("unknown field " + strconv.Quote(key) + hint)
}

// syntax is the error for text that is not JSON at r.i, where want should have been.
func (r *Reader) syntax(want string) error {
	at := " at byte " + strconv.Itoa(r.i)
	if r.i >= len(r.s) {
		if strings.TrimLeft(r.s, " \t\r\n") == "" {
			return errors.New("body: is empty, want a JSON object")
		}
		return errors.New("body: the JSON ends early" + at + ", where " + want + " should follow")
	}
	return errors.New("body: invalid character " + quoteChar(r.s[r.i]) + at + ", where " + want + " should be")
}

// quoteChar quotes c for a message: 'x', '\x01', or '\xff' for a byte that starts no ASCII character.
func quoteChar(c byte) string {
	if c < utf8.RuneSelf {
		return strconv.QuoteRune(rune(c))
	}
	return `'\x` + strconv.FormatUint(uint64(c), 16) + `'`
}

// skipSpace steps over white space and returns the next byte, or 0 at the end.
func (r *Reader) skipSpace() byte {
	for r.i < len(r.s) {
		switch c := r.s[r.i]; c {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return c
		}
	}
	return 0
}

// Peek returns the kind of the value that starts next, or None.
func (r *Reader) Peek() Kind {
	switch r.skipSpace() {
	case '{':
		return Object
	case '[':
		return Array
	case '"':
		return String
	case 'n':
		if strings.HasPrefix(r.s[r.i:], "null") {
			return Null
		}
	case 't', 'f':
		if strings.HasPrefix(r.s[r.i:], "true") || strings.HasPrefix(r.s[r.i:], "false") {
			return Bool
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return Number
	}
	return None
}

// End checks that only white space is left after the value read.
func (r *Reader) End() error {
	if r.skipSpace(); r.i < len(r.s) {
		return errors.New("body: has data after the JSON object, at byte " + strconv.Itoa(r.i))
	}
	return nil
}

// Object reads an object, calling member for each key with the reader at its value, which member
// must read (or Skip). A key given twice, as decoded, is an error of the object.
func (r *Reader) Object(member func(key string) error) error {
	if err := r.BeginObject(); err != nil {
		return err
	}
	for {
		key, done, err := r.NextKey()
		if err != nil || done {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
	}
}

// BeginObject starts reading an object: NextKey then gives its members one by one, without the
// call per member that Object makes (calls cost much in the Worker's wasm).
func (r *Reader) BeginObject() error { return r.beginObject(nil) }

// beginObject is BeginObject; when into is not nil, the caller fills it with every key, and it
// is the record of the keys seen (Any's objects), so that no second record is kept.
func (r *Reader) beginObject(into map[string]any) error {
	if r.skipSpace() != '{' {
		return r.KindError(string(Object))
	}
	if err := r.enter(); err != nil {
		return err
	}
	r.i++
	r.objects = append(r.objects, object{first: len(r.keys), into: into})
	return nil
}

// NextKey reads the next member's key and colon, leaving the reader at its value, which the caller
// must read (or Skip) before calling NextKey again; or it reads the object's end and reports done.
func (r *Reader) NextKey() (key string, done bool, err error) {
	o := &r.objects[len(r.objects)-1]
	c := r.skipSpace()
	if o.members > 0 {
		r.path = r.path[:len(r.path)-1] // the previous member's value has been read
		switch c {
		case '}':
		case ',':
			r.i++
			if c = r.skipSpace(); c != '"' {
				return "", false, r.syntax("a key in quotes")
			}
		default:
			return "", false, r.syntax("',' or '}'")
		}
	}
	if c == '}' {
		r.i++
		r.keys = r.keys[:o.first]
		r.objects = r.objects[:len(r.objects)-1]
		r.depth--
		return "", true, nil
	}
	if c != '"' {
		return "", false, r.syntax("a key in quotes")
	}
	if key, err = r.str(); err != nil {
		return "", false, err
	}
	if o.into != nil {
		if _, dup := o.into[key]; dup {
			return "", false, r.Error("duplicate key " + strconv.Quote(key))
		}
	} else if r.duplicate(key, o.first, &o.seen) {
		return "", false, r.Error("duplicate key " + strconv.Quote(key))
	}
	if r.skipSpace() != ':' {
		return "", false, r.syntax("':'")
	}
	r.i++
	r.path = append(r.path, step{key: key, index: -1})
	o.members++
	return key, false, nil
}

// duplicate records key among the current object's keys (from index first of r.keys) and reports
// whether it was there already.
func (r *Reader) duplicate(key string, first int, seen *map[string]bool) bool {
	if *seen != nil {
		if (*seen)[key] {
			return true
		}
		(*seen)[key] = true
		return false
	}
	for _, k := range r.keys[first:] {
		if k == key {
			return true
		}
	}
	r.keys = append(r.keys, key)
	if len(r.keys)-first >= manyKeys {
		*seen = make(map[string]bool, 2*manyKeys)
		for _, k := range r.keys[first:] {
			(*seen)[k] = true
		}
	}
	return false
}

// Array reads an array, calling element for each index with the reader at its value, which
// element must read (or Skip).
func (r *Reader) Array(element func(i int) error) error {
	if r.skipSpace() != '[' {
		return r.KindError(string(Array))
	}
	if err := r.enter(); err != nil {
		return err
	}
	r.i++
	for n := 0; ; n++ {
		c := r.skipSpace()
		if n == 0 && c == ']' {
			break
		}
		if n > 0 {
			if c == ']' {
				break
			}
			if c != ',' {
				return r.syntax("',' or ']'")
			}
			r.i++
		}
		r.path = append(r.path, step{index: n})
		if err := element(n); err != nil {
			return err
		}
		r.path = r.path[:len(r.path)-1]
	}
	r.i++
	r.depth--
	return nil
}

// enter counts one more level of nesting, refusing more than MaxDepth.
func (r *Reader) enter() error {
	if r.depth++; r.depth > MaxDepth {
		return errors.New("body: nested more than " + strconv.Itoa(MaxDepth) + " deep")
	}
	return nil
}

// String reads a string.
func (r *Reader) String() (string, error) {
	if r.skipSpace() != '"' {
		return "", r.KindError(string(String))
	}
	return r.str()
}

// str reads the string at r.i, a '"'.
func (r *Reader) str() (string, error) {
	out, next, ok := bridge.UnquoteJSON(r.s, r.i)
	if !ok {
		r.i = next
		return "", r.syntax("a string's next character or its closing quote")
	}
	r.i = next
	return out, nil
}

// StringOrNull reads a string, or null as "" (as encoding/json leaves a string field).
func (r *Reader) StringOrNull() (string, error) {
	if r.skipSpace() == '"' {
		return r.str()
	}
	if r.Null() {
		return "", nil
	}
	return r.String()
}

// Null reads a null if one comes next, and reports whether it did.
func (r *Reader) Null() bool {
	if r.Peek() == Null {
		r.i += len("null")
		return true
	}
	return false
}

// Bool reads true or false.
func (r *Reader) Bool() (bool, error) {
	if r.Peek() != Bool {
		return false, r.KindError(string(Bool))
	}
	return r.boolean(), nil
}

// boolean reads the true or false at r.i.
func (r *Reader) boolean() bool {
	if r.s[r.i] == 't' {
		r.i += len("true")
		return true
	}
	r.i += len("false")
	return false
}

// Number reads a number in JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *Reader) Number() (Num, error) {
	if r.Peek() != Number {
		return "", r.KindError(string(Number))
	}
	return r.number()
}

// number reads the number at r.i, which starts with '-' or a digit.
func (r *Reader) number() (Num, error) {
	start := r.i
	digits := func() int {
		n := 0
		for r.i < len(r.s) && r.s[r.i] >= '0' && r.s[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	if r.s[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(r.s) && r.s[r.i] == '0':
		r.i++
	case digits() == 0:
		return "", r.syntax("a digit")
	}
	if r.i < len(r.s) && r.s[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return "", r.syntax("a digit")
		}
	}
	if r.i < len(r.s) && (r.s[r.i] == 'e' || r.s[r.i] == 'E') {
		r.i++
		if r.i < len(r.s) && (r.s[r.i] == '+' || r.s[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return "", r.syntax("a digit")
		}
	}
	return Num(r.s[start:r.i]), nil
}

// Any reads any value as encoding/json decodes one into an any with UseNumber: objects as
// map[string]any, arrays as []any, numbers as Num, and strings, booleans and nil.
func (r *Reader) Any() (any, error) {
	switch r.Peek() {
	case Object:
		m := map[string]any{}
		if err := r.beginObject(m); err != nil {
			return m, err
		}
		for {
			key, done, err := r.NextKey()
			if err != nil || done {
				return m, err
			}
			v, err := r.Any()
			m[key] = v
			if err != nil {
				return m, err
			}
		}
	case Array:
		a := []any{}
		err := r.Array(func(int) error {
			v, err := r.Any()
			a = append(a, v)
			return err
		})
		return a, err
	case String:
		return r.str()
	case Number:
		return r.number()
	case Bool:
		return r.boolean(), nil
	case Null:
		r.i += len("null")
		return nil, nil
	}
	return nil, r.syntax("a JSON value")
}

// Skip reads a value of any kind and keeps nothing of it but its checks.
func (r *Reader) Skip() error {
	switch r.Peek() {
	case Object:
		return r.Object(func(string) error { return r.Skip() })
	case Array:
		return r.Array(func(int) error { return r.Skip() })
	case String:
		_, err := r.String()
		return err
	case Number:
		_, err := r.Number()
		return err
	case Bool:
		_, err := r.Bool()
		return err
	case Null:
		r.Null()
		return nil
	}
	return r.syntax("a JSON value")
}

// Raw reads a value of any kind (Skip) and returns its text as written.
func (r *Reader) Raw() (string, error) {
	r.skipSpace()
	start := r.i
	err := r.Skip()
	return r.s[start:r.i], err
}
