package bridge

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestNormaliseOnEvent tests the docs/contract.md §4 mapping and the drop rules for bad payloads.
func TestNormaliseOnEvent(t *testing.T) {
	cases := []struct {
		name       string
		event      string
		payload    Value
		wantName   string
		wantProps  []Property
		wantReason string
	}{
		{"started", "started", Obj("id", Num(7), "token", Str("tok7")), "Userpilot Experience (started)",
			[]Property{{"experience_id", 7.0}, {"experience_token", "tok7"}}, ""},
		{"step", "step", Obj("id", Num(7), "token", Str("tok7"), "step", Num(1), "totalSteps", Num(3)), "Userpilot Experience (step)",
			[]Property{{"experience_id", 7.0}, {"experience_token", "tok7"}, {"step", 1.0}, {"total_steps", 3.0}}, ""},
		{"completed", "completed", Obj("token", Str("t"), "id", Num(1)), "Userpilot Experience (completed)",
			[]Property{{"experience_id", 1.0}, {"experience_token", "t"}}, ""},
		{"dismissed", "dismissed", Obj("id", Num(1)), "Userpilot Experience (dismissed)", []Property{{"experience_id", 1.0}}, ""},
		{"string id kept as string", "started", Obj("id", Str("abc")), "Userpilot Experience (started)", []Property{{"experience_id", "abc"}}, ""},
		{"extra fields kept and flattened", "started", Obj("id", Num(1), "meta", Obj("a", Str("b"))), "Userpilot Experience (started)",
			[]Property{{"experience_id", 1.0}, {"meta.a", "b"}}, ""},
		{"payload user id cannot spoof ours", "started", Obj("id", Num(1), "__proto__", Obj("x", Num(1))), "Userpilot Experience (started)",
			[]Property{{"experience_id", 1.0}}, ""},
		{"undefined payload", "started", Undefined(), "", nil, DropInvalidPayload},
		{"number payload", "started", Num(5), "", nil, DropInvalidPayload},
		{"array payload", "started", Arr(), "", nil, DropInvalidPayload},
		{"missing id", "started", Obj("token", Str("t")), "", nil, DropInvalidID},
		{"object id", "started", Obj("id", Obj()), "", nil, DropInvalidID},
		{"NaN id", "started", Obj("id", Num(math.NaN())), "", nil, DropInvalidID},
		{"empty id", "started", Obj("id", Str("")), "", nil, DropInvalidID},
		{"unreadable id", "started", Obj("id", Value{Kind: KindUnreadable, Str: "getter threw"}), "", nil, DropInvalidID},
		{"unknown event", "flown", Obj("id", Num(1)), "", nil, DropUnknownEvent},
	}
	for _, c := range cases {
		ev, reason, why := NormaliseOnEvent(c.event, c.payload, nil)
		if reason != c.wantReason {
			t.Errorf("%s: reason %q (%s), want %q", c.name, reason, why, c.wantReason)
			continue
		}
		if reason != "" {
			if why == "" {
				t.Errorf("%s: dropped without a message", c.name)
			}
			continue
		}
		if ev.Name != c.wantName || !reflect.DeepEqual(ev.Properties.Properties(), c.wantProps) {
			t.Errorf("%s: got %q %#v, want %q %#v", c.name, ev.Name, ev.Properties.Properties(), c.wantName, c.wantProps)
		}
	}
}

// TestMessagesDoNotEchoPayloads tests that drop messages describe values without copying them.
func TestMessagesDoNotEchoPayloads(t *testing.T) {
	secret := strings.Repeat("s", 5000)
	_, _, why := NormaliseOnEvent("started", Obj("id", Str(""), "token", Str(secret)), nil)
	if strings.Contains(why, "sss") || len(why) > 200 {
		t.Errorf("message echoes payload: %q", why)
	}
}
