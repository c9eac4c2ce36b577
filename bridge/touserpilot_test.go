package bridge

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func mirrorBridge(t *testing.T, settings string) *Bridge {
	t.Helper()
	v, err := ReadSnapshot(settings)
	if err != nil {
		t.Fatal(err)
	}
	s, problems := ParseSettings(v)
	if len(problems) > 0 {
		t.Fatalf("settings problems %q", problems)
	}
	return New(s)
}

func heapCall(method string, args ...Value) Input {
	return Input{Kind: InputHeapCall, Name: method, Args: args}
}

func upCalls(b *Bridge) string {
	var out []string
	for _, c := range b.UserpilotCalls() {
		props := map[string]any{}
		for _, p := range c.Properties {
			props[p.Key] = p.Value
		}
		raw, _ := json.Marshal(props)
		who := c.Name
		if c.Method == "identify" {
			who = c.User
		}
		out = append(out, c.Method+" "+who+" "+string(raw))
	}
	return strings.Join(out, " | ")
}

const mirrorAll = `["o",0,"toUserpilot",["o",0,"events",["a",0,"Plan *","Signed up"],"prefix","Heap: ","userProperties",true]]`

// TestMirrorTrack tests names, patterns, the prefix and the value rules.
func TestMirrorTrack(t *testing.T) {
	b := mirrorBridge(t, mirrorAll)
	b.Receive(identify(Str("alice")))
	b.Receive(heapCall("track", Str("Plan upgraded"), Obj(
		"plan", Str("pro"), "seats", Num(5), "trial", Bool(false),
		"at", Value{Kind: KindDate, Str: "2024-01-02T03:04:05.000Z"},
		"meta", Obj("source", Str("billing"), "deep", Obj("x", Num(1))),
		"nan", Num(math.NaN()), "fn", Value{Kind: KindFunction}, "list", Arr(Num(1)), "nul", Value{Kind: KindNull})))
	b.Receive(heapCall("track", Str("Signed up")))
	b.Receive(heapCall("track", Str("Clicked button"), Obj("a", Num(1))))
	b.Receive(heapCall("track", Str("Userpilot Experience (started)"), Obj()))
	b.Receive(heapCall("track", Num(7)))
	b.Receive(heapCall("track", Str("Plan kept"), Str("not an object")))
	want := `track Heap: Plan upgraded {"at":"2024-01-02T03:04:05.000Z","meta.deep.x":1,"meta.source":"billing","plan":"pro","seats":5,"trial":"false"}` +
		` | track Heap: Signed up {}`
	if got := upCalls(b); got != want {
		t.Fatalf("calls\n%s\nwant\n%s", got, want)
	}
	s, on := b.ToUserpilotStats()
	if !on || s.Received != 6 || s.Forwarded != 2 || s.Dropped != 4 ||
		s.DropReasons[UpNotListed] != 1 || s.DropReasons[UpUserpilotOwn] != 1 || s.DropReasons[UpInvalidName] != 1 || s.DropReasons[UpInvalidProps] != 1 {
		t.Fatalf("stats %+v", s)
	}
	if s.PropertyDrops[PropUnsupported] != 4 {
		t.Fatalf("property drops %+v", s.PropertyDrops)
	}
}

// TestMirrorIdentity tests that calls wait for Userpilot's identified user (100 at most, in
// order), are dropped after anonymous() or a refused id, and that heap.identify disagreeing with
// Userpilot's user is counted and never changes who gets the calls.
func TestMirrorIdentity(t *testing.T) {
	b := mirrorBridge(t, mirrorAll)
	for i := 0; i < MaxMirrorHeld+2; i++ {
		b.Receive(heapCall("track", Str("Signed up"), Obj("i", Num(float64(i)))))
	}
	b.Receive(heapCall("addUserProperties", Obj("plan", Str("pro"))))
	if got := b.UserpilotCalls(); len(got) != 0 {
		t.Fatalf("sent before identify: %+v", got)
	}
	b.Receive(identify(Str("alice")))
	got := b.UserpilotCalls()
	if len(got) != MaxMirrorHeld || got[0].User != "alice" || got[0].Properties[0].Value != 0.0 || got[99].Properties[0].Value != 99.0 {
		t.Fatalf("released %d calls: first %+v", len(got), got[0])
	}
	b.Receive(heapCall("addUserProperties", Obj("plan", Str("pro"), "paid", Bool(true))))
	if c := upCalls(b); c != `identify alice {"heap_paid":"true","heap_plan":"pro"}` {
		t.Fatalf("user properties: %s", c)
	}
	b.Receive(heapCall("identify", Str("bob")))
	b.Receive(heapCall("identify", Str("alice")))
	b.Receive(heapCall("track", Str("Signed up")))
	if c := b.UserpilotCalls(); len(c) != 1 || c[0].User != "alice" || c[0].Name != "Heap: Signed up" {
		t.Fatalf("after the mismatch: %+v", c)
	}
	b.Receive(Input{Kind: InputAnonymous})
	b.Receive(heapCall("track", Str("Signed up")))
	b.Receive(identify(Str("guest")))
	b.Receive(heapCall("track", Str("Signed up")))
	if c := upCalls(b); c != "" {
		t.Fatalf("sent while anonymous: %s", c)
	}
	s, _ := b.ToUserpilotStats()
	if s.IdentityMismatch != 1 || s.DropReasons[UpHeldFull] != 3 || s.DropReasons[UpAnonymous] != 2 {
		t.Fatalf("stats %+v", s)
	}
	if s.Received != s.Forwarded+s.Dropped+s.Pending {
		t.Fatalf("counters do not balance: %+v", s)
	}
	msgs := b.Messages()
	var text []string
	for _, m := range msgs {
		text = append(text, m.Text)
	}
	if all := strings.Join(text, "\n"); !strings.Contains(all, `heap.identify("bob") differs from Userpilot's user "alice"`) {
		t.Fatalf("messages %s", all)
	}
}

// TestMirrorUserPropertiesOff tests that addUserProperties is not mirrored unless asked for, and
// that the mirror is off without the setting.
func TestMirrorUserPropertiesOff(t *testing.T) {
	b := mirrorBridge(t, `["o",0,"toUserpilot",["o",0,"events",["a",0,"*"]]]`)
	b.Receive(identify(Str("alice")))
	b.Receive(heapCall("addUserProperties", Obj("plan", Str("pro"))))
	b.Receive(heapCall("track", Str("Anything at all")))
	if c := upCalls(b); c != "track Anything at all {}" {
		t.Fatalf("calls %s", c)
	}
	if s, _ := b.ToUserpilotStats(); s.Received != 2 || s.DropReasons[UpPropertiesOff] != 1 {
		t.Fatalf("stats %+v", s)
	}
	off := New(Settings{})
	off.Receive(identify(Str("alice")))
	off.Receive(heapCall("track", Str("Anything")))
	if c := upCalls(off); c != "" {
		t.Fatalf("mirrored without the setting: %s", c)
	}
	if _, on := off.ToUserpilotStats(); on {
		t.Fatal("stats say on")
	}
}

// TestMirrorSettings tests that bad toUserpilot values are named and the rest applies.
func TestMirrorSettings(t *testing.T) {
	v, _ := ReadSnapshot(`["o",0,"toUserpilot",["o",0,"events",["a",0,"ok",5],"prefix",3,"userProperties","yes","extra",1]]`)
	s, problems := ParseSettings(v)
	all := strings.Join(problems, "\n")
	for _, want := range []string{`"toUserpilot.events" has an entry that is the number 5`, `"toUserpilot.prefix" is the number 3`,
		`"toUserpilot.userProperties" is a string`, `unknown key "extra" in setting "toUserpilot"`} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	if !s.ToUserpilot.Enabled || strings.Join(s.ToUserpilot.Events, ",") != "ok" {
		t.Fatalf("settings %+v", s.ToUserpilot)
	}
}

// FuzzMirror tests that any heap call is mirrored with Userpilot-safe values or counted.
func FuzzMirror(f *testing.F) {
	f.Add(`["Plan x",["o",0,"a",["o",0,"b",true]]]`, true)
	f.Add(`["Userpilot Experience (started)"]`, false)
	f.Fuzz(func(t *testing.T, args string, identified bool) {
		v, err := ReadSnapshot("[\"a\",0," + strings.TrimPrefix(args, "["))
		if err != nil || v.Kind != KindArray {
			return
		}
		b := mirrorBridge(t, `["o",0,"toUserpilot",["o",0,"events",["a",0,"*"],"userProperties",true]]`)
		if identified {
			b.Receive(identify(Str("alice")))
		}
		for _, m := range []string{"track", "addUserProperties", "identify"} {
			b.Receive(heapCall(m, v.Items...))
		}
		for _, c := range b.UserpilotCalls() {
			if c.Method == "track" && CheckEventName(c.Name) != "" {
				t.Fatalf("bad name %q", c.Name)
			}
			for _, p := range c.Properties {
				if CheckPropertyKey(p.Key) != "" {
					t.Fatalf("bad key %q", p.Key)
				}
				switch x := p.Value.(type) {
				case string:
				case float64:
					if math.IsNaN(x) || math.IsInf(x, 0) {
						t.Fatalf("non-finite %v", x)
					}
				default:
					t.Fatalf("value %T", p.Value)
				}
			}
		}
		s, _ := b.ToUserpilotStats()
		if s.Received != s.Forwarded+s.Dropped+s.Pending {
			t.Fatalf("counters do not balance: %+v", s)
		}
	})
}

// TestMirrorLoopGuards tests that Userpilot's own names are known in any case and after any kind
// of space, and that a name already carrying the prefix (a mirrored call come back) is not sent
// again, so nothing loops.
func TestMirrorLoopGuards(t *testing.T) {
	b := mirrorBridge(t, `["o",0,"toUserpilot",["o",0,"events",["a",0,"*"],"prefix","Heap: "]]`)
	b.Receive(identify(Str("alice")))
	for _, name := range []string{"userpilot Experience (started)", "Userpilot\u00a0Experience (started)", "USERPILOT\u3000NPS (score)",
		"Userpilot\tChecklist", " Userpilot Survey", "Ｕｓｅｒｐｉｌｏｔ Flow", "User\u00adpilot Flow",
		"Heap: Plan upgraded", "heap:\u00a0Plan upgraded", "HEAP: Heap: x"} {
		b.Receive(heapCall("track", Str(name)))
	}
	b.Receive(heapCall("track", Str("Userpilots rock")))
	b.Receive(heapCall("track", Str("Userpilot")))
	if got := upCalls(b); got != `track Heap: Userpilots rock {} | track Heap: Userpilot {}` {
		t.Fatalf("calls %s", got)
	}
	s, _ := b.ToUserpilotStats()
	if s.DropReasons[UpUserpilotOwn] != 7 || s.DropReasons[UpEcho] != 3 || s.Forwarded != 2 {
		t.Fatalf("stats %+v", s)
	}
}

// TestMirrorIdentityChanged tests that a call the page did not send because Userpilot's user had
// changed is counted as identity_changed, named in the console, and no longer as forwarded.
func TestMirrorIdentityChanged(t *testing.T) {
	b := mirrorBridge(t, mirrorAll)
	b.Receive(identify(Str("alice")))
	b.Receive(heapCall("addUserProperties", Obj("plan", Str("pro"))))
	b.Receive(heapCall("track", Str("Signed up")))
	calls := b.UserpilotCalls()
	if len(calls) != 2 || calls[0].User != "alice" || calls[1].User != "alice" {
		t.Fatalf("calls %+v", calls)
	}
	b.Receive(Input{Kind: InputUserpilotFailed, Name: UpIdentityChanged, Args: []Value{Str("identify"), Str("bob")}})
	b.Receive(Input{Kind: InputUserpilotFailed, Name: UpIdentityChanged, Args: []Value{Str("track"), {Kind: KindNull}}})
	s, _ := b.ToUserpilotStats()
	if s.Received != 2 || s.Forwarded != 0 || s.Dropped != 2 || s.DropReasons[UpIdentityChanged] != 2 {
		t.Fatalf("stats %+v", s)
	}
	var text []string
	for _, m := range b.Messages() {
		text = append(text, m.Text)
	}
	if all := strings.Join(text, "\n"); !strings.Contains(all, `Userpilot had the user "bob" when it came to be sent`) {
		t.Fatalf("messages %s", all)
	}
}

// TestAnswerBindsUserpilotCalls tests that each Userpilot call in an answer names the user it is
// bound to, right after its method, so the page can check it at the moment of sending.
func TestAnswerBindsUserpilotCalls(t *testing.T) {
	var a answerWriter
	a.userpilotCall(UserpilotCall{Method: "track", Name: "Heap: x", User: "alice", Properties: []Property{{Key: "k", Value: "v"}}})
	a.userpilotCall(UserpilotCall{Method: "identify", User: "alice", Properties: []Property{{Key: "heap_plan", Value: "pro"}}})
	var got [][]any
	if err := json.Unmarshal([]byte("["+string(a.userpilot)+"]"), &got); err != nil {
		t.Fatalf("%s: %v", a.userpilot, err)
	}
	want := `[["track","alice","Heap: x",{"k":"v"}],["identify","alice","alice",{"heap_plan":"pro"}]]`
	if raw, _ := json.Marshal(got); string(raw) != want {
		t.Fatalf("got %s, want %s", raw, want)
	}
}

// TestMirrorEchoWithoutPrefix tests that, with no prefix, a track coming back with the same name
// and properties within EchoWindowMS is an echo (once per call sent), and is sent again after it.
func TestMirrorEchoWithoutPrefix(t *testing.T) {
	b := mirrorBridge(t, `["o",0,"toUserpilot",["o",0,"events",["a",0,"*"]]]`)
	b.Receive(identify(Str("alice")))
	track := func(at float64, props Value) {
		in := heapCall("track", Str("Plan upgraded"), props)
		in.At = at
		b.Receive(in)
	}
	track(1000, Obj("seats", Num(3)))
	track(1010, Obj("seats", Num(3))) // the echo
	track(1020, Obj("seats", Num(3))) // the echo of nothing sent: the app's own
	track(1030, Obj("seats", Num(4)))
	track(1040+EchoWindowMS, Obj("seats", Num(3))) // long after the last one sent
	if got := upCalls(b); got != `track Plan upgraded {"seats":3} | track Plan upgraded {"seats":3} | track Plan upgraded {"seats":4} | track Plan upgraded {"seats":3}` {
		t.Fatalf("calls %s", got)
	}
	if s, _ := b.ToUserpilotStats(); s.DropReasons[UpEcho] != 1 || s.Forwarded != 4 {
		t.Fatalf("stats %+v", s)
	}
}

// TestMirrorUnwrapped tests that a Heap method the page could not wrap is said once in the console.
func TestMirrorUnwrapped(t *testing.T) {
	b := mirrorBridge(t, mirrorAll)
	b.Receive(Input{Kind: InputUnwrapped, Name: "track"})
	b.Receive(Input{Kind: InputUnwrapped, Name: "track"})
	msgs := b.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "window.heap.track cannot be wrapped") || msgs[0].Level != "warn" {
		t.Fatalf("messages %+v", msgs)
	}
}
