package relay

import (
	"encoding/binary"
	"math"
)

// A Step crosses from Go to the Durable Object glue (relay/worker/entry.mjs) as one byte array,
// not an object: each value Go hands to JavaScript costs it a finalizer (docs/relay.md). StepFields
// is that layout's one definition: AppendStep writes it, and internal/gluegen writes the glue's
// reader, stepOf, from it. Fixed fields come first, little-endian; then each variable field as a
// little-endian uint32 length and its bytes.
var StepFields = []StepField{
	{Name: "attempt", Kind: StepUint32, num: func(s Step) float64 { return float64(s.Attempt) }},
	{Name: "alarm", Kind: StepFloat64, num: func(s Step) float64 { return float64(s.Alarm) }},
	{Name: "url", Kind: StepText, str: func(s Step) string { return s.URL }},
	{Name: "auth", Kind: StepText, str: func(s Step) string { return s.Auth }},
	{Name: "answer", Kind: StepBytes, str: func(s Step) string { return s.Answer }},
	{Name: "body", Kind: StepBytes, str: func(s Step) string { return s.Body }},
}

// StepKind is how a field of a Step is written and what the glue reads it as.
type StepKind int

const (
	StepUint32  StepKind = iota // 4 bytes; a number
	StepFloat64                 // 8 bytes; a number
	StepText                    // length and UTF-8; a string ("" when empty)
	StepBytes                   // length and UTF-8; a Uint8Array, as Response and fetch take it
)

// StepField is one field of the layout.
type StepField struct {
	Name string
	Kind StepKind
	num  func(Step) float64
	str  func(Step) string
}

// Fixed reports whether f has a fixed width, and that width.
func (f StepField) Fixed() (int, bool) {
	switch f.Kind {
	case StepUint32:
		return 4, true
	case StepFloat64:
		return 8, true
	}
	return 0, false
}

// StepLen is the length of s in the layout.
func StepLen(s Step) int {
	n := 0
	for _, f := range StepFields {
		if w, ok := f.Fixed(); ok {
			n += w
		} else {
			n += 4 + len(f.str(s))
		}
	}
	return n
}

// AppendStep appends s in the layout of StepFields.
func AppendStep(b []byte, s Step) []byte {
	for _, f := range StepFields {
		switch f.Kind {
		case StepUint32:
			b = binary.LittleEndian.AppendUint32(b, uint32(f.num(s)))
		case StepFloat64:
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f.num(s)))
		default:
			v := f.str(s)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
			b = append(b, v...)
		}
	}
	return b
}
