package bridge

import (
	"strings"
	"testing"
)

// The page clock of the test bridge starts at this epoch ms, so stored times can be set relative to it.
const testOrigin = 1_800_000_000_000.0

// stored is an InputRecovered for a started event with experience id n, stored by page src under
// who (nil for none) at epoch ms when.
func stored(id string, who *string, when float64, src string, n float64) Input {
	ident := Value{Kind: KindNull}
	if who != nil {
		ident = Str(*who)
	}
	return Input{Kind: InputRecovered, At: 10, Args: []Value{Str(id), ident, Num(when), Str(src),
		Str(InputEvent), Str("started"), Num(0), Num(n), Num(n), Obj("id", Num(n), "token", Str("t"))}}
}

func user(s string) *string { return &s }

// recoverRun drives a bridge with settings s over inputs, then settles held events as if the page
// clock had reached until; it returns the Heap calls made and the counters.
func recoverRun(t *testing.T, s Settings, until float64, inputs ...Input) ([]string, Stats, *Bridge) {
	t.Helper()
	b := New(s)
	b.SetPage("page", testOrigin, 0)
	r := &recorder{}
	for _, in := range inputs {
		b.Receive(in)
		b.Flush(r.deliver)
	}
	b.RecoveredDue(until)
	b.Flush(r.deliver)
	return r.calls, b.Stats(), b
}

func TestRecoveredRules(t *testing.T) {
	fresh := testOrigin - 60_000
	track := func(n, who string) string {
		if who == "" {
			return "track Userpilot Experience (started) {experience_id=" + n + ",experience_token=t}"
		}
		return "track Userpilot Experience (started) {experience_id=" + n + ",experience_token=t,userpilot_user_id=" + who + "}"
	}
	cases := []struct {
		name      string
		settings  Settings
		until     float64
		inputs    []Input
		want      []string
		drops     map[string]int
		recovered int
		relaying  int
	}{
		{name: "same user, identify after the stored events: delivered under that user, before the page's own",
			inputs: []Input{stored("a-1", user("alice"), fresh, "a", 1), identify(Str("alice")), ev("started", Obj("id", Num(9), "token", Str("t")))},
			want:   []string{"identify alice", track("1", "alice"), track("9", "alice")}, recovered: 1},
		{name: "same user, identify before the stored events",
			inputs: []Input{identify(Str("alice")), stored("a-1", user("alice"), fresh, "a", 1)},
			want:   []string{"identify alice", track("1", "alice")}, recovered: 1},
		{name: "held until the page says who its user is",
			until:  1, // not yet due
			inputs: []Input{stored("a-1", user("alice"), fresh, "a", 1)},
			want:   nil},
		{name: "another user, no relay: identity_changed",
			inputs: []Input{stored("a-1", user("alice"), fresh, "a", 1), identify(Str("bob"))},
			want:   nil, drops: map[string]int{DropIdentityChanged: 1}},
		{name: "another user, relay configured: relayed under its own identity",
			settings: Settings{RelayURL: "https://relay.example/v1/events"},
			inputs:   []Input{stored("a-1", user("alice"), fresh, "a", 1), identify(Str("bob"))},
			want:     nil, relaying: 1},
		{name: "no user on the page when due: identity_changed",
			until:  1e9,
			inputs: []Input{stored("a-1", user("alice"), fresh, "a", 1)},
			want:   nil, drops: map[string]int{DropIdentityChanged: 1}},
		{name: "anonymous stored, anonymous page: delivered",
			until:  1e9,
			inputs: []Input{stored("a-1", nil, fresh, "a", 1)},
			want:   []string{track("1", "")}, recovered: 1},
		{name: "anonymous stored, identified page: identity_changed even with a relay (it needs an identity)",
			settings: Settings{RelayURL: "https://relay.example/v1/events"},
			inputs:   []Input{stored("a-1", nil, fresh, "a", 1), identify(Str("bob"))},
			want:     []string{}, drops: map[string]int{DropIdentityChanged: 1}},
		{name: "an event of the page's own decides first",
			inputs: []Input{stored("a-1", nil, fresh, "a", 1), ev("started", Obj("id", Num(9), "token", Str("t")))},
			want:   []string{track("1", ""), track("9", "")}, recovered: 1},
		{name: "older than 24 hours: expired",
			inputs: []Input{stored("a-1", user("alice"), testOrigin-RecoveredMaxAgeMs-1, "a", 1), identify(Str("alice"))},
			want:   []string{}, drops: map[string]int{DropExpired: 1}},
		{name: "the same id claimed twice counts once",
			inputs: []Input{stored("a-1", user("alice"), fresh, "a", 1), stored("a-1", user("alice"), fresh, "a", 1), identify(Str("alice"))},
			want:   []string{"identify alice", track("1", "alice")}, recovered: 1},
		{name: "a refused stored identity is none",
			until:  1e9,
			inputs: []Input{stored("a-1", user("undefined"), fresh, "a", 1)},
			want:   []string{track("1", "")}, recovered: 1},
		{name: "consent denied: dropped",
			settings: Settings{Consent: "denied"},
			inputs:   []Input{stored("a-1", user("alice"), fresh, "a", 1), identify(Str("alice"))},
			want:     []string{}, drops: map[string]int{DropConsentDenied: 1}},
		{name: "unrecovered counts",
			inputs: []Input{{Kind: InputUnrecovered, Name: DropOverflow, Args: []Value{Num(3)}}, {Kind: InputUnrecovered, Name: DropStorageUnavailable, Args: []Value{Num(2)}}},
			want:   []string{}, drops: map[string]int{DropOverflow: 3, DropStorageUnavailable: 2}},
		{name: "unreadable stored entry: internal_error",
			inputs: []Input{{Kind: InputRecovered, Args: []Value{Str("x")}}},
			want:   []string{}, drops: map[string]int{DropInternalError: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			until := c.until
			if until == 0 {
				until = 5 // before the settle time: only the page decides
			}
			calls, s, _ := recoverRun(t, c.settings, until, c.inputs...)
			if strings.Join(calls, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("calls\n%s\nwant\n%s", strings.Join(calls, "\n"), strings.Join(c.want, "\n"))
			}
			for reason, n := range c.drops {
				if s.DropReasons[reason] != n {
					t.Errorf("drop %s = %d, want %d (%v)", reason, s.DropReasons[reason], n, s.DropReasons)
				}
			}
			if s.Recovered != c.recovered || s.Relaying != c.relaying {
				t.Errorf("recovered %d relaying %d, want %d %d", s.Recovered, s.Relaying, c.recovered, c.relaying)
			}
			if s.Received != s.Forwarded+s.Dropped+s.Pending+s.Relaying+s.Duplicates {
				t.Errorf("received %d != forwarded %d + dropped %d + pending %d + relaying %d + duplicates %d", s.Received, s.Forwarded, s.Dropped, s.Pending, s.Relaying, s.Duplicates)
			}
		})
	}
}

// TestRecoveredRelayKeepsIdentityAndTime tests that a relayed recovered event carries the identity
// and the time it was stored with, and its stored id as the relay's idempotency key.
func TestRecoveredRelayKeepsIdentityAndTime(t *testing.T) {
	when := testOrigin - 90_000
	_, _, b := recoverRun(t, Settings{RelayURL: "https://relay.example/v1/events"}, 5,
		stored("a-7", user("alice"), when, "a", 1), identify(Str("bob")))
	batches := b.RelayBatches(10)
	if len(batches) != 1 {
		t.Fatalf("batches %d", len(batches))
	}
	body := batches[0].Body
	for _, want := range []string{`"id":"a-7"`, `"identity":"alice"`, `"timestamp":"` + relayTimestamp(when) + `"`, `"userpilot_user_id":"alice"`} {
		if !strings.Contains(body, want) {
			t.Errorf("body %s lacks %s", body, want)
		}
	}
	b.Receive(Input{Kind: InputRelayed, At: 20, Args: []Value{Num(float64(batches[0].ID)), Num(200), Obj("accepted", Arr(Str("a-7")))}})
	if s := b.Stats(); s.Recovered != 1 || s.Relayed != 1 {
		t.Fatalf("recovered %d relayed %d", s.Recovered, s.Relayed)
	}
}

// TestRecoveredOverflow tests that beyond MaxRecovered stored events the oldest are dropped.
func TestRecoveredOverflow(t *testing.T) {
	var inputs []Input
	for i := 0; i < MaxRecovered+5; i++ {
		// Newest first, so the order of arrival is not the order of time.
		inputs = append(inputs, stored("a-"+itoa(i), nil, testOrigin-float64(i)*10, "a", float64(i+1)))
	}
	calls, s, _ := recoverRun(t, Settings{}, 1e9, inputs...)
	if s.DropReasons[DropOverflow] != 5 || len(calls) != MaxRecovered || s.Recovered != MaxRecovered {
		t.Fatalf("overflow %d calls %d recovered %d", s.DropReasons[DropOverflow], len(calls), s.Recovered)
	}
	// The oldest (largest i, experience ids MaxRecovered+1 .. +5) are the ones gone; the rest go oldest first.
	if !strings.Contains(calls[0], "experience_id="+itoa(MaxRecovered)+",") || !strings.Contains(calls[len(calls)-1], "experience_id=1,") {
		t.Fatalf("first %s last %s", calls[0], calls[len(calls)-1])
	}
}

// TestRecoveredDedupePerSource tests that one occurrence stored by both roads is delivered once,
// and that stamps of two source pages never make different events one.
func TestRecoveredDedupePerSource(t *testing.T) {
	a := stored("a-1", nil, testOrigin-1000, "a", 1)
	a2 := stored("a-2", nil, testOrigin-1000, "a", 1) // same page, same task: the same occurrence
	b := stored("b-1", nil, testOrigin-1000, "b", 1)  // another page, same stamps: another occurrence
	calls, s, _ := recoverRun(t, Settings{}, 1e9, a, a2, b)
	if len(calls) != 2 || s.Duplicates != 1 {
		t.Fatalf("calls %v duplicates %d", calls, s.Duplicates)
	}
}

// TestRecoveredStoredAgain tests that events a page recovered and stored again under its own key,
// beside its own, keep the page that received them: the same stamps of two receiving pages are
// two occurrences, not one (WebKit lost such events as duplicates when pages were left quickly).
func TestRecoveredStoredAgain(t *testing.T) {
	fromA := stored("pagea-1", nil, testOrigin-2000, "pageb", 1) // received on page a, stored again by b
	fromB := stored("pageb-1", nil, testOrigin-1000, "pageb", 2) // b's own, another experience
	// with the same stamps: the first payload object of each page, in its first task
	fromA.Args[6], fromB.Args[6], fromB.Args[7] = Num(1), Num(1), fromA.Args[7]
	calls, s, _ := recoverRun(t, Settings{}, 1e9, fromA, fromB)
	if len(calls) != 2 || s.Duplicates != 0 {
		t.Fatalf("calls %v duplicates %d", calls, s.Duplicates)
	}
}

// TestMayPersist tests the answer's persist bit: on by default, off with persist false or while
// consent is withheld.
func TestMayPersist(t *testing.T) {
	def, _ := ParseSettings(Undefined())
	off, _ := ParseSettings(Obj("persist", Bool(false)))
	pending, _ := ParseSettings(Obj("consent", Str("pending")))
	for _, c := range []struct {
		s    Settings
		want bool
	}{{def, true}, {off, false}, {pending, false}} {
		if got := New(c.s).MayPersist(); got != c.want {
			t.Errorf("%+v: %v", c.s, got)
		}
	}
	b := New(def)
	b.SetConsent("denied")
	if b.MayPersist() {
		t.Error("denied consent may persist")
	}
}

// TestPersistedCounts tests the persisted and unpersisted counters and the engine's wake for held events.
func TestPersistedCounts(t *testing.T) {
	b := New(Settings{})
	b.Receive(Input{Kind: InputPersisted, Args: []Value{Num(4), Num(0)}})
	b.Receive(Input{Kind: InputPersisted, Args: []Value{Num(0), Num(3)}})
	if s := b.Stats(); s.Persisted != 4 || s.Unpersisted != 3 {
		t.Fatalf("persisted %d unpersisted %d", s.Persisted, s.Unpersisted)
	}
	if m := b.Messages(); len(m) != 1 || !strings.Contains(m[0].Text, DropStorageUnavailable) {
		t.Fatalf("messages %v", m)
	}
	b.SetPage("p", testOrigin, 0)
	b.Receive(stored("a-1", nil, testOrigin-5, "a", 1))
	if w := b.RecoveredWake(); w != 10+recoveredSettleMs {
		t.Fatalf("wake %v", w)
	}
}

// FuzzRecovered feeds arbitrary stored entries and identities: the bridge never panics and every
// recovered event is counted exactly once.
func FuzzRecovered(f *testing.F) {
	f.Add(`["a-1","alice",1799999999000,"a","event","started",0,1,1,["o",0,"id",1,"token","t"]]`, "alice", 5.0)
	f.Add(`["a-1",null,1,"a","interface","track","x",{}]`, "", 1e9)
	f.Add(`[1,2,3]`, "bob", 0.0)
	f.Fuzz(func(t *testing.T, args string, who string, until float64) {
		r := &jsonReader{s: args}
		v, err := r.readValue()
		if err != nil || v.Kind != KindArray {
			return
		}
		b := New(Settings{RelayURL: "https://relay.example/v1/events"})
		b.SetPage("p", testOrigin, 0)
		b.Receive(Input{Kind: InputRecovered, At: 1, Args: v.Items})
		if who != "" {
			b.Receive(identify(Str(who)))
		}
		b.RecoveredDue(until)
		b.Flush((&recorder{}).deliver)
		s := b.Stats()
		if s.Received != 1 || s.Received != s.Forwarded+s.Dropped+s.Pending+s.Relaying+s.Duplicates {
			t.Fatalf("counts %+v", s)
		}
	})
}

// TestEngineGiveAway tests that events another page claimed are not made here: a call in an answer
// the page has not applied is uncounted, and an event still held for Heap is dropped, both as
// claimed_elsewhere; the loader's event numbers ride on each track call.
func TestEngineGiveAway(t *testing.T) {
	e := NewEngine(`[null,"s",1700000000000,0]`)
	a := readAnswer(t, e.Step(msg(2, 0, 1, heapReady, nil, nil, nil, started(1, 7), identifyEntry("alice"), started(2, 8))))
	if len(a.Calls) != 3 || a.Calls[0][5] != 1.0 || a.Calls[2][5] != 2.0 {
		t.Fatalf("calls %v", a.Calls)
	}
	// The page was hidden; another page claimed event 2; the page applied the answer without its call.
	a = readAnswer(t, e.Step(msg(1, 1, 2, 0, nil, nil, nil, []any{"given", "", 0, 0, 2, 2}, started(3, 9))))
	s := a.Stats
	if s["forwarded"] != 1.0 || s["pending"] != 1.0 || s["dropped"] != 1.0 {
		t.Fatalf("stats %v", s)
	}
	if r := s["dropReasons"].(map[string]any); r[DropClaimedElsewhere] != 1.0 {
		t.Fatalf("reasons %v", r)
	}
	// Event 3 is held for Heap (heap state 0), then claimed too.
	a = readAnswer(t, e.Step(msg(0, 2, 3, 0, nil, nil, nil, []any{"given", "", 0, 0, 3, 3})))
	if a.Stats["forwarded"] != 1.0 {
		t.Fatalf("stats %v", a.Stats)
	}
	if s := a.Stats; s["pending"] != 0.0 || s["dropped"] != 2.0 || s["received"] != 3.0 {
		t.Fatalf("stats %v", s)
	}
}
