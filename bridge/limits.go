package bridge

import "unicode/utf8"

// Heap's web limits (docs/sdk-facts.md#heap-web-limits), in UTF-16 code units as JavaScript counts length.
const (
	MaxEventNameLen     = 255  // event name: at most 255
	MaxPropertyKeyLen   = 511  // property names: under 512
	MaxPropertyValueLen = 1023 // string values: under 1024
	MaxIdentityLen      = 255  // identify(): at most 255
	MaxUserPropertyLen  = 255  // addUserProperties values: at most 255
	MaxProperties       = 100  // properties per event, our own cap (Heap documents none)
)

// UTF16Len returns the length of s as JavaScript's String.prototype.length would report it.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// CutUTF16 shortens s to at most max UTF-16 code units on a character boundary, so a surrogate
// pair is never split. It reports whether anything was cut.
func CutUTF16(s string, max int) (string, bool) {
	if len(s) <= max { // each UTF-16 unit needs at least one UTF-8 byte
		return s, false
	}
	n := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > max {
			return s[:i], true
		}
		n += w
	}
	return s, false
}

// validUTF8 replaces invalid bytes so every string handed to JavaScript is well-formed.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}
