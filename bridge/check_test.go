package bridge

import (
	"math"
	"strings"
	"testing"
)

// TestCheckEventName tests which event names the shared validator refuses.
func TestCheckEventName(t *testing.T) {
	tests := []struct {
		name, in string
		refused  bool
	}{
		{"plain", "Userpilot Flow Completed", false},
		{"at the limit", strings.Repeat("a", MaxEventNameLen), false},
		{"emoji pairs at the limit", strings.Repeat("😀", MaxEventNameLen/2), false},
		{"empty", "", true},
		{"blank", " \t\u200b", true},
		{"one over", strings.Repeat("a", MaxEventNameLen+1), true},
		{"emoji counted as two units", strings.Repeat("😀", MaxEventNameLen/2+1), true},
		{"invalid UTF-8", "bad\xff", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckEventName(tt.in); (got != "") != tt.refused {
				t.Errorf("CheckEventName(%q) = %q, refused want %v", tt.in, got, tt.refused)
			}
		})
	}
}

// TestCheckPropertyKey tests which property names the shared validator refuses.
func TestCheckPropertyKey(t *testing.T) {
	tests := []struct {
		name, in string
		refused  bool
	}{
		{"plain", "flow_id", false},
		{"flattened", "answer.choice", false},
		{"at the limit", strings.Repeat("k", MaxPropertyKeyLen), false},
		{"empty", "", true},
		{"one over", strings.Repeat("k", MaxPropertyKeyLen+1), true},
		{"proto", "__proto__", true},
		{"nested constructor", "a.constructor", true},
		{"prototype segment", "a.prototype.b", true},
		{"reserved only as a whole segment", "my__proto__", false},
		{"invalid UTF-8", "k\xfe", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckPropertyKey(tt.in); (got != "") != tt.refused {
				t.Errorf("CheckPropertyKey(%q) = %q, refused want %v", tt.in, got, tt.refused)
			}
		})
	}
}

// TestCheckPropertyValue tests which decoded JSON values the shared validator refuses.
func TestCheckPropertyValue(t *testing.T) {
	tests := []struct {
		name    string
		in      any
		refused bool
	}{
		{"string", "hello", false},
		{"empty string", "", false},
		{"string at the limit", strings.Repeat("v", MaxPropertyValueLen), false},
		{"string one over", strings.Repeat("v", MaxPropertyValueLen+1), true},
		{"emoji counted as two units", strings.Repeat("😀", MaxPropertyValueLen/2+1), true},
		{"invalid UTF-8", "v\xff", true},
		{"number", 3.5, false},
		{"zero", 0.0, false},
		{"NaN", math.NaN(), true},
		{"infinity", math.Inf(1), true},
		{"minus infinity", math.Inf(-1), true},
		{"true", true, false},
		{"false", false, false},
		{"null", nil, true},
		{"object", map[string]any{"a": 1.0}, true},
		{"array", []any{"a"}, true},
		{"int is not what JSON decodes", 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckPropertyValue(tt.in); (got != "") != tt.refused {
				t.Errorf("CheckPropertyValue(%v) = %q, refused want %v", tt.in, got, tt.refused)
			}
		})
	}
}
