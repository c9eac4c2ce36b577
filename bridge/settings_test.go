package bridge

import (
	"reflect"
	"strings"
	"testing"
)

func names(items ...string) Value {
	v := Arr()
	for _, s := range items {
		v.Items = append(v.Items, Str(s))
	}
	return v
}

// TestEverySettingValidAndInvalid tests each setting with a good value and a bad one: the bad
// one yields exactly one message naming it, and the default stays.
func TestEverySettingValidAndInvalid(t *testing.T) {
	cases := []struct {
		key       string
		good, bad Value
		check     func(Settings) bool
		badNames  string
	}{
		{"wasmUrl", Str("/m.wasm"), Num(1), func(s Settings) bool { return s.WasmURL == "/m.wasm" }, `"wasmUrl"`},
		{"debug", Bool(true), Str("yes"), func(s Settings) bool { return s.Debug }, `"debug"`},
		{"record", Bool(true), Num(1), func(s Settings) bool { return s.Record }, `"record"`},
		{"extraEvents", names("x"), names(""), func(s Settings) bool { return reflect.DeepEqual(s.ExtraEvents, []string{"x"}) }, `"extraEvents"`},
		{"events", Obj("allow", names("Userpilot *"), "deny", names("* (step)")), Obj("only", names("x")),
			func(s Settings) bool { return len(s.Allow) == 1 && len(s.Deny) == 1 }, `"only"`},
		{"rename", Obj("Userpilot Experience (started)", Str("Tour started")), Obj("a", Num(2)),
			func(s Settings) bool { return s.Rename["Userpilot Experience (started)"] == "Tour started" }, `"rename"`},
		{"properties", Obj("drop", names("meta"), "mask", names("email")), Obj("drop", Str("meta")),
			func(s Settings) bool { return len(s.DropProperties) == 1 && len(s.MaskProperties) == 1 }, `"properties.drop"`},
		{"userProperties", names("plan", "email"), Obj(), func(s Settings) bool { return len(s.UserProperties) == 2 }, `"userProperties"`},
		{"identity", Str("off"), Str("later"), func(s Settings) bool { return s.Identity == "off" }, `"identity"`},
		{"consent", Str("pending"), Str("maybe"), func(s Settings) bool { return s.Consent == "pending" }, `"consent"`},
		{"load", Str("first-event"), Str("lazy"), func(s Settings) bool { return s.Load == "first-event" }, `"load"`},
	}
	defaults, _ := ParseSettings(Undefined())
	for _, c := range cases {
		s, problems := ParseSettings(Obj(c.key, c.good))
		if len(problems) != 0 || !c.check(s) {
			t.Errorf("%s good: %+v %q", c.key, s, problems)
		}
		s, problems = ParseSettings(Obj(c.key, c.bad))
		if len(problems) != 1 || !strings.Contains(problems[0], c.badNames) || c.check(s) {
			t.Errorf("%s bad: %+v %q", c.key, s, problems)
		}
		if s.Identity != defaults.Identity || s.Consent != defaults.Consent || s.Load != defaults.Load {
			t.Errorf("%s bad changed a default: %+v", c.key, s)
		}
	}
}

// TestMatchName tests exact names and * wildcards.
func TestMatchName(t *testing.T) {
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"Userpilot Experience (started)", "Userpilot Experience (started)", true},
		{"Userpilot Experience (started)", "Userpilot Experience (step)", false},
		{"Userpilot Experience *", "Userpilot Experience (step)", true},
		{"* (completed)", "Userpilot Checklist (completed)", true},
		{"* (completed)", "Userpilot Checklist (task completed)", false},
		{"Userpilot *(s*)", "Userpilot NPS (score)", true},
		{"*", "anything", true},
		{"Userpilot NPS*", "Userpilot Experience (started)", false},
	}
	for _, c := range cases {
		if got := MatchName(c.pattern, c.name); got != c.want {
			t.Errorf("MatchName(%q, %q) = %v", c.pattern, c.name, got)
		}
	}
}

func runWith(t *testing.T, s Settings, inputs ...Input) ([]string, Stats) {
	t.Helper()
	b := New(s)
	r := &recorder{}
	for _, in := range inputs {
		b.Receive(in)
		b.Flush(r.deliver)
	}
	return r.calls, b.Stats()
}

func settingsOf(t *testing.T, v Value) Settings {
	t.Helper()
	s, problems := ParseSettings(v)
	if len(problems) != 0 {
		t.Fatalf("settings problems %q", problems)
	}
	return s
}

// TestFilterRenameAndPropertyRules tests events, rename and properties settings together.
func TestFilterRenameAndPropertyRules(t *testing.T) {
	s := settingsOf(t, Obj(
		"events", Obj("deny", names("* (step)")),
		"rename", Obj("Userpilot Experience (started)", Str("Tour started")),
		"properties", Obj("drop", names("meta"), "mask", names("experience_token")),
	))
	got, st := runWith(t, s,
		ev("started", Obj("id", Num(7), "token", Str("tok7"), "meta", Obj("a", Num(1), "b", Num(2)))),
		ev("step", Obj("id", Num(7), "step", Num(1))),
		ev("completed", Obj("id", Num(7), "token", Str("tok7"))),
	)
	want := []string{
		"track Tour started {experience_id=7,experience_token=***}",
		"track Userpilot Experience (completed) {experience_id=7,experience_token=***}",
	}
	if !reflect.DeepEqual(got, want) || st.DropReasons[DropFiltered] != 1 || st.PropertyDrops[PropBySettings] != 2 || st.Events["Tour started"] != 1 {
		t.Errorf("calls %q stats %+v", got, st)
	}
	allowOnly := settingsOf(t, Obj("events", Obj("allow", names("Userpilot Experience (completed)"))))
	got, _ = runWith(t, allowOnly, ev("started", flow), ev("completed", flow))
	if len(got) != 1 || !strings.Contains(got[0], "(completed)") {
		t.Errorf("allow list: %q", got)
	}
}

// TestUserPropertiesFollowIdentify tests that named identify properties follow heap.identify.
func TestUserPropertiesFollowIdentify(t *testing.T) {
	s := settingsOf(t, Obj("userProperties", names("plan", "email")))
	idWith := func(id string, props Value) Input { return Input{Kind: InputIdentify, Args: []Value{Str(id), props}} }
	got, _ := runWith(t, s,
		idWith("alice", Obj("plan", Str("pro"), "email", Str("a@x.io"), "secret", Str("s"))),
		ev("started", flow),
		idWith("alice", Obj("plan", Str("team"))),
		ev("completed", flow),
	)
	want := []string{
		"identify alice", "addUserProperties",
		"track Userpilot Experience (started) {experience_id=7,experience_token=tok7,userpilot_user_id=alice}",
		"addUserProperties",
		"track Userpilot Experience (completed) {experience_id=7,experience_token=tok7,userpilot_user_id=alice}",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q", got)
	}
	props := UserProperties(Obj("plan", Str("pro"), "email", Str("a@x.io"), "secret", Str("s")), s.UserProperties).Properties()
	if len(props) != 2 || props[0].Key != "plan" || props[1].Key != "email" {
		t.Errorf("user properties %#v", props)
	}
	if got, _ := runWith(t, Settings{}, idWith("alice", Obj("plan", Str("pro"))), ev("started", flow)); len(got) != 2 {
		t.Errorf("default sends no user properties: %q", got)
	}
}

// TestIdentityOff tests that identity "off" never calls identify or resetIdentity.
func TestIdentityOff(t *testing.T) {
	got, _ := runWith(t, Settings{Identity: "off", UserProperties: []string{"plan"}},
		Input{Kind: InputIdentify, Args: []Value{Str("alice"), Obj("plan", Str("pro"))}}, ev("started", flow), Input{Kind: InputAnonymous}, ev("completed", flow))
	want := []string{
		"track Userpilot Experience (started) {experience_id=7,experience_token=tok7,userpilot_user_id=alice}",
		"track Userpilot Experience (completed) {experience_id=7,experience_token=tok7}",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q", got)
	}
}

// TestConsentTransitions tests pending, granted and denied with events in flight.
func TestConsentTransitions(t *testing.T) {
	consent := func(state string) Input { return Input{Kind: InputConsent, Name: state} }
	cases := []struct {
		name     string
		initial  string
		inputs   []Input
		want     []string
		dropped  int
		received int
	}{
		{"pending then granted delivers in order", "pending", []Input{identify(Str("alice")), ev("started", flow), ev("completed", flow), consent("granted")},
			[]string{"identify alice", "track Userpilot Experience (started) {experience_id=7,experience_token=tok7,userpilot_user_id=alice}",
				"track Userpilot Experience (completed) {experience_id=7,experience_token=tok7,userpilot_user_id=alice}"}, 0, 2},
		{"pending then denied drops the held events", "pending", []Input{ev("started", flow), ev("completed", flow), consent("denied"), ev("dismissed", flow)}, nil, 3, 3},
		{"denied then granted forwards only later events", "denied", []Input{identify(Str("alice")), ev("started", flow), consent("granted"), ev("completed", flow)},
			[]string{"identify alice", "track Userpilot Experience (completed) {experience_id=7,experience_token=tok7,userpilot_user_id=alice}"}, 1, 2},
		{"granted then pending holds new events", "granted", []Input{ev("started", flow), consent("pending"), ev("completed", flow)},
			[]string{"track Userpilot Experience (started) {experience_id=7,experience_token=tok7}"}, 0, 2},
		{"a bad state is ignored", "granted", []Input{consent("maybe"), ev("started", flow)},
			[]string{"track Userpilot Experience (started) {experience_id=7,experience_token=tok7}"}, 0, 1},
	}
	for _, c := range cases {
		got, st := runWith(t, Settings{Consent: c.initial}, c.inputs...)
		if !reflect.DeepEqual(got, c.want) || st.Dropped != c.dropped || st.Received != c.received ||
			st.Received != st.Forwarded+st.Dropped+st.Duplicates+st.Pending+st.Relaying {
			t.Errorf("%s: calls %q stats %+v", c.name, got, st)
		}
	}
}

// TestReconfigure tests that configure() after start applies new settings but not wasmUrl.
func TestReconfigure(t *testing.T) {
	b := New(Settings{WasmURL: "/a.wasm", Consent: "granted"})
	b.Receive(Input{Kind: InputSettings, Args: []Value{Obj("wasmUrl", Str("/b.wasm"), "rename", Obj("Userpilot Experience (started)", Str("S")), "consent", Str("pending"))}})
	if s := b.Settings(); s.WasmURL != "/a.wasm" || s.Rename["Userpilot Experience (started)"] != "S" || b.consent != "pending" {
		t.Errorf("settings %+v consent %q", s, b.consent)
	}
	if msgs := b.Messages(); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "wasmUrl") {
		t.Errorf("messages %+v", msgs)
	}
}
