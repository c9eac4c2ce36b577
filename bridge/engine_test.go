package bridge

import (
	"encoding/json"
	"math/rand"
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
	a = readAnswer(t, e.Step(msg(0, 2, 1000, HeapUsable, nil, nil, nil)))
	if len(a.Relays) != 1 || a.Relays[0][1] != "/v1/events" || a.Standby == nil || len(*a.Standby) != 0 {
		t.Fatalf("after relayAfter: %s", a.Raw)
	}
	if a.Stats["relaying"] != 1.0 || a.Stats["pending"] != 0.0 {
		t.Fatalf("stats %v", a.Stats)
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

const maxSeq = 1 << 62

// pageSim plays the loader's side of the protocol, as js/loader.js does: it posts messages, gets
// each answer later (a Worker answers in its own time), makes the calls on a Heap that may change
// in between, bounces a call window.heap cannot take and every later call until the module has sent
// it again (calls are made in sequence order), reports throws, and sends standby beacons when the page is left.
type pageSim struct {
	t        *testing.T
	e        *Engine
	relay    bool
	now      float64
	task     int
	nextID   float64
	outbox   [][]any
	answers  []string // written, not yet applied
	events   []int    // events per message not yet answered
	posted   int
	applied  int
	owed     map[int]int // bounced calls not yet made again -> the message that reported them
	lowest   int         // the lowest of owed, or maxSeq
	bounced  []int
	failed   [][]any
	skipped  []int
	need     int
	heap     int  // HeapState bits of window.heap now
	throws   bool // heap.track throws
	lastSeq  int
	standby  [][]any
	beaconed map[string]bool
	// what reached Heap and the relay, by event id
	heapGot  map[string]bool
	relayGot map[string]bool
	tracks   int
	inFlight map[int][]string // relay requests posted, by batch id
	stats    map[string]any
}

func newPageSim(t *testing.T, relay bool) *pageSim {
	settings := "null"
	if relay {
		settings = `["o",0,"relayUrl","/v1/events","relayAfter",500]`
	}
	return &pageSim{t: t, e: NewEngine(`[` + settings + `,"p",0,0]`), relay: relay, need: HeapUsable, owed: map[int]int{}, lowest: maxSeq,
		beaconed: map[string]bool{}, heapGot: map[string]bool{}, relayGot: map[string]bool{}, inFlight: map[int][]string{}}
}

func (p *pageSim) post() {
	events := 0
	for _, e := range p.outbox {
		if e[0] == "event" {
			events++
		}
	}
	text := msg(events, p.applied, p.now, p.heap, p.bounced, p.failed, p.skipped, p.outbox...)
	p.posted++
	for _, seq := range p.bounced {
		p.owed[seq] = p.posted
	}
	p.bounced, p.failed, p.skipped, p.outbox = nil, nil, nil, nil
	p.events = append(p.events, events)
	p.answers = append(p.answers, p.e.Step(text)) // the worker answers in order; the page reads it later
}

// apply reads the oldest answer, as the loader's onAnswer does.
func (p *pageSim) apply() {
	if len(p.answers) == 0 {
		return
	}
	a := readAnswer(p.t, p.answers[0])
	p.answers, p.events = p.answers[1:], p.events[1:]
	p.stats, p.need = a.Stats, a.Need
	number := p.applied + 1
	if len(p.owed) > 0 { // calls the module no longer holds for Heap are owed no more
		still := map[int]bool{}
		for _, seq := range a.Held {
			still[seq] = true
		}
		for _, c := range a.Calls {
			still[int(c[0].(float64))] = true
		}
		for seq, reported := range p.owed {
			if reported > 0 && reported <= number && !still[seq] {
				p.release(seq)
			}
		}
	}
	for _, c := range a.Calls {
		seq := int(c[0].(float64))
		if seq <= p.lowest && p.make(c) {
			if _, ok := p.owed[seq]; ok {
				p.release(seq)
			}
			continue
		}
		p.owed[seq] = 0 // numbered when the report is posted
		p.lowest = min(p.lowest, seq)
		p.bounced = append(p.bounced, seq)
	}
	p.applied = number
	for _, r := range a.Relays {
		var w wireBatch
		json.Unmarshal([]byte(r[2].(string)), &w)
		for _, ev := range w.Events {
			if p.heapGot[ev.ID] {
				p.t.Fatalf("event %s relayed after Heap got it", ev.ID)
			}
		}
		p.inFlight[int(r[0].(float64))] = ids(w)
	}
	if a.Standby != nil {
		p.standby = *a.Standby
	}
	if len(p.bounced)+len(p.failed)+len(p.skipped) > 0 {
		p.post()
	}
}

func (p *pageSim) release(seq int) {
	delete(p.owed, seq)
	p.lowest = maxSeq
	for s := range p.owed {
		p.lowest = min(p.lowest, s)
	}
}

// make makes one call; false when window.heap cannot take it now.
func (p *pageSim) make(c []any) bool {
	seq, method := int(c[0].(float64)), c[1].(string)
	if method == MethodTrack && p.beaconed[c[4].(string)] {
		p.skipped = append(p.skipped, seq)
		return true
	}
	if p.heap&HeapUsable == 0 || (p.need&HeapLoaded != 0 && p.heap&HeapLoaded == 0) {
		return false
	}
	if seq <= p.lastSeq {
		p.t.Fatalf("call %d made after call %d", seq, p.lastSeq)
	}
	p.lastSeq = seq
	bit := map[string]int{MethodTrack: HeapUsable, MethodIdentify: HeapIdentify, MethodResetIdentity: HeapReset, MethodAddUserProperties: HeapUserProps}[method]
	if p.heap&bit == 0 {
		p.failed = append(p.failed, []any{seq, "it is not a function in this Heap snippet"})
		return true
	}
	if method == MethodTrack {
		if p.throws {
			p.failed = append(p.failed, []any{seq, "heap broke"})
			return true
		}
		id := c[4].(string)
		if p.heapGot[id] || p.relayGot[id] {
			p.t.Fatalf("event %s reached Heap twice or after the relay", id)
		}
		p.heapGot[id] = true
		p.tracks++
	}
	return true
}

func (p *pageSim) leave() {
	for i, b := range p.standby {
		ok := (len(p.standby)+i)%4 != 3
		args := []any{"beaconed", "", 0, 0, p.now, ok}
		for _, id := range b[3].([]any) {
			args = append(args, id)
			if ok {
				if p.heapGot[id.(string)] {
					p.t.Fatalf("standby offers %s, which Heap has", id)
				}
				p.beaconed[id.(string)] = true
				p.relayGot[id.(string)] = true
			}
		}
		p.outbox = append(p.outbox, args)
	}
	p.standby = nil
	p.post()
}

func (p *pageSim) answerRelay(status int) {
	for id, list := range p.inFlight {
		delete(p.inFlight, id)
		var body any
		if status == 200 {
			body = []any{"o", 0, "accepted", append([]any{"a", 0}, anySlice(list)...), "refused", []any{"a", 0}}
			for _, ev := range list {
				if p.heapGot[ev] {
					p.t.Fatalf("event %s accepted by the relay after Heap got it", ev)
				}
				p.relayGot[ev] = true
			}
		} else {
			body = []any{"u"}
		}
		p.outbox = append(p.outbox, []any{"relayed", "", 0, 0, p.now, id, status, body, 0, ""})
		return
	}
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// settleAll applies every answer and posts until nothing is left to say, then checks the counters.
func (p *pageSim) settleAll() {
	for i := 0; i < 50 && (len(p.answers) > 0 || len(p.outbox) > 0); i++ {
		if len(p.outbox) > 0 {
			p.post()
		}
		for len(p.answers) > 0 {
			p.apply()
		}
	}
	if len(p.answers) > 0 || p.stats == nil {
		return
	}
	s := func(k string) int { return int(p.stats[k].(float64)) }
	if s("received") != s("forwarded")+s("dropped")+s("duplicates")+s("pending")+s("relaying") {
		p.t.Fatalf("counters do not balance: %v", p.stats)
	}
	if s("forwarded") != p.tracks+s("relayed") {
		p.t.Fatalf("forwarded %d, but Heap took %d tracks and %d were relayed: %v", s("forwarded"), p.tracks, s("relayed"), p.stats)
	}
}

func fuzzEngineBody(t *testing.T, data []byte) {
	if len(data) == 0 {
		return
	}
	p := newPageSim(t, data[0]%2 == 1)
	users := []string{"alice", "bob", "guest"}
	states := []int{0, HeapUsable, heapReady, heapReady | HeapLoaded, HeapUsable | HeapLoaded, 63}
	for i, op := range data[1:] {
		switch op % 14 {
		case 0, 1, 2, 3:
			p.task++
			p.nextID++
			p.outbox = append(p.outbox, started(p.task, p.nextID))
		case 4:
			p.outbox = append(p.outbox, identifyEntry(users[i%len(users)]))
		case 5:
			p.outbox = append(p.outbox, []any{"anonymous", "", 0, 0, p.now})
		case 6:
			p.heap = states[int(op/14)%len(states)]
			p.throws = op%28 == 6
		case 7, 8:
			p.post()
		case 9, 10:
			p.apply()
		case 11:
			p.now += 300
			p.post()
		case 12:
			p.answerRelay([]int{200, 503, 0}[int(op/14)%3])
		case 13:
			p.leave()
		}
	}
	p.throws = false
	p.settleAll()
}

// FuzzEngine plays random pages against the engine: no event reaches Heap twice or both Heap and
// the relay, Heap calls are made in the core's order, and at rest every event is accounted for.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 4, 0, 0, 6, 7, 9, 1, 7, 9, 9})
	f.Add([]byte{1, 4, 0, 1, 7, 9, 11, 11, 12, 13, 6, 7, 9})
	f.Add([]byte{0, 4, 0, 7, 0, 7, 20, 9, 9, 9, 48, 7, 9})
	f.Fuzz(fuzzEngineBody)
}

// TestEngineRandomPages runs long random pages through FuzzEngine's checks, deterministically.
func TestEngineRandomPages(t *testing.T) {
	r := rand.New(rand.NewSource(20261130))
	for i := 0; i < 80; i++ {
		data := make([]byte, 200+r.Intn(3000))
		r.Read(data)
		fuzzEngineBody(t, data)
	}
}
