package bridge

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// relayPage drives a bridge whose Heap is blocked, with a relay configured.
type relayPage struct {
	t    *testing.T
	b    *Bridge
	heap *recorder
	task int
}

func newRelayPage(t *testing.T, s Settings) *relayPage {
	if s.RelayURL == "" {
		s.RelayURL = "https://relay.example.com/v1/events"
	}
	b := New(s)
	b.SetPage("p1", 1.7e12, 0)
	return &relayPage{t: t, b: b, heap: &recorder{absent: true}}
}

// started receives a distinct "started" event at page time at.
func (p *relayPage) started(id int, at float64) {
	p.task++
	p.b.Receive(Input{Kind: InputEvent, Name: "started", Args: []Value{Obj("id", Num(float64(id)))}, Task: p.task, At: at})
	p.b.Flush(p.heap.deliver)
}

type wireBatch struct {
	Events []struct {
		ID         string         `json:"id"`
		Name       string         `json:"name"`
		Properties map[string]any `json:"properties"`
		Identity   string         `json:"identity"`
		Timestamp  string         `json:"timestamp"`
	} `json:"events"`
}

func decodeBatch(t *testing.T, rb RelayBatch) wireBatch {
	t.Helper()
	var w wireBatch
	dec := json.NewDecoder(strings.NewReader(rb.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("batch body is not the wire format: %v\n%s", err, rb.Body)
	}
	return w
}

func ids(w wireBatch) []string {
	var out []string
	for _, e := range w.Events {
		out = append(out, e.ID)
	}
	return out
}

func answer(batch int, status int, body Value, at float64) Input {
	return Input{Kind: InputRelayed, Args: []Value{Num(float64(batch)), Num(float64(status)), body, Num(0), Str("")}, At: at}
}

func acceptAll(w wireBatch) Value {
	var items []Value
	for _, id := range ids(w) {
		items = append(items, Str(id))
	}
	return Obj("accepted", Arr(items...), "refused", Arr())
}

func checkBalance(t *testing.T, s Stats) {
	t.Helper()
	if s.Received != s.Forwarded+s.Dropped+s.Duplicates+s.Pending+s.Relaying {
		t.Fatalf("received %d != forwarded %d + dropped %d + duplicates %d + pending %d + relaying %d",
			s.Received, s.Forwarded, s.Dropped, s.Duplicates, s.Pending, s.Relaying)
	}
}

// TestRelayAfterHeapBlocked tests that events wait RelayAfter for Heap, then go to the relay once,
// in the wire format, and that a Heap loading later gets the identity and only the later events.
func TestRelayAfterHeapBlocked(t *testing.T) {
	p := newRelayPage(t, Settings{RelayAfter: 3000})
	p.b.Receive(identify(Str("alice")))
	p.started(1, 100)
	p.started(2, 200)
	if got := p.b.RelayBatches(2999); len(got) != 0 {
		t.Fatalf("relayed before relayAfter: %+v", got)
	}
	batches := p.b.RelayBatches(3000)
	if len(batches) != 1 || !batches[0].Keepalive || batches[0].URL != "https://relay.example.com/v1/events" {
		t.Fatalf("batches %+v", batches)
	}
	w := decodeBatch(t, batches[0])
	if got := strings.Join(ids(w), ","); got != "p1-1,p1-2" {
		t.Fatalf("ids %s", got)
	}
	e := w.Events[0]
	if e.Name != "Userpilot Experience (started)" || e.Identity != "alice" || e.Properties["experience_id"] != 1.0 ||
		e.Properties[UserIDProperty] != "alice" || e.Timestamp != "2023-11-14T22:13:20.100Z" {
		t.Fatalf("event %+v", e)
	}
	if s := p.b.Stats(); s.Pending != 0 || s.Relaying != 2 || s.Forwarded != 0 {
		t.Fatalf("in flight: %+v", s)
	}
	if again := p.b.RelayBatches(4000); len(again) != 0 {
		t.Fatalf("sent twice: %+v", again)
	}
	p.b.Receive(answer(batches[0].ID, 200, acceptAll(w), 3100))
	s := p.b.Stats()
	if s.Forwarded != 2 || s.Relayed != 2 || s.Relaying != 0 || s.Events["Userpilot Experience (started)"] != 2 {
		t.Fatalf("after answer: %+v", s)
	}
	// Heap loads late: it gets the identity owed and the next event, never the relayed ones.
	p.heap.absent = false
	p.started(3, 5000)
	if got := strings.Join(p.heap.calls, "|"); got != "identify alice|track Userpilot Experience (started) {experience_id=3,userpilot_user_id=alice}" {
		t.Fatalf("heap calls %q", got)
	}
	if got := p.b.RelayBatches(9000); len(got) != 0 {
		t.Fatalf("relayed with Heap loaded: %+v", got)
	}
	checkBalance(t, p.b.Stats())
}

// TestRelayNeedsIdentity tests that events without an identity wait for Heap instead.
func TestRelayNeedsIdentity(t *testing.T) {
	for _, s := range []Settings{{}, {Identity: "off"}} {
		p := newRelayPage(t, s)
		if s.Identity == "off" {
			p.b.Receive(identify(Str("alice")))
		}
		p.started(1, 0)
		if got := p.b.RelayBatches(1e6); len(got) != 0 {
			t.Fatalf("identity %q: relayed %+v", s.Identity, got)
		}
		if st := p.b.Stats(); st.Pending != 1 {
			t.Fatalf("not held: %+v", st)
		}
		p.heap.absent = false
		p.b.Flush(p.heap.deliver)
		if st := p.b.Stats(); st.Forwarded != 1 || st.Relayed != 0 {
			t.Fatalf("not delivered to Heap: %+v", st)
		}
	}
}

// TestRelayAnswers tests how each kind of answer settles a batch.
func TestRelayAnswers(t *testing.T) {
	cases := []struct {
		name                        string
		status                      int
		body                        func(w wireBatch) Value
		forwarded, dropped, waiting int
		reason                      string
	}{
		{"all accepted", 200, acceptAll, 2, 0, 0, ""},
		{"one refused, one missing", 200, func(w wireBatch) Value {
			return Obj("accepted", Arr(), "refused", Arr(Obj("id", Str(w.Events[0].ID), "reason", Str("invalid_identity: shared"))))
		}, 0, 2, 0, DropRelayRefused},
		{"bad request", 400, func(wireBatch) Value { return Obj("error", Str("unknown field")) }, 0, 2, 0, DropRelayRefused},
		{"forbidden", 403, func(wireBatch) Value { return Obj("error", Str("origin not allowed")) }, 0, 2, 0, DropRelayRefused},
		{"too large", 413, func(wireBatch) Value { return Undefined() }, 0, 2, 0, DropRelayRefused},
		{"rate limited", 429, func(wireBatch) Value { return Undefined() }, 0, 0, 2, ""},
		{"heap unavailable", 503, func(wireBatch) Value { return Undefined() }, 0, 0, 2, ""},
		{"network error", 0, func(wireBatch) Value { return Undefined() }, 0, 0, 2, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newRelayPage(t, Settings{})
			p.b.Receive(identify(Str("alice")))
			p.started(1, 0)
			p.started(2, 0)
			batches := p.b.RelayBatches(0)
			p.b.Receive(answer(batches[0].ID, c.status, c.body(decodeBatch(t, batches[0])), 10))
			s := p.b.Stats()
			if s.Forwarded != c.forwarded || s.Dropped != c.dropped || s.Relaying != c.waiting || (c.reason != "" && s.DropReasons[c.reason] != c.dropped) {
				t.Fatalf("stats %+v", s)
			}
			if c.dropped > 0 && len(p.b.Messages()) == 0 {
				t.Fatal("a refusal left no console message")
			}
			checkBalance(t, s)
		})
	}
}

// TestRelayRetries tests that unanswered batches go to the relay again with the same ids after a
// backoff, never to a Heap that loads meanwhile, and drop as relay_failed after the last try.
func TestRelayRetries(t *testing.T) {
	p := newRelayPage(t, Settings{})
	p.b.Receive(identify(Str("alice")))
	p.started(1, 0)
	now := 0.0
	first := p.b.RelayBatches(now)
	want := ids(decodeBatch(t, first[0]))
	p.heap.absent = false // Heap loads: the event in flight must still not reach it
	p.b.Flush(p.heap.deliver)
	batch := first[0]
	for try := 1; try < relayMaxAttempts; try++ {
		p.b.Receive(answer(batch.ID, 503, Undefined(), now))
		wait := relayFirstBackoff * float64(int(1)<<(try-1))
		if got := p.b.RelayBatches(now + wait - 1); len(got) != 0 {
			t.Fatalf("try %d sent before its backoff of %v ms", try, wait)
		}
		now += wait
		again := p.b.RelayBatches(now)
		if len(again) != 1 || strings.Join(ids(decodeBatch(t, again[0])), ",") != strings.Join(want, ",") {
			t.Fatalf("try %d: %+v", try, again)
		}
		batch = again[0]
	}
	p.b.Receive(answer(batch.ID, 503, Undefined(), now))
	s := p.b.Stats()
	if s.DropReasons[DropRelayFailed] != 1 || s.Relaying != 0 || s.Forwarded != 0 {
		t.Fatalf("after the last try: %+v", s)
	}
	for _, c := range p.heap.calls {
		if strings.HasPrefix(c, "track") {
			t.Fatalf("a relayed event reached Heap: %q", p.heap.calls)
		}
	}
	checkBalance(t, s)
}

// TestRelayRetryAfter tests that a longer Retry-After from the relay is honoured.
func TestRelayRetryAfter(t *testing.T) {
	p := newRelayPage(t, Settings{})
	p.b.Receive(identify(Str("alice")))
	p.started(1, 0)
	b := p.b.RelayBatches(0)[0]
	p.b.Receive(Input{Kind: InputRelayed, Args: []Value{Num(float64(b.ID)), Num(429), Undefined(), Num(30), Str("")}, At: 0})
	if got := p.b.RelayBatches(29999); len(got) != 0 {
		t.Fatal("Retry-After not honoured")
	}
	if got := p.b.RelayBatches(30000); len(got) != 1 {
		t.Fatal("not sent again after Retry-After")
	}
}

// TestRelayBatching tests that batches hold one identity, at most relayBatchEvents events, and
// that at most relayInFlightMax are in flight.
func TestRelayBatching(t *testing.T) {
	p := newRelayPage(t, Settings{})
	p.b.Receive(identify(Str("alice")))
	for i := 0; i < 60; i++ {
		p.started(i, 0)
	}
	p.b.Receive(identify(Str("bob")))
	for i := 60; i < 70; i++ {
		p.started(i, 0)
	}
	got := p.b.RelayBatches(0)
	if len(got) != relayInFlightMax {
		t.Fatalf("%d batches in flight", len(got))
	}
	w0, w1 := decodeBatch(t, got[0]), decodeBatch(t, got[1])
	if len(w0.Events) != relayBatchEvents || len(w1.Events) != 10 || w1.Events[0].Identity != "alice" {
		t.Fatalf("batch sizes %d, %d (%s)", len(w0.Events), len(w1.Events), w1.Events[0].Identity)
	}
	p.b.Receive(answer(got[0].ID, 200, acceptAll(w0), 0))
	rest := p.b.RelayBatches(0)
	if len(rest) != 1 || decodeBatch(t, rest[0]).Events[0].Identity != "bob" || len(decodeBatch(t, rest[0]).Events) != 10 {
		t.Fatalf("rest %+v", rest)
	}
	checkBalance(t, p.b.Stats())
}

// beaconed reports standby batches as sent by navigator.sendBeacon, taken or not.
func beaconed(ok bool, batches ...RelayBatch) Input {
	args := []Value{Bool(ok)}
	for _, rb := range batches {
		for _, id := range rb.IDs {
			args = append(args, Str(id))
		}
	}
	return Input{Kind: InputBeaconed, Args: args}
}

// TestRelayStandbyBeacon tests that the standby names held and retrying events, even before
// relayAfter, without sending them; that beacons the browser took settle those events as relayed
// once; and that refused ones stay for a later send.
func TestRelayStandbyBeacon(t *testing.T) {
	p := newRelayPage(t, Settings{RelayAfter: 60000})
	p.b.Receive(identify(Str("alice")))
	p.started(1, 0)
	p.started(2, 0)
	sb := p.b.Standby()
	if len(sb) != 1 || len(decodeBatch(t, sb[0]).Events) != 2 || strings.Join(sb[0].IDs, ",") != "p1-1,p1-2" {
		t.Fatalf("standby %+v", sb)
	}
	if s := p.b.Stats(); s.Pending != 2 || s.Relaying != 0 {
		t.Fatalf("the standby sent something: %+v", s)
	}
	p.b.Receive(beaconed(true, sb...))
	p.b.Receive(beaconed(true, sb...)) // the same report twice counts once
	if s := p.b.Stats(); s.Relayed != 2 || s.Forwarded != 2 || s.Pending != 0 {
		t.Fatalf("after beacon: %+v", s)
	}
	if got := p.b.Standby(); len(got) != 0 {
		t.Fatalf("standby after the beacon: %+v", got)
	}
	// A refused beacon leaves the event held: it still goes if the page stays.
	p.started(3, 20)
	p.b.Receive(beaconed(false, p.b.Standby()...))
	if s := p.b.Stats(); s.Pending != 1 || s.Dropped != 0 {
		t.Fatalf("refused beacon: %+v", s)
	}
	if got := p.b.RelayBatches(60000); len(got) != 1 || ids(decodeBatch(t, got[0]))[0] != "p1-3" {
		t.Fatalf("after relayAfter: %+v", got)
	}
	// An event in a request still unanswered can go by beacon too; the late answer does not count it again.
	sb = p.b.Standby()
	p.b.Receive(beaconed(true, RelayBatch{IDs: []string{"p1-3"}}))
	p.b.Receive(answer(3, 200, Obj("accepted", Arr(Str("p1-3")), "refused", Arr()), 60010))
	if s := p.b.Stats(); s.Relayed != 3 || s.Forwarded != 3 || s.Relaying != 0 {
		t.Fatalf("beacon then answer: %+v (standby %+v)", s, sb)
	}
	// With Heap loaded, the standby is empty.
	p.heap.absent = false
	p.started(4, 40)
	if got := p.b.Standby(); len(got) != 0 {
		t.Fatalf("standby with Heap loaded: %+v", got)
	}
	checkBalance(t, p.b.Stats())
}

// TestRelayStandbyFitsBeaconQuota tests that the standby stays within what sendBeacon may carry.
func TestRelayStandbyFitsBeaconQuota(t *testing.T) {
	p := newRelayPage(t, Settings{RelayAfter: 60000})
	p.b.Receive(identify(Str("alice")))
	long := strings.Repeat("x", 1000)
	for i := 0; i < 200; i++ {
		p.task++
		p.b.Receive(Input{Kind: InputEvent, Name: "started", Args: []Value{Obj("id", Num(float64(i)), "token", Str(long))}, Task: p.task})
		p.b.Flush(p.heap.deliver)
	}
	total := 0
	for _, rb := range p.b.Standby() {
		total += len(rb.Body)
	}
	if total == 0 || total > relayBeaconTotal {
		t.Fatalf("standby carries %d bytes, limit %d", total, relayBeaconTotal)
	}
}

// TestRelayOff tests that without relayUrl, or without consent, nothing goes to a relay.
func TestRelayOff(t *testing.T) {
	for _, s := range []Settings{{RelayURL: "-"}, {Consent: "pending"}} {
		if s.RelayURL == "-" {
			s.RelayURL = ""
		}
		b := New(s)
		r := &recorder{absent: true}
		b.Receive(identify(Str("alice")))
		b.Receive(ev("started", flow))
		b.Flush(r.deliver)
		if got := append(b.RelayBatches(1e9), b.Standby()...); len(got) != 0 {
			t.Fatalf("settings %+v: relayed %+v", s, got)
		}
	}
}

// TestRelayLargeEvent tests that an event too large for keepalive is sent plainly.
func TestRelayLargeEvent(t *testing.T) {
	p := newRelayPage(t, Settings{})
	p.b.Receive(identify(Str("alice")))
	var pairs []any
	for i := 0; i < 90; i++ {
		pairs = append(pairs, "k"+itoa(i), Str(strings.Repeat("x", 1000)))
	}
	p.task++
	p.b.Receive(Input{Kind: InputInterface, Name: MethodTrack, Args: []Value{Str("Big"), Obj(pairs...)}, Task: p.task})
	p.b.Flush(p.heap.deliver)
	got := p.b.RelayBatches(0)
	if len(got) != 1 || got[0].Keepalive || len(got[0].Body) <= relayKeepaliveMax {
		t.Fatalf("large batch: keepalive=%v size=%d", got[0].Keepalive, len(got[0].Body))
	}
}

// TestRelaySettings tests the relay settings' validation.
func TestRelaySettings(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	s, problems := ParseSettings(Obj("relayUrl", Str("/heap-relay/v1/events"), "relayAfter", Num(0), "relaySignature", Str(sig)))
	if len(problems) != 0 || s.RelayURL != "/heap-relay/v1/events" || s.RelayAfter != 0 || s.RelaySignature != sig {
		t.Fatalf("%+v %q", s, problems)
	}
	if s, _ := ParseSettings(Obj()); s.RelayAfter != DefaultRelayAfter {
		t.Fatalf("default relayAfter %v", s.RelayAfter)
	}
	for _, bad := range []Value{
		Obj("relayUrl", Str("relay.example.com")), Obj("relayUrl", Str("//relay.example.com")), Obj("relayUrl", Str("https://a b")),
		Obj("relayUrl", Num(1)), Obj("relayAfter", Num(-1)), Obj("relayAfter", Num(1e9)), Obj("relaySignature", Str("xyz")),
	} {
		s, problems := ParseSettings(bad)
		if len(problems) != 1 || s.RelayURL != "" || s.RelayAfter != DefaultRelayAfter || s.RelaySignature != "" {
			t.Errorf("%v: %+v %q", bad, s, problems)
		}
	}
}

// FuzzRelayWire tests that any event encodes to JSON that decodes back to the same strings.
func FuzzRelayWire(f *testing.F) {
	f.Add("Userpilot Experience (started)", "key", "value\u2028\"\\\x01", "alice", 3.5)
	f.Fuzz(func(t *testing.T, name, key, value, identity string, num float64) {
		if !isFinite(num) {
			num = 0
		}
		it := relayItem{identity: identity, call: Call{ID: "p-1", Event: name, Time: 1.7e12,
			Properties: []Property{{Key: key, Value: value}, {Key: "n", Value: num}, {Key: "b", Value: true}}}}
		body := encodeRelayEvents([]relayItem{it})
		var w wireBatch
		if err := json.Unmarshal([]byte(body), &w); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		e := w.Events[0]
		fix := func(s string) string { return string([]rune(s)) } // each invalid byte becomes U+FFFD
		if e.Name != fix(name) || e.Identity != fix(identity) || e.Properties["n"] != num || e.Properties["b"] != true {
			t.Fatalf("round trip %+v", e)
		}
		if key != "n" && key != "b" && utf8.ValidString(key) && e.Properties[key] != fix(value) {
			t.Fatalf("value %q came back as %q", value, e.Properties[key])
		}
	})
}

// TestRelayTimestamp tests the hand-written RFC 3339 rendering against the time package.
func TestRelayTimestamp(t *testing.T) {
	for _, ms := range []int64{0, 951782400000, 1709164800123, 1700000000100, 4102444799999, 253402300799999} {
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
		if got := relayTimestamp(float64(ms)); got != want {
			t.Errorf("%d: %s, want %s", ms, got, want)
		}
	}
	for ms := int64(0); ms < 5e12; ms += 86399999 * 7 {
		if got, want := relayTimestamp(float64(ms)), time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00"); got != want {
			t.Fatalf("%d: %s, want %s", ms, got, want)
		}
	}
}

// TestSharedChecks tests that the page applies the checks the relay applies: a rename to an
// invisible name is refused, and a reserved key drops with its own reason.
func TestSharedChecks(t *testing.T) {
	s, problems := ParseSettings(Obj("rename", Obj("Userpilot Experience (started)", Str("\u200b"))))
	if len(problems) != 1 || len(s.Rename) != 0 {
		t.Fatalf("rename to an invisible name: %+v %q", s.Rename, problems)
	}
	props := NewPropertySet()
	props.Add("a", Obj("constructor", Str("x"), "ok", Str("y")))
	props.Add(strings.Repeat("k", MaxPropertyKeyLen+1), Str("z"))
	if props.Drops[PropReservedKey] != 1 || props.Drops[PropKeyTooLong] != 1 || len(props.Properties()) != 1 {
		t.Fatalf("drops %v, kept %v", props.Drops, props.Properties())
	}
	for _, p := range props.Properties() {
		if CheckPropertyKey(p.Key) != "" {
			t.Fatalf("the page kept %q, which the relay refuses", p.Key)
		}
	}
}

// TestRelayStandbyWaitsForConsent tests that nothing is offered for a beacon while consent is
// pending, and that granting it offers the held events.
func TestRelayStandbyWaitsForConsent(t *testing.T) {
	p := newRelayPage(t, Settings{Consent: "pending"})
	p.b.Receive(identify(Str("alice")))
	p.started(1, 0)
	if got := append(p.b.RelayBatches(0), p.b.Standby()...); len(got) != 0 {
		t.Fatalf("offered under pending consent: %+v", got)
	}
	p.b.Receive(Input{Kind: InputConsent, Name: "granted"})
	p.b.Flush(p.heap.deliver)
	if got := p.b.Standby(); len(got) != 1 {
		t.Fatalf("after consent: %+v", got)
	}
}
