package bridge

import (
	"strings"
	"testing"
)

// TestNearestName tests the suggestion for mistyped setting names and values: case and separators,
// typos within a third of the name, adjacent swaps, and nothing for names that are far from all.
func TestNearestName(t *testing.T) {
	keys := settingNames()
	cases := []struct{ got, want string }{
		{"wasmURL", "wasmUrl"},
		{"wasm_url", "wasmUrl"},
		{"WORKER-URL", "workerUrl"},
		{"relayURL", "relayUrl"},
		{"releyUrl", "relayUrl"},
		{"userProperty", "userProperties"},
		{"extraEvent", "extraEvents"},
		{"consnet", "consent"},
		{"debgu", "debug"},
		{"treahd", "thread"},
		{"relayAftr", "relayAfter"},
		{"colour", ""},
		{"x", ""},
		{"", ""},
		{"__proto__", ""},
		{"constructor", ""},
		{"debugMode", ""},
		{strings.Repeat("wasmUrl", 20), ""},
	}
	for _, c := range cases {
		if got := nearestName(c.got, keys); got != c.want {
			t.Errorf("nearestName(%q) = %q, want %q", c.got, got, c.want)
		}
	}
	for _, k := range keys {
		if got := nearestName(k, keys); got != k {
			t.Errorf("nearestName(%q) = %q, want itself", k, got)
		}
	}
	values := []struct {
		got   string
		known []string
		want  string
	}{
		{"workers", threadModes, "worker"},
		{"Main", threadModes, "main"},
		{"first_event", loadModes, "first-event"},
		{"firstEvent", loadModes, "first-event"},
		{"grant", ConsentStates, "granted"},
		{"denyed", ConsentStates, "denied"},
		{"maybe", ConsentStates, ""},
		{"lazy", loadModes, ""},
		{"alow", []string{"allow", "deny"}, "allow"},
		{"only", []string{"allow", "deny"}, ""},
	}
	for _, c := range values {
		if got := nearestName(c.got, c.known); got != c.want {
			t.Errorf("nearestName(%q, %v) = %q, want %q", c.got, c.known, got, c.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"abc", "abc", 0}, {"abc", "acb", 1},
		{"kitten", "sitting", 3}, {"ça", "ca", 1}, {"ab", "ba", 1}, {"abcd", "badc", 2},
	} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
		if got := editDistance(c.b, c.a); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d (symmetric)", c.b, c.a, got, c.d)
		}
	}
}

// TestSettingsSuggestNearestName tests the console messages: an unknown key, an unknown key inside
// an object setting and an unknown choice each name the nearest known name when one is near, and
// say nothing more when none is.
func TestSettingsSuggestNearestName(t *testing.T) {
	cases := []struct {
		settings Value
		want     string
	}{
		{Obj("wasmURL", Str("/m.wasm")), `unknown setting "wasmURL" ignored (did you mean "wasmUrl"?); allowed settings are `},
		{Obj("relay_url", Str("/r")), `unknown setting "relay_url" ignored (did you mean "relayUrl"?); allowed settings are `},
		{Obj("colour", Str("red")), `unknown setting "colour" ignored; allowed settings are `},
		{Obj("events", Obj("alow", names("x"))), `unknown key "alow" in setting "events" ignored (did you mean "allow"?); allowed keys are allow, deny`},
		{Obj("properties", Obj("masks", names("x"))), `unknown key "masks" in setting "properties" ignored (did you mean "mask"?); allowed keys are drop, mask`},
		{Obj("thread", Str("workers")), `setting "thread" is "workers" (did you mean "worker"?); expected one of "auto", "worker", "main", using "auto"`},
		{Obj("load", Str("lazy")), `setting "load" is "lazy"; expected one of "eager", "idle", "first-event", using "eager"`},
	}
	for _, c := range cases {
		_, problems := ParseSettings(c.settings)
		if len(problems) != 1 || !strings.HasPrefix(problems[0], c.want) {
			t.Errorf("got %q, want one message starting %q", problems, c.want)
		}
	}
	s, _ := ParseSettings(Obj("wasmURL", Str("/m.wasm")))
	if s.WasmURL != "" {
		t.Errorf("a suggested name is not applied: %+v", s)
	}
}
