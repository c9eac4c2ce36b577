package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// encoding/json matches field names in any case and lets a repeated key win, so a body could say
// one thing to a reader and another to the relay. encoding/json/v2 refuses both by default; until
// it is more than an experiment (GOEXPERIMENT=jsonv2 in Go 1.26), checkKeys does that part here.

// Field names the contract allows, exactly as spelled.
var (
	bodyFields  = map[string]bool{"events": true}
	eventFields = map[string]bool{"id": true, "name": true, "properties": true, "identity": true, "timestamp": true}
)

// schema returns the field names allowed in the object at path, or nil for any.
type schema func(path []step) map[string]bool

// eventsSchema is the schema of POST /v1/events: bodyFields at the top, eventFields in each event.
func eventsSchema(path []step) map[string]bool {
	switch {
	case len(path) == 0:
		return bodyFields
	case len(path) == 2 && path[0].is("events") && path[1].index >= 0:
		return eventFields
	}
	return nil
}

// maxKeyDepth is encoding/json's nesting limit; deeper bodies are left to it to refuse.
const maxKeyDepth = 10000

// manyKeys is the object size from which duplicate keys are looked up in a map, not a list.
const manyKeys = 16

// errMalformed stops the key check at input that is not JSON; decoding then says what is wrong.
var errMalformed = errors.New("malformed JSON")

// checkKeys returns an error naming the first key, in document order, that is given twice in one
// object at any depth, or that is not spelled exactly as a field of bodyFields (the body) or
// eventFields (each event). It reads the body once without decoding values, and finds nothing
// wrong in a body that is not JSON: DecodeEvents's decoding refuses that with a clearer message.
func checkKeys(body []byte) error { return checkKeysIn(body, eventsSchema) }

// checkKeysIn is checkKeys for the fields that fields allows where.
func checkKeysIn(body []byte, fields schema) error {
	s := keyScanner{b: body, schema: fields}
	err := s.value(0)
	if errors.Is(err, errMalformed) {
		return nil
	}
	return err
}

// keyScanner walks JSON text, keeping the path to the current value for messages.
type keyScanner struct {
	b      []byte
	i      int
	path   []step
	keys   [][]byte // the keys of the objects being read, innermost last
	schema schema
}

// step is one element of a path: an object key or an array index.
type step struct {
	key   []byte
	index int // -1 for a key
}

// is reports whether the step is the object key k.
func (p step) is(k string) bool { return p.index < 0 && string(p.key) == k }

// value reads one JSON value.
func (s *keyScanner) value(depth int) error {
	if depth > maxKeyDepth {
		return errMalformed
	}
	s.space()
	if s.i >= len(s.b) {
		return errMalformed
	}
	switch s.b[s.i] {
	case '{':
		return s.object(depth)
	case '[':
		return s.array(depth)
	case '"':
		_, _, err := s.str()
		return err
	}
	start := s.i // a number, true, false or null: the decoder checks which
	for s.i < len(s.b) && !endsScalar(s.b[s.i]) {
		s.i++
	}
	if s.i == start {
		return errMalformed
	}
	return nil
}

// object reads an object, checking its keys.
func (s *keyScanner) object(depth int) error {
	s.i++ // {
	fields := s.schema(s.path)
	first := len(s.keys)
	defer func() { s.keys = s.keys[:first] }()
	var seen map[string]bool // used once the object has manyKeys keys
	for n := 0; ; n++ {
		s.space()
		if s.i < len(s.b) && s.b[s.i] == '}' && n == 0 {
			s.i++
			return nil
		}
		raw, escaped, err := s.str()
		if err != nil {
			return err
		}
		key := raw
		if escaped || !utf8.Valid(raw) {
			key = unquoteKey(s.b[s.i-len(raw)-2 : s.i]) // as encoding/json reads it
		}
		if s.duplicate(key, first, &seen) {
			return s.keyError(": duplicate key " + strconv.Quote(string(key)))
		}
		if fields != nil && !fields[string(key)] {
			return s.keyError(": json: unknown field " + strconv.Quote(string(key)) + spelledAs(string(key), fields))
		}
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return errMalformed
		}
		s.i++
		s.path = append(s.path, step{key: key, index: -1})
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		if done, err := s.next('}'); done || err != nil {
			return err
		}
	}
}

// duplicate records key among the current object's keys (from index first of s.keys) and reports
// whether it was there already.
func (s *keyScanner) duplicate(key []byte, first int, seen *map[string]bool) bool {
	if *seen != nil {
		if (*seen)[string(key)] {
			return true
		}
		(*seen)[string(key)] = true
		return false
	}
	for _, k := range s.keys[first:] {
		if bytes.Equal(k, key) {
			return true
		}
	}
	s.keys = append(s.keys, key)
	if len(s.keys)-first >= manyKeys {
		*seen = make(map[string]bool, 2*manyKeys)
		for _, k := range s.keys[first:] {
			(*seen)[string(k)] = true
		}
	}
	return false
}

// next reads what follows a member or element: a comma (more follow), or closing, which ends the
// object or array (done).
func (s *keyScanner) next(closing byte) (done bool, err error) {
	s.space()
	switch {
	case s.i >= len(s.b):
		return false, errMalformed
	case s.b[s.i] == ',':
		s.i++
		return false, nil
	case s.b[s.i] == closing:
		s.i++
		return true, nil
	default:
		return false, errMalformed
	}
}

// array reads an array.
func (s *keyScanner) array(depth int) error {
	s.i++ // [
	for n := 0; ; n++ {
		s.space()
		if s.i < len(s.b) && s.b[s.i] == ']' && n == 0 {
			s.i++
			return nil
		}
		s.path = append(s.path, step{index: n})
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		if done, err := s.next(']'); done || err != nil {
			return err
		}
	}
}

// str reads a string and returns its raw contents and whether they hold an escape.
func (s *keyScanner) str() ([]byte, bool, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false, errMalformed
	}
	start := s.i + 1
	escaped := false
	for s.i = start; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], escaped, nil
		case c == '\\':
			escaped = true
			s.i++
		case c < 0x20:
			return nil, false, errMalformed
		}
	}
	return nil, false, errMalformed
}

// endsScalar reports whether c ends a number or literal.
func endsScalar(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', ']', '}', ':':
		return true
	}
	return false
}

// space skips white space.
func (s *keyScanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// keyError is an error at the current path, named as DecodeEvents names places: body, events[0],
// events[0].properties.
func (s *keyScanner) keyError(what string) error {
	if len(s.path) == 0 {
		return errors.New("body" + what)
	}
	var b strings.Builder
	if s.path[0].index >= 0 {
		b.WriteString("body")
	}
	for i, p := range s.path {
		switch {
		case p.index >= 0:
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
		case i > 0:
			b.WriteString("." + string(p.key))
		default:
			b.Write(p.key)
		}
	}
	return errors.New(b.String() + what)
}

// unquoteKey decodes a quoted key as encoding/json does (escapes, and U+FFFD for invalid UTF-8
// and lone surrogates), so keys that decode alike count as one.
func unquoteKey(quoted []byte) []byte {
	var k string
	if json.Unmarshal(quoted, &k) != nil {
		return quoted
	}
	return []byte(k)
}

// spelledAs hints at the field a key was meant to be, when they differ only in case.
func spelledAs(key string, fields map[string]bool) string {
	for f := range fields {
		if strings.EqualFold(f, key) {
			return " (field names are case-sensitive: " + strconv.Quote(f) + ")"
		}
	}
	return ""
}
