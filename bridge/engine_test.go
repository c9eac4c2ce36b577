package bridge

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// wireAnswer is an answer as the loader reads it.
type wireAnswer struct {
	Calls     [][]any        `json:"c"`
	Relays    [][]any        `json:"r"`
	Standby   *[][]any       `json:"b"`
	Messages  [][]string     `json:"m"`
	Held      []int          `json:"h"`
	Userpilot [][]any        `json:"u"`
	Stats     map[string]any `json:"s"`
	Unmade    map[string]any `json:"z"`
	Wake      float64        `json:"w"`
	Poll      bool           `json:"p"`
	Need      int            `json:"n"`
	Persist   bool           `json:"k"`
	Kept      *[]int         `json:"o"`
	Raw       string         `json:"-"`
}

func readAnswer(t testing.TB, text string) wireAnswer {
	t.Helper()
	var a wireAnswer
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("answer is not the wire format: %v\n%s", err, text)
	}
	a.Raw = text
	return a
}

// msg writes a loader message.
func msg(events, ack int, now float64, heap int, bounced []int, failed [][]any, skipped []int, entries ...[]any) string {
	m := []any{1, events, ack, now, heap, orEmpty(bounced), orEmptyAny(failed), orEmpty(skipped)}
	for _, e := range entries {
		m = append(m, e)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func orEmpty(x []int) []int {
	if x == nil {
		return []int{}
	}
	return x
}

func orEmptyAny(x [][]any) [][]any {
	if x == nil {
		return [][]any{}
	}
	return x
}

const heapReady = HeapUsable | HeapIdentify | HeapReset | HeapUserProps

func started(task int, id float64) []any {
	return []any{"event", "started", 0, task, float64(task), []any{"o", 0, "id", id, "token", "t"}}
}

func identifyEntry(user string) []any { return []any{"identify", "", 0, 0, 0, user} }

func callShape(calls [][]any) string {
	var out []string
	for _, c := range calls {
		s := strconv.Itoa(int(c[0].(float64))) + " " + c[1].(string)
		if len(c) > 2 {
			if str, ok := c[2].(string); ok {
				s += " " + str
			}
		}
		out = append(out, s)
	}
	return strings.Join(out, " | ")
}

func TestEngineCallsInOrder(t *testing.T) {
	e := NewEngine(`[null,"s",1700000000000,0]`)
	a := readAnswer(t, e.Step(msg(2, 0, 1, heapReady, nil, nil, nil, identifyEntry("alice"), started(1, 7), started(2, 8))))
	if got := callShape(a.Calls); got != "1 identify alice | 2 track Userpilot Experience (started) | 3 track Userpilot Experience (started)" {
		t.Fatalf("calls %s", got)
	}
	if a.Calls[1][4] != "s-1" || a.Calls[2][4] != "s-2" {
		t.Fatalf("event ids %v %v", a.Calls[1][4], a.Calls[2][4])
	}
	if a.Stats["forwarded"] != 2.0 || a.Stats["identifies"] != 1.0 || a.Need != HeapUsable || a.Poll || a.Standby != nil {
		t.Fatalf("answer %s", a.Raw)
	}
}

func TestEngineHoldsUntilHeapThenPolls(t *testing.T) {
	e := NewEngine(`[null,"s",0,0]`)
	a := readAnswer(t, e.Step(msg(1, 0, 1, 0, nil, nil, nil, identifyEntry("alice"), started(1, 7))))
	if len(a.Calls) != 0 || !a.Poll || a.Stats["pending"] != 1.0 {
		t.Fatalf("absent heap: %s", a.Raw)
	}
	a = readAnswer(t, e.Step(msg(0, 1, 2, heapReady, nil, nil, nil)))
	if got := callShape(a.Calls); got != "1 identify alice | 2 track Userpilot Experience (started)" || a.Poll {
		t.Fatalf("after heap arrived: %s", a.Raw)
	}
}

// TestEngineKept tests that an answer lists the loader's events held for Heap ("o") when the list
// changes, and leaves out those a standby beacon carries (one way only) and all with persist off.
func TestEngineKept(t *testing.T) {
	kept := func(a wireAnswer) string {
		if a.Kept == nil {
			return "absent"
		}
		return fmt.Sprint(*a.Kept)
	}
	e := NewEngine(`[null,"s",0,0]`)
	steps := []struct {
		msg, want string
	}{
		{msg(1, 0, 1, 0, nil, nil, nil, identifyEntry("alice"), started(1, 7)), "[1]"},
		{msg(1, 1, 2, 0, nil, nil, nil, started(2, 8)), "[1 2]"},
		{msg(0, 2, 3, 0, nil, nil, nil), "absent"},
		{msg(0, 3, 4, heapReady, nil, nil, nil), "[]"},
	}
	for i, st := range steps {
		if a := readAnswer(t, e.Step(st.msg)); kept(a) != st.want {
			t.Fatalf("step %d: kept %s, want %s: %s", i, kept(a), st.want, a.Raw)
		}
	}
	relayed := NewEngine(`[["o",0,"relayUrl","/v1/events"],"s",0,0]`)
	if a := readAnswer(t, relayed.Step(msg(1, 0, 1, 0, nil, nil, nil, identifyEntry("alice"), started(1, 7)))); kept(a) != "absent" || a.Standby == nil {
		t.Fatalf("an event in a standby beacon is not kept: %s", a.Raw)
	}
	off := NewEngine(`[["o",0,"persist",false],"s",0,0]`)
	if a := readAnswer(t, off.Step(msg(1, 0, 1, 0, nil, nil, nil, identifyEntry("alice"), started(1, 7)))); kept(a) != "absent" {
		t.Fatalf("persist off: %s", a.Raw)
	}
}

// TestEngineBounceKeepsOrder tests that calls bounced by the page from two answers in flight go
// back in their order, uncounted, and come out again in that order.
func TestEngineBounceKeepsOrder(t *testing.T) {
	e := NewEngine(`[null,"s",0,0]`)
	a1 := readAnswer(t, e.Step(msg(1, 0, 1, heapReady, nil, nil, nil, identifyEntry("alice"), started(1, 7))))
	a2 := readAnswer(t, e.Step(msg(1, 0, 2, heapReady, nil, nil, nil, started(2, 8))))
	if len(a1.Calls) != 2 || len(a2.Calls) != 1 {
		t.Fatalf("answers %s %s", a1.Raw, a2.Raw)
	}
	// The page found window.heap gone for a1's calls, so it bounced a2's too (written before the module knew).
	a3 := readAnswer(t, e.Step(msg(0, 2, 3, 0, []int{1, 2, 3}, nil, nil)))
	if len(a3.Calls) != 0 || a3.Stats["forwarded"] != 0.0 || a3.Stats["identifies"] != 0.0 || a3.Stats["pending"] != 2.0 || !a3.Poll {
		t.Fatalf("after bounce: %s", a3.Raw)
	}
	a4 := readAnswer(t, e.Step(msg(0, 3, 4, heapReady, nil, nil, nil)))
	if got := callShape(a4.Calls); got != "1 identify alice | 2 track Userpilot Experience (started) | 3 track Userpilot Experience (started)" {
		t.Fatalf("re-sent %s", got)
	}
	if a4.Stats["forwarded"] != 2.0 || a4.Stats["pending"] != 0.0 {
		t.Fatalf("stats %v", a4.Stats)
	}
}

// TestEngineFailedCalls tests that a track that threw is dropped as heap_error with the page's
// message, and an identify that threw is skipped with a warning and not counted.
func TestEngineFailedCalls(t *testing.T) {
	e := NewEngine(`[null,"s",0,0]`)
	e.Step(msg(1, 0, 1, heapReady, nil, nil, nil, identifyEntry("alice"), started(1, 7)))
	a := readAnswer(t, e.Step(msg(0, 1, 2, heapReady, nil, [][]any{{1, "identify broke"}, {2, "track broke"}}, nil)))
	s := a.Stats
	if s["forwarded"] != 0.0 || s["identifies"] != 0.0 || s["dropped"] != 1.0 || s["dropReasons"].(map[string]any)["heap_error"] != 1.0 {
		t.Fatalf("stats %v", s)
	}
	text := strings.Join(flatten(a.Messages), "\n")
	if !strings.Contains(text, "heap.identify failed and was skipped: identify broke") || !strings.Contains(text, "heap.track threw: track broke") {
		t.Fatalf("messages %s", text)
	}
}

// TestEngineMissingIdentityMethod tests that a Heap without resetIdentity gets a warning and the
// reset is skipped, while events still go.
func TestEngineMissingIdentityMethod(t *testing.T) {
	e := NewEngine(`[null,"s",0,0]`)
	state := HeapUsable | HeapIdentify
	e.Step(msg(1, 0, 1, state, nil, nil, nil, identifyEntry("alice"), started(1, 7)))
	a := readAnswer(t, e.Step(msg(1, 1, 2, state, nil, nil, nil, []any{"anonymous", "", 0, 0, 0}, started(2, 8))))
	if got := callShape(a.Calls); got != "4 track Userpilot Experience (started)" || a.Stats["resets"] != 0.0 {
		t.Fatalf("answer %s", a.Raw)
	}
	if !strings.Contains(strings.Join(flatten(a.Messages), "\n"), "heap.resetIdentity failed and was skipped: it is not a function") {
		t.Fatalf("messages %v", a.Messages)
	}
}

// TestEngineUnreadableHeap tests that a window.heap whose reads threw is tried, not held.
func TestEngineUnreadableHeap(t *testing.T) {
	e := NewEngine(`[null,"s",0,0]`)
	a := readAnswer(t, e.Step(msg(1, 0, 1, 63, nil, nil, nil, started(1, 7))))
	if len(a.Calls) != 1 {
		t.Fatalf("answer %s", a.Raw)
	}
}

// TestEngineRelay tests the relay's path through the engine: with relayUrl the SDK itself is
// needed, events wait for relayAfter with a wake-up, then go out as a request; the standby offers
// them before that and is sent only when it changes.
func TestEngineRelay(t *testing.T) {
	e := NewEngine(`[["o",0,"relayUrl","/v1/events","relayAfter",1000],"s",0,0]`)
	a := readAnswer(t, e.Step(msg(1, 0, 10, HeapUsable, nil, nil, nil, identifyEntry("alice"), started(1, 7))))
	if a.Need != HeapUsable|HeapLoaded || len(a.Calls) != 0 || a.Wake != 1000 || !a.Poll || a.Standby == nil || len(*a.Standby) != 1 {
		t.Fatalf("held: %s", a.Raw)
	}
	if ids := (*a.Standby)[0][3].([]any); len(ids) != 1 || ids[0] != "s-1" {
		t.Fatalf("standby ids %v", ids)
	}
	a = readAnswer(t, e.Step(msg(0, 1, 20, HeapUsable, nil, nil, nil)))
	if a.Standby != nil {
		t.Fatalf("unchanged standby sent again: %s", a.Raw)
	}
	// In a request, the event stays in the standby (unchanged, so not sent again): a page left now may
	// cancel the request, and the beacon carries the same event id.
	a = readAnswer(t, e.Step(msg(0, 2, 1000, HeapUsable, nil, nil, nil)))
	if len(a.Relays) != 1 || a.Relays[0][1] != "/v1/events" || a.Standby != nil {
		t.Fatalf("after relayAfter: %s", a.Raw)
	}
	if a.Stats["relaying"] != 1.0 || a.Stats["pending"] != 0.0 {
		t.Fatalf("stats %v", a.Stats)
	}
	accepted := []any{"o", 0, "accepted", []any{"a", 0, "s-1"}, "refused", []any{"a", 0}}
	a = readAnswer(t, e.Step(msg(0, 3, 1100, HeapUsable, nil, nil, nil, []any{InputRelayed, "", 0, 0, 1100, a.Relays[0][0], 200, accepted, 0, ""})))
	if a.Stats["relayed"] != 1.0 || a.Standby == nil || len(*a.Standby) != 0 {
		t.Fatalf("after the relay's answer: %s", a.Raw)
	}
}

// TestEngineSkippedCall tests that a track call the page did not make, because its event had
// just gone to the relay by beacon, counts once, as relayed.
func TestEngineSkippedCall(t *testing.T) {
	e := NewEngine(`[["o",0,"relayUrl","/v1/events"],"s",0,0]`)
	e.Step(msg(1, 0, 1, heapReady|HeapLoaded, nil, nil, nil, identifyEntry("alice"), started(1, 7)))
	a := readAnswer(t, e.Step(msg(0, 1, 2, heapReady|HeapLoaded, nil, nil, []int{2})))
	if a.Stats["forwarded"] != 1.0 || a.Stats["relayed"] != 1.0 {
		t.Fatalf("stats %v", a.Stats)
	}
}

// TestEngineUnreadableMessage tests that a message the engine cannot read counts its events as
// internal errors and says so.
func TestEngineUnreadableMessage(t *testing.T) {
	e := NewEngine(`[null,"s",0,0]`)
	a := readAnswer(t, e.Step(`[1,4,0,0,1,[],[],[],["event","started",0,1,1,`))
	if a.Stats["received"] != 4.0 || a.Stats["dropReasons"].(map[string]any)["internal_error"] != 4.0 || len(a.Messages) != 1 {
		t.Fatalf("answer %s", a.Raw)
	}
	for _, bad := range []string{``, `{}`, `[2]`, `[1,"x"]`, `[1,0,0,0,1,[],[],[]]x`} {
		readAnswer(t, NewEngine(`[null,"s",0,0]`).Step(bad))
	}
}

// TestEngineBadInit tests that unreadable settings leave the defaults and say so once.
func TestEngineBadInit(t *testing.T) {
	a := readAnswer(t, NewEngine(`nonsense`).Step(msg(0, 0, 0, 0, nil, nil, nil)))
	if len(a.Messages) != 1 || !strings.Contains(a.Messages[0][1], "settings could not be read") {
		t.Fatalf("answer %s", a.Raw)
	}
}

// TestAnswerStatsOrder tests that counters come in a fixed order with sorted map keys.
func TestAnswerStatsOrder(t *testing.T) {
	s := Stats{Received: 3, DropReasons: map[string]int{"b": 1, "a": 2}, PropertyDrops: map[string]int{}, Events: map[string]int{"z": 1, "y": 2}, InterfaceIgnored: map[string]int{}}
	got := string(appendStats(nil, s, nil))
	want := `{"received":3,"forwarded":0,"dropped":0,"duplicates":0,"identifies":0,"resets":0,"pending":0,"relayed":0,"relaying":0,"identityRejected":0,"truncated":0,"persisted":0,"unpersisted":0,"recovered":0,"dropReasons":{"a":2,"b":1},"propertyDrops":{},"events":{"y":2,"z":1},"interfaceIgnored":{}}`
	if got != want {
		t.Fatalf("stats\n%s\nwant\n%s", got, want)
	}
}

func flatten(m [][]string) []string {
	var out []string
	for _, x := range m {
		out = append(out, strings.Join(x, " "))
	}
	return out
}

// TestSnapshotRoundTrip tests that every snapshot shape the loader writes reads back as the Value.
func TestSnapshotRoundTrip(t *testing.T) {
	for _, c := range []struct {
		text string
		want Value
	}{
		{`"a\u0000\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"`, Str("a\x00\"\\/\b\f\n\r\té😀")},
		{`"\ud800x"`, Str("\ufffdx")},
		{`"\udc00\ud800"`, Str("\ufffd\ufffd")},
		{`-1.5e3`, Num(-1500)},
		{`true`, Bool(true)},
		{`null`, Value{Kind: KindNull}},
		{`["u"]`, Undefined()},
		{`["f"]`, Value{Kind: KindFunction}},
		{`["g","12345678901234567890"]`, Value{Kind: KindBigInt, Str: "12345678901234567890"}},
		{`["d","2024-01-02T03:04:05.000Z"]`, Value{Kind: KindDate, Str: "2024-01-02T03:04:05.000Z"}},
		{`["x","boom"]`, Value{Kind: KindUnreadable, Str: "boom"}},
		{`["a",3,1,"b"]`, Value{Kind: KindArray, Omitted: 3, Items: []Value{Num(1), Str("b")}}},
		{`["o",0,"k",["a",0],"__proto__",null]`, Value{Kind: KindObject, Keys: []string{"k", "__proto__"}, Items: []Value{{Kind: KindArray}, {Kind: KindNull}}}},
	} {
		got, err := ReadSnapshot(c.text)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, %v; want %+v", c.text, got, err, c.want)
		}
	}
	for _, bad := range []string{`["q"]`, `{"a":1}`, `["o","x"]`, `["a",1,`, `"\x"`, `"abc`, `[`, `tru`, `1 2`, strings.Repeat(`["a",0,`, 100)} {
		if _, err := ReadSnapshot(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// FuzzReadMessage tests that no input makes the message reader or the engine panic, and that every
// answer is valid JSON in the wire format.
func FuzzReadMessage(f *testing.F) {
	f.Add(msg(2, 0, 1, heapReady, []int{1}, [][]any{{2, "x"}}, []int{3}, identifyEntry("alice"), started(1, 7)))
	f.Add(`[1,1,0,0,1,[],[],[],["event","started",0,1,1,["o",0,"id",["n","NaN"]]]]`)
	f.Fuzz(func(t *testing.T, text string) {
		readMessage(text)
		readAnswer(t, NewEngine(`[null,"s",0,0]`).Step(text))
	})
}

// The engine's ordering as a page lives it (random pages, the relay, calls given back) is tested
// against the loader's real channel and this module built for the browser: test/channel/.

// TestEngineUnconfirmedUserpilotCalls tests that a Userpilot call the page has not yet confirmed
// counts as pending in "z", so that stats() never shows as forwarded a call the page could not make.
func TestEngineUnconfirmedUserpilotCalls(t *testing.T) {
	up := func(s map[string]any) string {
		u := s["toUserpilot"].(map[string]any)
		return fmt.Sprintf("forwarded %v dropped %v pending %v", u["forwarded"], u["dropped"], u["pending"])
	}
	track := []any{"heapcall", "track", 0, 1, 1, "Plan upgraded"}
	for _, c := range []struct {
		name, then string
		failed     []any
	}{
		{"made", "forwarded 1 dropped 0 pending 0", nil},
		{"threw", "forwarded 0 dropped 1 pending 0", []any{"upfailed", "", 0, 2, 2, "track", "userpilot broke"}},
		{"another user by then", "forwarded 0 dropped 1 pending 0", []any{"upfailed", UpIdentityChanged, 0, 2, 2, "track", "bob"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := NewEngine(`[` + mirrorAll + `,"s",0,0]`)
			a := readAnswer(t, e.Step(msg(1, 0, 1, heapReady, nil, nil, nil, identifyEntry("alice"), track)))
			if len(a.Userpilot) != 1 || a.Unmade == nil {
				t.Fatalf("first answer: %s", a.Raw)
			}
			if got := up(a.Stats); got != "forwarded 1 dropped 0 pending 0" {
				t.Fatalf(`"s" %s`, got)
			}
			if got := up(a.Unmade); got != "forwarded 0 dropped 0 pending 1" {
				t.Fatalf(`"z" %s: %s`, got, a.Raw)
			}
			if fmt.Sprint(a.Unmade["forwarded"], a.Unmade["pending"]) != fmt.Sprint(a.Stats["forwarded"], a.Stats["pending"]) {
				t.Fatalf(`"z" changed Heap's counters: %s`, a.Raw)
			}
			var entries [][]any
			if c.failed != nil {
				entries = append(entries, c.failed)
			}
			a = readAnswer(t, e.Step(msg(0, 1, 2, heapReady, nil, nil, nil, entries...)))
			if a.Unmade != nil || up(a.Stats) != c.then {
				t.Fatalf("after the page applied the answer: %s, want %s: %s", up(a.Stats), c.then, a.Raw)
			}
		})
	}
}
