package bridge

import (
	"reflect"
	"testing"
)

// TestInterfaceTrackGroups tests the canonical name and properties of every event group that
// Userpilot's Heap integration sends through the bridge's interface.
func TestInterfaceTrackGroups(t *testing.T) {
	cases := []struct {
		name, in  string
		payload   Value
		wantName  string
		wantGroup string
		wantProps []Property
	}{
		{"experience started", "Userpilot Experience (started)", Obj("flow_id", Num(7), "token", Str("tok7"), "experience_name", Str("Tour")),
			"Userpilot Experience (started)", GroupExperience, []Property{{"experience_id", 7.0}, {"experience_token", "tok7"}, {"experience_name", "Tour"}}},
		{"experience step", "Userpilot Experience (step)", Obj("id", Num(7), "step", Num(2), "totalSteps", Num(3)),
			"Userpilot Experience (step)", GroupExperience, []Property{{"experience_id", 7.0}, {"step", 2.0}, {"total_steps", 3.0}}},
		{"checklist task", "Userpilot Checklist (task completed)", Obj("checklistId", Str("c1"), "taskId", Str("t2"), "taskTitle", Str("Invite a teammate")),
			"Userpilot Checklist (task completed)", GroupChecklist, []Property{{"checklist_id", "c1"}, {"task_id", "t2"}, {"task_title", "Invite a teammate"}}},
		{"checklist completed", "Userpilot Checklist (completed)", Obj("id", Num(4), "checklist_title", Str("Onboarding")),
			"Userpilot Checklist (completed)", GroupChecklist, []Property{{"checklist_id", 4.0}, {"checklist_title", "Onboarding"}}},
		{"nps score as text becomes a number", "Userpilot NPS (score)", Obj("id", Num(9), "score", Str("8")),
			"Userpilot NPS (score)", GroupNPS, []Property{{"nps_id", 9.0}, {"score", 8.0}}},
		{"nps feedback", "Userpilot NPS (feedback)", Obj("id", Num(9), "feedback", Str("Great")),
			"Userpilot NPS (feedback)", GroupNPS, []Property{{"nps_id", 9.0}, {"feedback", "Great"}}},
		{"nps ask later", "Userpilot NPS (ask later)", Obj("id", Num(9)), "Userpilot NPS (ask later)", GroupNPS, []Property{{"nps_id", 9.0}}},
		{"form submission by loose name", "Form Submissions", Obj("form_id", Str("f1"), "answers", Arr(Obj("question_id", Str("q1"), "answer", Str("yes")), Obj("questionId", Str("q2"), "value", Arr(Str("a"), Str("b"))))),
			"Userpilot Form (submitted)", GroupForm, []Property{{"form_id", "f1"}, {"answer.q1", "yes"}, {"answer.q2", "a||b"}, {"question_ids", "q1||q2"}}},
		{"survey with answers as an object", "Userpilot Survey (submitted)", Obj("surveyId", Num(3), "responses", Obj("q1", Num(5), "__proto__", Str("x"))),
			"Userpilot Survey (submitted)", GroupSurvey, []Property{{"survey_id", 3.0}, {"answer.q1", 5.0}, {"question_ids", "q1"}}},
		{"anything else keeps its name", "Userpilot Resource Center (opened)", Obj("id", Num(1), "nested", Obj("a", Bool(true))),
			"Userpilot Resource Center (opened)", GroupOther, []Property{{"id", 1.0}, {"nested.a", true}}},
		{"no properties at all", "Userpilot Checklist (dismissed)", Undefined(), "Userpilot Checklist (dismissed)", GroupChecklist, nil},
	}
	for _, c := range cases {
		ev, reason, why := NormaliseInterfaceTrack(Str(c.in), c.payload)
		if reason != "" {
			t.Errorf("%s: dropped %s (%s)", c.name, reason, why)
			continue
		}
		if ev.Name != c.wantName || ev.Group != c.wantGroup || !reflect.DeepEqual(ev.Properties.Properties(), c.wantProps) {
			t.Errorf("%s: got %q %s %#v", c.name, ev.Name, ev.Group, ev.Properties.Properties())
		}
	}
}

// TestNPSScoreRules tests that only whole numbers 0..10 are kept as the score.
func TestNPSScoreRules(t *testing.T) {
	for _, bad := range []Value{Num(11), Num(-1), Num(7.5), Str("ten"), Str("100"), Bool(true), Obj()} {
		ev, _, _ := NormaliseInterfaceTrack(Str("Userpilot NPS (score)"), Obj("score", bad))
		if len(ev.Properties.Properties()) != 0 || ev.Properties.Drops[PropInvalidScore] != 1 {
			t.Errorf("score %#v: props %#v drops %v", bad, ev.Properties.Properties(), ev.Properties.Drops)
		}
	}
	for _, good := range []Value{Num(0), Num(10), Str(" 7 ")} {
		ev, _, _ := NormaliseInterfaceTrack(Str("Userpilot NPS (score)"), Obj("score", good))
		if len(ev.Properties.Properties()) != 1 {
			t.Errorf("score %#v dropped", good)
		}
	}
}

// TestInterfaceBadCalls tests that a bad name or properties drop the call with a reason.
func TestInterfaceBadCalls(t *testing.T) {
	cases := []struct {
		name, props Value
		want        string
	}{
		{Undefined(), Obj(), DropInvalidName},
		{Str("  "), Obj(), DropInvalidName},
		{Num(5), Obj(), DropInvalidName},
		{Str("Userpilot NPS (score)"), Str("8"), DropInvalidPayload},
		{Str("Userpilot NPS (score)"), Arr(), DropInvalidPayload},
	}
	for _, c := range cases {
		if _, reason, why := NormaliseInterfaceTrack(c.name, c.props); reason != c.want || why == "" {
			t.Errorf("%#v %#v: reason %q %q, want %q", c.name, c.props, reason, why, c.want)
		}
	}
}

func iface(method string, at float64, args ...Value) Input {
	return Input{Kind: InputInterface, Name: method, Args: args, At: at}
}

func onAt(name string, payload Value, task int, at float64) Input {
	return Input{Kind: InputEvent, Name: name, Args: []Value{payload}, Task: task, At: at}
}

// TestExactlyOnceAcrossRoads tests that one occurrence by both roads is one track call, while
// completed then dismissed, and real repeats, are separate events.
func TestExactlyOnceAcrossRoads(t *testing.T) {
	started := Obj("id", Num(7), "token", Str("tok7"))
	ifaceStarted := func(at float64) Input {
		return iface("track", at, Str("Userpilot Experience (started)"), Obj("experience_id", Num(7)))
	}
	cases := []struct {
		name                   string
		inputs                 []Input
		wantForwarded, wantDup int
	}{
		{"on then interface", []Input{onAt("started", started, 1, 0), ifaceStarted(5)}, 1, 1},
		{"interface then on", []Input{ifaceStarted(0), onAt("started", started, 2, 40)}, 1, 1},
		{"interface without an id still matches", []Input{onAt("started", started, 1, 0), iface("track", 10, Str("Userpilot Experience (started)"))}, 1, 1},
		{"other experience does not match", []Input{onAt("started", started, 1, 0), iface("track", 10, Str("Userpilot Experience (started)"), Obj("id", Num(8)))}, 2, 0},
		{"completed then dismissed both arrive", []Input{onAt("completed", started, 1, 0), onAt("dismissed", started, 1, 0),
			iface("track", 5, Str("Userpilot Experience (completed)"), Obj("id", Num(7))), iface("track", 5, Str("Userpilot Experience (dismissed)"), Obj("id", Num(7)))}, 2, 2},
		{"a real restart later counts again", []Input{onAt("started", started, 1, 0), ifaceStarted(5), onAt("started", started, 3, 60000), ifaceStarted(60005)}, 2, 2},
		{"two starts in a row by both roads", []Input{onAt("started", started, 1, 0), ifaceStarted(1), onAt("started", started, 2, 500), ifaceStarted(501)}, 2, 2},
		{"one road never dedupes by time", []Input{ifaceStarted(0), ifaceStarted(100)}, 2, 0},
		{"outside the window both count", []Input{onAt("started", started, 1, 0), ifaceStarted(DedupeWindowMs + 1)}, 2, 0},
	}
	for _, c := range cases {
		b := New(Settings{})
		r := &recorder{}
		for _, in := range c.inputs {
			b.Receive(in)
			b.Flush(r.deliver)
		}
		s := b.Stats()
		if s.Forwarded != c.wantForwarded || s.Duplicates != c.wantDup || s.Received != len(c.inputs) {
			t.Errorf("%s: forwarded %d dup %d received %d; calls %q", c.name, s.Forwarded, s.Duplicates, s.Received, r.calls)
		}
	}
}

// TestInterfaceIdentityAndOtherMethods tests identify, resetIdentity, addUserProperties and the
// methods the bridge does not forward.
func TestInterfaceIdentityAndOtherMethods(t *testing.T) {
	got, s := run(t,
		iface("identify", 0, Str("alice")),
		iface("addUserProperties", 0, Obj("plan", Str("pro"), "id", Str("x"), "admin", Bool(true), "bio", Str(string(make([]byte, 300))))),
		iface("track", 0, Str("Userpilot Checklist (started)"), Obj("id", Num(1))),
		iface("addEventProperties", 0, Obj("a", Num(1))),
		iface("resetIdentity", 0),
		iface("identify", 0, Str("guest")),
	)
	want := []string{
		"identify alice",
		"addUserProperties",
		"track Userpilot Checklist (started) {checklist_id=1,userpilot_user_id=alice}",
		"resetIdentity",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
	if s.InterfaceIgnored["addEventProperties"] != 1 || s.IdentityRejected != 1 || s.PropertyDrops[PropReservedKey] != 1 {
		t.Errorf("stats %+v", s)
	}
	props := UserProperties(Obj("plan", Str("pro"), "id", Str("x"), "admin", Bool(true), "bio", Str(string(make([]byte, 300)))), nil)
	p := props.Properties()
	if len(p) != 3 || p[1].Value != "true" || UTF16Len(p[2].Value.(string)) != MaxUserPropertyLen {
		t.Errorf("user properties %#v", p)
	}
}

// TestExtraEvents tests that listed undocumented `on` events are forwarded under their own name.
func TestExtraEvents(t *testing.T) {
	s, problems := ParseSettings(Obj("extraEvents", Arr(Str("checklist_completed"), Num(3), Str("started"))))
	if len(problems) != 1 || !reflect.DeepEqual(s.ExtraEvents, []string{"checklist_completed"}) {
		t.Fatalf("settings %+v problems %q", s, problems)
	}
	b := New(s)
	r := &recorder{}
	b.Receive(ev("checklist_completed", Obj("checklistId", Num(2))))
	b.Receive(ev("spotlight_seen", Obj("id", Num(2))))
	b.Flush(r.deliver)
	st := b.Stats()
	if !reflect.DeepEqual(r.calls, []string{"track Userpilot Event (checklist_completed) {checklistId=2}"}) || st.DropReasons[DropUnknownEvent] != 1 {
		t.Errorf("calls %q stats %+v", r.calls, st)
	}
	if st.Events["Userpilot Event (checklist_completed)"] != 1 {
		t.Errorf("events %v", st.Events)
	}
}

// TestSplitUserpilotName tests the "Userpilot <Entity> (<action>)" parser.
func TestSplitUserpilotName(t *testing.T) {
	cases := []struct {
		in, entity, action string
		ok                 bool
	}{
		{"Userpilot Experience (started)", "Experience", "started", true},
		{"Userpilot Checklist (task completed)", "Checklist", "task completed", true},
		{"Userpilot Resource Center (opened)", "Resource Center", "opened", true},
		{"Userpilot NPS ()", "", "", false},
		{"Userpilot  (x)", "", "", false},
		{"Userpilot X1 (a)", "", "", false},
		{"Userpilot X (a(b))", "", "", false},
		{"Form Submissions", "", "", false},
		{"Userpilot Experience started", "", "", false},
	}
	for _, c := range cases {
		e, a, ok := splitUserpilotName(c.in)
		if ok != c.ok || (ok && (e != c.entity || a != c.action)) {
			t.Errorf("%q: %q %q %v", c.in, e, a, ok)
		}
	}
}
