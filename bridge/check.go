package bridge

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// These validators are shared by the page and the edge relay, so both refuse the same input.
// Each returns "" when the input is fine, or a short reason.

// CheckEventName returns why name cannot be sent to Heap as an event name, or "".
func CheckEventName(name string) string {
	switch {
	case strings.TrimFunc(name, isBlank) == "":
		return "it is empty"
	case !utf8.ValidString(name):
		return "it is not valid UTF-8"
	case UTF16Len(name) > MaxEventNameLen:
		return "it is longer than " + strconv.Itoa(MaxEventNameLen) + " characters"
	}
	return ""
}

// CheckPropertyKey returns why key cannot be a Heap property name, or "".
func CheckPropertyKey(key string) string {
	_, why := propertyKeyProblem(key)
	return why
}

// propertyKeyProblem returns the property drop reason and its text for a key Heap cannot take,
// or "", "". The page's PropertySet and the relay's validation both use it.
func propertyKeyProblem(key string) (reason, why string) {
	switch {
	case key == "":
		return PropEmptyKey, "it is empty"
	case !utf8.ValidString(key):
		return PropUnsupported, "it is not valid UTF-8"
	}
	for rest := key; ; {
		seg, after, more := strings.Cut(rest, ".")
		if reservedKeys[seg] {
			return PropReservedKey, quote(seg) + " is reserved" // it would touch a JavaScript object's prototype
		}
		if !more {
			break
		}
		rest = after
	}
	if UTF16Len(key) > MaxPropertyKeyLen {
		return PropKeyTooLong, "it is longer than " + strconv.Itoa(MaxPropertyKeyLen) + " characters"
	}
	return "", ""
}

// CheckPropertyValue returns why v (a string, float64 or bool, as decoded from JSON) cannot be a
// Heap property value, or "".
func CheckPropertyValue(v any) string {
	switch v := v.(type) {
	case string:
		if !utf8.ValidString(v) {
			return "it is not valid UTF-8"
		}
		if UTF16Len(v) > MaxPropertyValueLen {
			return "it is longer than " + strconv.Itoa(MaxPropertyValueLen) + " characters"
		}
	case float64:
		if !isFinite(v) {
			return "it is " + JSNumberString(v)
		}
	case bool:
	case nil:
		return "it is null, not a string, number or boolean"
	default:
		return "it is not a string, number or boolean"
	}
	return ""
}
