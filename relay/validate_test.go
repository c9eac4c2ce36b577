package relay

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// TestTimestampsNormalised tests that Heap gets every timestamp in UTC with milliseconds, whatever
// offset and precision the page sent, and that what is not RFC 3339 is refused.
func TestTimestampsNormalised(t *testing.T) {
	tests := []struct{ in, want string }{ // want "" means refused
		{"2025-06-01T11:59:00.123Z", "2025-06-01T11:59:00.123Z"},
		{"2025-06-01T11:59:00Z", "2025-06-01T11:59:00.000Z"},
		{"2025-06-01T14:00:00+02:00", "2025-06-01T12:00:00.000Z"},
		{"2025-06-02T11:58:00+23:59", "2025-06-01T11:59:00.000Z"},
		{"2025-05-31T12:01:00-23:59", "2025-06-01T12:00:00.000Z"},
		{"2025-06-01T11:59:00-00:00", "2025-06-01T11:59:00.000Z"},
		{"2025-06-01T11:59:00.1234567890123Z", "2025-06-01T11:59:00.123Z"},
		{"2025-06-01T11:59:00.9999999999999+00:00", "2025-06-01T11:59:00.999Z"},
		{"2025-06-01T11:59:00.5Z", "2025-06-01T11:59:00.500Z"},
		{"", "2025-06-01T12:00:00.000Z"}, // no timestamp: the relay's clock
		{"2025-06-01T12:00:00+24:00", ""},
		{"2025-06-01T12:00:00+02:60", ""},
		{"2025-06-01T12:00:00,5Z", ""},
		{"2025-06-01T12:00:00.Z", ""},
		{"2025-06-01t12:00:00z", ""},
		{"2025-06-01T12:00:60Z", ""},
		{"2025-02-30T12:00:00Z", ""},
		{"2025-06-01T12:00:00+0200", ""},
		{"2025-06-01 12:00:00Z", ""},
		{" 2025-06-01T12:00:00Z", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			rg := newRig(t, nil)
			fields := []string{"timestamp", jsonString(tt.in)}
			if tt.in == "" {
				fields = nil
			}
			a := answer(t, rg.post(batch(ev("e", fields...))))
			events := rg.heap.Snapshot().Events
			if tt.want == "" {
				if len(a.Refused) != 1 || !strings.HasPrefix(a.Refused[0].Reason, CodeInvalidTimestamp+": ") || len(events) != 0 {
					t.Fatalf("want refused as %s; answer %+v, Heap stored %+v", CodeInvalidTimestamp, a, events)
				}
				return
			}
			if len(a.Accepted) != 1 || len(events) != 1 || events[0].Timestamp != tt.want {
				t.Fatalf("answer %+v, Heap stored %+v; want timestamp %s", a, events, tt.want)
			}
		})
	}
}

// FuzzTimestampForm checks that every timestamp the relay takes reaches Heap as Format would
// write it, the fast path for strings already in Heap's form included.
func FuzzTimestampForm(f *testing.F) {
	for _, s := range []string{"2025-06-01T11:59:00.123Z", "2025-06-01T11:59:00.000Z", "2025-06-01T11:59:00Z",
		"2025-06-01T13:59:00.123+02:00", "2025-06-01T11:59:00.1234Z", "2025-06-01T11:59:00.12Z", "2025-06-01T11:59:00.123z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, why := checkTimestamp(s, testNow)
		if why != "" || s == "" {
			return
		}
		parsed, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("%q was taken but does not parse: %v", s, err)
		}
		if want := parsed.UTC().Format(heapTime); got != want {
			t.Fatalf("%q reached Heap as %q, want %q", s, got, want)
		}
	})
}

// TestPropertiesSorted tests that checked properties come sorted by key, the order Heap's body
// lists them in, with numbers as float64, and that of several unfit keys the first in that order
// is named, every time.
func TestPropertiesSorted(t *testing.T) {
	in := map[string]any{"z": "last", "a": jsontext.Num("1.5"), "m": true, "b": "x", "y": false, "c": jsontext.Num("-2")}
	got, why := checkProperties(in)
	want := []property{{"a", 1.5}, {"b", "x"}, {"c", -2.0}, {"m", true}, {"y", false}, {"z", "last"}}
	if why != "" || !reflect.DeepEqual(got, want) {
		t.Fatalf("checkProperties = %v, %q; want %v", got, why, want)
	}
	for range 20 { // map order changes from run to run; the reason must not
		if _, why := checkProperties(map[string]any{"ok": 1.0, "q": []any{}, "b": []any{}, "x": []any{}}); !strings.HasPrefix(why, `the property "b" `) {
			t.Fatalf("reason %q does not name the first unfit key", why)
		}
	}
}

// TestReasonsAreSentences tests that a refusal's reason is its code and then one plain sentence.
func TestReasonsAreSentences(t *testing.T) {
	for _, tt := range []struct {
		event Event
		want  string
	}{
		{Event{ID: "a", Identity: "u"}, "invalid_name: the event name is empty"},
		{Event{ID: "a", Name: "n"}, "no_identity: the event has no identity, and Heap's server API needs one for every event"},
		{Event{ID: "a", Name: "n", Identity: "guest"}, `invalid_identity: the identity is refused because "guest" is shared by many people and would merge them into one Heap user`},
		{Event{ID: "a", Name: "n", Identity: "u", Properties: map[string]any{"": "x"}}, `invalid_properties: the property name "" is empty`},
		{Event{ID: "a", Name: "n", Identity: "u", Properties: map[string]any{"a.constructor": "x"}}, `invalid_properties: the property name "a.constructor" is refused because "constructor" is reserved`},
		{Event{ID: "a", Name: "n", Identity: "u", Properties: map[string]any{"k": nil}}, `invalid_properties: the property "k" is null, not a string, number or boolean`},
		{Event{ID: "a", Name: "n", Identity: "u", Properties: map[string]any{"k": jsontext.Num("1e400")}}, `invalid_properties: the property "k" is the number "1e400", which is out of range`},
		{Event{ID: "a", Name: "n", Identity: "u", Timestamp: "yesterday"}, `invalid_timestamp: the timestamp "yesterday" is not RFC 3339, like 2024-05-01T12:00:00Z`},
	} {
		_, refused := validate([]Event{tt.event}, testNow)
		if len(refused) != 1 || refused[0].Reason != tt.want {
			t.Errorf("%+v: refused %+v, want %q", tt.event, refused, tt.want)
		}
	}
}

// TestBatchChecksAsEachEventAlone tests that a batch gives every event the outcome it has alone,
// with identities repeated, alternating, invalid and missing next to each other (the identity
// check is carried from one event to the next).
func TestBatchChecksAsEachEventAlone(t *testing.T) {
	identities := []string{"u1", "u1", "guest", "guest", "u1", "u2", "", "u2", "undefined", "u1", "\u200bu1", "\u200bu1", "u1"}
	var batch []Event
	for i, id := range identities {
		batch = append(batch, Event{ID: "e" + strings.Repeat("x", i), Name: "n", Identity: id})
	}
	ok, refused := validate(batch, testNow)
	var want []valid
	wantRefused := []Refusal{}
	for _, e := range batch {
		v, r := validate([]Event{e}, testNow)
		want = append(want, v...)
		wantRefused = append(wantRefused, r...)
	}
	if !reflect.DeepEqual(ok, want) || !reflect.DeepEqual(refused, wantRefused) {
		t.Errorf("batch: %+v, %+v\nalone: %+v, %+v", ok, refused, want, wantRefused)
	}
	if len(ok) == 0 || len(refused) < 4 {
		t.Errorf("the batch should mix valid and refused events: %d valid, %d refused", len(ok), len(refused))
	}
}
