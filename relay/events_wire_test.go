package relay

import (
	"strconv"
	"strings"
	"testing"
)

// TestStrictKeys tests that a key not spelled exactly as the contract has it, or given twice in
// one object at any level, is refused with 400 naming it, and nothing reaches Heap.
func TestStrictKeys(t *testing.T) {
	tests := []struct{ name, body, mention string }{
		{"upper-case events", `{"EVENTS":[` + ev("a") + `]}`, `"EVENTS"`},
		{"upper-case event fields", `{"events":[{"ID":"a","NAME":"n","IDENTITY":"user-42"}]}`, `"ID"`},
		{"one field in other case", batch(strings.Replace(ev("a"), `"identity"`, `"Identity"`, 1)), `"Identity"`},
		{"Kelvin sign for k", `{"events":[{"id":"a","name":"n","identity":"u","timestamp":"2025-06-01T12:00:00Z","properties":{}}],"\u212aey":1}`, "unknown field"},
		{"events twice", `{"events":[` + ev("a") + `],"events":[` + ev("b") + `]}`, `duplicate key "events"`},
		{"events and EvEnTs", `{"events":[` + ev("a") + `],"EvEnTs":[` + ev("b") + `]}`, `"EvEnTs"`},
		{"identity twice", batch(`{"id":"a","name":"n","identity":"guest","identity":"user-42"}`), `events[0]: duplicate key "identity"`},
		{"id twice in the second event", batch(ev("a"), `{"id":"b","id":"c","name":"n","identity":"u"}`), `events[1]: duplicate key "id"`},
		{"property twice", batch(ev("a", "properties", `{"plan":"free","plan":"pro"}`)), `events[0].properties: duplicate key "plan"`},
		{"nested key twice", batch(ev("a", "properties", `{"o":{"k":1,"k":2}}`)), `events[0].properties.o: duplicate key "k"`},
		{"key twice inside an array", batch(ev("a", "properties", `{"l":[{"k":1,"k":2}]}`)), `events[0].properties.l[0]: duplicate key "k"`},
		{"duplicate spelled with escapes", batch(`{"id":"a","\u0069d":"b","name":"n","identity":"u"}`), `duplicate key "id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkBadBody(t, tt.body, tt.mention) })
	}
}

// TestStrictKeysAllowOtherwise tests that properties keys differing only in case are two
// properties, and that the same key in different objects is no duplicate.
func TestStrictKeysAllowOtherwise(t *testing.T) {
	rg := newRig(t, nil)
	a := answer(t, rg.post(batch(ev("a", "properties", `{"plan":"free","Plan":"pro","PLAN":"x"}`), ev("b"))))
	if len(a.Accepted) != 2 {
		t.Fatalf("answer %+v", a)
	}
	if props := rg.heap.Snapshot().Events[0].Properties; len(props) != 3 {
		t.Errorf("Heap got properties %v, want 3", props)
	}
}

// BenchmarkDecodeEvents measures DecodeEvents on a page's batch of 10 events and on a batch of 1,000.
func BenchmarkDecodeEvents(b *testing.B) {
	for _, n := range []int{10, MaxBatchEvents} {
		events := make([]string, n)
		for i := range events {
			events[i] = ev("e"+strings.Repeat("x", i%7), "properties", `{"flow_id":"f1","step":3,"done":true,"label":"intro"}`, "timestamp", `"2025-06-01T11:59:00.123Z"`)
		}
		body := []byte(batch(events...))
		b.Run(strconv.Itoa(n)+" events", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := DecodeEvents(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
