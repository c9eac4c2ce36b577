package relay

import (
	"encoding/json"
	"strings"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// decodeEventsFast decodes, in one pass and without reflection, the bodies pages send: an object
// with only "events", each event an object of the five known keys (each at most once) whose values
// are strings, and whose properties hold only strings, numbers and booleans. It reports false for
// anything else, and DecodeEvents then decodes the body strictly, with its exact error messages;
// so whatever this accepts, the strict path would decode to the same events (FuzzFastDecode).
// Decoding is most of the relay's CPU per request in the Worker, where reflection is slow.
func decodeEventsFast(body []byte) ([]Event, bool) {
	d := fastDecoder{b: string(body)}
	if !d.open('{') || d.key() != "events" || !d.open('[') {
		return nil, false
	}
	events := make([]Event, 0, 16)
	for first := true; ; first = false {
		if d.peek() == ']' {
			d.i++
			break
		}
		if !first && !d.expect(',') {
			return nil, false
		}
		if len(events) == MaxBatchEvents {
			return nil, false
		}
		e, ok := d.event()
		if !ok {
			return nil, false
		}
		events = append(events, e)
	}
	if len(events) == 0 || !d.expect('}') || !d.atEnd() {
		return nil, false
	}
	return events, true
}

type fastDecoder struct {
	b string
	i int
}

func (d *fastDecoder) peek() byte {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
			continue
		}
		return d.b[d.i]
	}
	return 0
}

// atEnd reports whether only white space is left.
func (d *fastDecoder) atEnd() bool {
	d.peek()
	return d.i == len(d.b)
}

func (d *fastDecoder) expect(c byte) bool {
	if d.peek() != c {
		return false
	}
	d.i++
	return true
}

func (d *fastDecoder) open(c byte) bool { return d.expect(c) }

// key reads `"name":` and returns name, or "" when there is none.
func (d *fastDecoder) key() string {
	k, ok := d.str()
	if !ok || !d.expect(':') {
		return ""
	}
	return k
}

// event reads one event object.
func (d *fastDecoder) event() (e Event, ok bool) {
	if !d.open('{') {
		return e, false
	}
	var seen [5]bool
	for first := true; ; first = false {
		if d.peek() == '}' {
			d.i++
			return e, true
		}
		if !first && !d.expect(',') {
			return e, false
		}
		k := d.key()
		slot := -1
		switch k {
		case "id":
			slot = 0
		case "name":
			slot = 1
		case "properties":
			slot = 2
		case "identity":
			slot = 3
		case "timestamp":
			slot = 4
		}
		if slot < 0 || seen[slot] {
			return e, false
		}
		seen[slot] = true
		if slot == 2 {
			if e.Properties, ok = d.properties(); !ok {
				return e, false
			}
			continue
		}
		s, ok := d.str()
		if !ok {
			return e, false
		}
		switch slot {
		case 0:
			e.ID = s
		case 1:
			e.Name = s
		case 3:
			e.Identity = s
		case 4:
			e.Timestamp = s
		}
	}
}

// properties reads a flat object of strings, numbers (kept as json.Number) and booleans.
func (d *fastDecoder) properties() (map[string]any, bool) {
	if !d.open('{') {
		return nil, false
	}
	out := map[string]any{}
	for first := true; ; first = false {
		if d.peek() == '}' {
			d.i++
			return out, true
		}
		if !first && !d.expect(',') {
			return nil, false
		}
		k, ok := d.str()
		if !ok || !d.expect(':') {
			return nil, false
		}
		if _, dup := out[k]; dup {
			return nil, false
		}
		switch c := d.peek(); {
		case c == '"':
			s, ok := d.str()
			if !ok {
				return nil, false
			}
			out[k] = s
		case c == 't' || c == 'f':
			v, ok := d.boolean()
			if !ok {
				return nil, false
			}
			out[k] = v
		default:
			n, ok := d.number()
			if !ok {
				return nil, false
			}
			out[k] = n
		}
	}
}

func (d *fastDecoder) boolean() (bool, bool) {
	for _, w := range []string{"true", "false"} {
		if strings.HasPrefix(d.b[d.i:], w) {
			d.i += len(w)
			return w == "true", true
		}
	}
	return false, false
}

// number reads a number in JSON's exact grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *fastDecoder) number() (json.Number, bool) {
	start := d.i
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case digits() == 0:
		return "", false
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return "", false
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return "", false
		}
	}
	return json.Number(d.b[start:d.i]), true
}

// str reads a JSON string as encoding/json does (bridge.UnquoteJSON).
func (d *fastDecoder) str() (string, bool) {
	d.peek()
	out, next, ok := bridge.UnquoteJSON(d.b, d.i)
	d.i = next
	return out, ok
}
