package bridge

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// recorder is a fake window.heap that records calls, and can be absent or throw.
type recorder struct {
	calls  []string
	absent bool
	throws bool
}

func (r *recorder) deliver(c Call) error {
	if r.absent {
		return ErrHeapNotReady
	}
	if r.throws {
		return fmt.Errorf("boom")
	}
	r.calls = append(r.calls, render(c))
	return nil
}

func render(c Call) string {
	switch c.Method {
	case MethodTrack:
		var parts []string
		for _, p := range c.Properties {
			parts = append(parts, fmt.Sprintf("%s=%v", p.Key, p.Value))
		}
		return "track " + c.Event + " {" + strings.Join(parts, ",") + "}"
	case MethodIdentify:
		return "identify " + c.Identity
	}
	return c.Method
}

var task = 0

func ev(name string, payload Value) Input {
	task++
	return Input{Kind: InputEvent, Name: name, Args: []Value{payload}, Task: task}
}

func identify(id Value) Input { return Input{Kind: InputIdentify, Args: []Value{id}} }

func run(t *testing.T, inputs ...Input) ([]string, Stats) {
	t.Helper()
	b := New(Settings{})
	r := &recorder{}
	for _, in := range inputs {
		b.Receive(in)
		b.Flush(r.deliver)
	}
	return r.calls, b.Stats()
}

var flow = Obj("id", Num(7), "token", Str("tok7"))

// TestIdentitySequences tests the exact Heap calls for identify, switch, anonymous, clean and guard.
func TestIdentitySequences(t *testing.T) {
	cases := []struct {
		name   string
		inputs []Input
		want   []string
	}{
		{"identify then events", []Input{identify(Str("alice")), ev("started", flow), ev("completed", flow)}, []string{
			"identify alice",
			"track Userpilot Experience (started) {experience_id=7,experience_token=tok7,userpilot_user_id=alice}",
			"track Userpilot Experience (completed) {experience_id=7,experience_token=tok7,userpilot_user_id=alice}",
		}},
		{"identify is lazy and repeated identify is quiet", []Input{identify(Str("alice")), identify(Str("alice")), ev("started", flow), identify(Str("alice")), ev("dismissed", flow)}, []string{
			"identify alice",
			"track Userpilot Experience (started) {experience_id=7,experience_token=tok7,userpilot_user_id=alice}",
			"track Userpilot Experience (dismissed) {experience_id=7,experience_token=tok7,userpilot_user_id=alice}",
		}},
		{"switch users", []Input{identify(Str("alice")), ev("started", flow), identify(Str("bob")), ev("started", flow)}, []string{
			"identify alice",
			"track Userpilot Experience (started) {experience_id=7,experience_token=tok7,userpilot_user_id=alice}",
			"identify bob",
			"track Userpilot Experience (started) {experience_id=7,experience_token=tok7,userpilot_user_id=bob}",
		}},
		{"anonymous resets once", []Input{identify(Num(42)), ev("started", flow), {Kind: InputAnonymous}, {Kind: InputClean}, ev("completed", flow)}, []string{
			"identify 42",
			"track Userpilot Experience (started) {experience_id=7,experience_token=tok7,userpilot_user_id=42}",
			"resetIdentity",
			"track Userpilot Experience (completed) {experience_id=7,experience_token=tok7}",
		}},
		{"clean before any event does not reset", []Input{identify(Str("alice")), {Kind: InputClean}, ev("started", flow)}, []string{
			"track Userpilot Experience (started) {experience_id=7,experience_token=tok7}",
		}},
		{"risky id after a real one resets and is never sent", []Input{identify(Str("alice")), ev("started", flow), identify(Str("guest")), ev("completed", flow)}, []string{
			"identify alice",
			"track Userpilot Experience (started) {experience_id=7,experience_token=tok7,userpilot_user_id=alice}",
			"resetIdentity",
			"track Userpilot Experience (completed) {experience_id=7,experience_token=tok7}",
		}},
		{"restore does not override a live identify", []Input{identify(Str("bob")), {Kind: InputRestore, Args: []Value{Str("alice")}}, ev("started", flow)}, []string{
			"identify bob",
			"track Userpilot Experience (started) {experience_id=7,experience_token=tok7,userpilot_user_id=bob}",
		}},
	}
	for _, c := range cases {
		got, _ := run(t, c.inputs...)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// TestExactlyOnce tests that one occurrence delivered twice counts once, while real repeats count.
func TestExactlyOnce(t *testing.T) {
	same := Input{Kind: InputEvent, Name: "started", Args: []Value{flow}, Ref: 5, Task: 900}
	sameTaskOtherObject := Input{Kind: InputEvent, Name: "started", Args: []Value{flow}, Ref: 6, Task: 900}
	laterStart := Input{Kind: InputEvent, Name: "started", Args: []Value{flow}, Ref: 7, Task: 901}
	completed := Input{Kind: InputEvent, Name: "completed", Args: []Value{flow}, Ref: 8, Task: 902}
	dismissed := Input{Kind: InputEvent, Name: "dismissed", Args: []Value{flow}, Ref: 9, Task: 902}
	got, s := run(t, same, same, sameTaskOtherObject, laterStart, completed, dismissed)
	if len(got) != 4 || s.Duplicates != 2 || s.Forwarded != 4 || s.Received != 6 {
		t.Errorf("calls %q, stats %+v", got, s)
	}
}

// TestHeldUntilHeapArrives tests that calls wait in order for window.heap and are counted.
func TestHeldUntilHeapArrives(t *testing.T) {
	b := New(Settings{})
	r := &recorder{absent: true}
	for _, in := range []Input{identify(Str("alice")), ev("started", flow), ev("completed", flow)} {
		b.Receive(in)
		b.Flush(r.deliver)
	}
	if s := b.Stats(); s.Pending != 2 || s.Forwarded != 0 || len(r.calls) != 0 {
		t.Fatalf("while absent: stats %+v calls %q", s, r.calls)
	}
	r.absent = false
	b.Flush(r.deliver)
	if s := b.Stats(); s.Pending != 0 || s.Forwarded != 2 || s.Identifies != 1 || len(r.calls) != 3 || r.calls[0] != "identify alice" {
		t.Fatalf("after arrival: stats %+v calls %q", s, r.calls)
	}
}

// TestHoldIsBounded tests that past MaxPending events drop with a reason instead of growing.
func TestHoldIsBounded(t *testing.T) {
	b := New(Settings{})
	r := &recorder{absent: true}
	for i := 0; i < MaxPending+5; i++ {
		b.Receive(ev("started", Obj("id", Num(float64(i)))))
		b.Flush(r.deliver)
	}
	s := b.Stats()
	if s.Pending != MaxPending || s.DropReasons[DropHeapUnavailable] != 5 || s.Received != MaxPending+5 {
		t.Errorf("stats %+v", s)
	}
}

// TestHeapErrorsCounted tests that a throwing heap.track is a counted drop, not a crash.
func TestHeapErrorsCounted(t *testing.T) {
	b := New(Settings{})
	b.Receive(ev("started", flow))
	b.Flush((&recorder{throws: true}).deliver)
	if s := b.Stats(); s.Dropped != 1 || s.DropReasons[DropHeapError] != 1 || s.Pending != 0 {
		t.Errorf("stats %+v", s)
	}
	msgs := b.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "heap.track threw: boom") {
		t.Errorf("messages %+v", msgs)
	}
}

// TestMessagesOncePerReason tests that repeated bad input gives one console line, all counted.
func TestMessagesOncePerReason(t *testing.T) {
	b := New(Settings{})
	for i := 0; i < 50; i++ {
		b.Receive(ev("started", Num(1)))
	}
	if n := len(b.Messages()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
	if s := b.Stats(); s.DropReasons[DropInvalidPayload] != 50 || s.Received != 50 {
		t.Errorf("stats %+v", s)
	}
}

// TestSettings tests validation of the settings object.
func TestSettings(t *testing.T) {
	s, problems := ParseSettings(Obj("debug", Bool(true), "wasmUrl", Str("/x.wasm"), "colour", Str("red"), "debug", Str("yes")))
	if !s.Debug || s.WasmURL != "/x.wasm" {
		t.Errorf("settings %+v", s)
	}
	if len(problems) != 2 || !strings.Contains(problems[0], `"colour"`) || !strings.Contains(problems[1], `"debug"`) {
		t.Errorf("problems %q", problems)
	}
	if _, p := ParseSettings(Str("x")); len(p) != 1 {
		t.Errorf("non-object settings: %q", p)
	}
	if s, p := ParseSettings(Undefined()); len(p) != 0 || s.Debug || s.WasmURL != "" || s.ExtraEvents != nil {
		t.Errorf("absent settings: %+v %q", s, p)
	}
}
