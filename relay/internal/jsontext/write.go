package jsontext

import (
	"math"
	"strconv"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// Writer writes JSON text, putting the commas between members and elements itself:
//
//	w.BeginObject(); w.Key("ok"); w.Bool(true); w.EndObject()
//
// Strings are escaped by bridge.AppendJSONString, the page's own writer.
type Writer struct {
	b     []byte
	comma bool // a value was just written: the next member or element needs a comma first
}

// NewWriter returns a Writer whose buffer starts with room for size bytes.
func NewWriter(size int) *Writer { return &Writer{b: make([]byte, 0, size)} }

// Bytes returns the text written.
func (w *Writer) Bytes() []byte { return w.b }

// next writes the comma a value or key needs after another.
func (w *Writer) next() {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.comma = true
}

// BeginObject writes '{'.
func (w *Writer) BeginObject() { w.next(); w.b = append(w.b, '{'); w.comma = false }

// EndObject writes '}'.
func (w *Writer) EndObject() { w.b = append(w.b, '}'); w.comma = true }

// BeginArray writes '['.
func (w *Writer) BeginArray() { w.next(); w.b = append(w.b, '['); w.comma = false }

// EndArray writes ']'.
func (w *Writer) EndArray() { w.b = append(w.b, ']'); w.comma = true }

// Key writes a member's key and its colon; its value comes next.
func (w *Writer) Key(k string) {
	w.next()
	w.b = bridge.AppendJSONString(w.b, k)
	w.b = append(w.b, ':')
	w.comma = false
}

// String writes s as a JSON string.
func (w *Writer) String(s string) { w.next(); w.b = bridge.AppendJSONString(w.b, s) }

// Int writes n.
func (w *Writer) Int(n int) { w.next(); w.b = strconv.AppendInt(w.b, int64(n), 10) }

// Float writes f as JavaScript writes a number; f must be finite.
func (w *Writer) Float(f float64) {
	w.next()
	if f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
		w.b = strconv.AppendInt(w.b, int64(f), 10) // a safe integer: JavaScript's digits, without formatting a float
		return
	}
	w.b = append(w.b, bridge.JSNumberString(f)...)
}

// Bool writes true or false.
func (w *Writer) Bool(v bool) { w.next(); w.b = strconv.AppendBool(w.b, v) }

// Strings writes a JSON array of strings.
func (w *Writer) Strings(list []string) {
	w.BeginArray()
	for _, s := range list {
		w.String(s)
	}
	w.EndArray()
}

// Null writes null.
func (w *Writer) Null() { w.next(); w.b = append(w.b, "null"...) }
