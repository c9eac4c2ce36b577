package bridge

import "errors"

// Input is one thing the loader saw happen in the page, in the order it happened.
type Input struct {
	Kind string
	Name string
	Args []Value
	// Ref numbers the payload object (0 when it was not an object); the same object delivered
	// twice has the same Ref.
	Ref int
	// Task numbers the page task the delivery happened in.
	Task int
	// Num numbers the events the loader posted, counted the same way on both sides (the engine
	// sets it); a track call carries its event's Num, so the page can tell which event it is for.
	Num int
	// At is when it happened, in milliseconds on the page's monotonic clock.
	At float64
}

// Message is a console line for the page's developers.
type Message struct {
	Level string // "warn", "info" or "debug"
	Text  string
}

// Bridge turns the loader's inputs into ordered Heap calls. It is not safe for concurrent use;
// the wasm edge drives it from one goroutine at a time.
type Bridge struct {
	settings Settings
	consent  string
	identity Identity
	dedupe   Deduper
	pending  []pendingCall
	stats    Stats
	messages []Message
	noticed  map[string]bool
	// userProps waits to follow the next heap.identify (the userProperties setting).
	userProps []Property
	relay     relayState
	seq       int     // last Call.Seq given
	mirror    mirror  // Heap to Userpilot (toUserpilot)
	replays   replays // the stub's calls Heap's SDK will make again
	recovered recoveredState
}

// New returns a bridge with the given settings.
func New(s Settings) *Bridge {
	if s.Consent == "" {
		s.Consent = "granted"
	}
	return &Bridge{
		settings: s,
		consent:  s.Consent,
		stats:    Stats{DropReasons: map[string]int{}, PropertyDrops: map[string]int{}, Events: map[string]int{}, InterfaceIgnored: map[string]int{}},
		noticed:  map[string]bool{},
		mirror:   mirror{stats: ToUserpilotStats{DropReasons: map[string]int{}, PropertyDrops: map[string]int{}}},
	}
}

// Receive handles one input: it updates identity, or normalises an event and queues its calls.
func (b *Bridge) Receive(in Input) {
	switch in.Kind {
	case InputEvent:
		b.settleIdentity()
		b.receiveEvent(in)
	case InputIdentify, InputRestore:
		defer b.settleIdentity()
		var calls []Call
		var why string
		if in.Kind == InputIdentify {
			calls, why = b.identity.Identify(arg(in.Args, 0))
		} else {
			calls, why = b.identity.Restore(arg(in.Args, 0))
		}
		if why != "" {
			b.stats.IdentityRejected++
			b.userProps = nil
			b.notice("identity:"+why, "warn", "userpilot.identify() id not sent to Heap: "+why+counted)
		}
		b.queueIdentity(calls...)
		if why == "" {
			b.takeUserProperties(arg(in.Args, 1))
			b.mirrorIdentified()
		} else if _, ok := b.identity.User(); !ok {
			b.mirrorEnded()
		}
	case InputAnonymous, InputClean:
		b.endIdentity()
		b.settleIdentity()
	case InputInterface:
		if in.Name == MethodTrack {
			b.settleIdentity()
		}
		b.receiveInterface(in)
	case InputConsent:
		b.SetConsent(in.Name)
	case InputSettings:
		b.Reconfigure(arg(in.Args, 0))
	case InputRelayed:
		b.relayAnswered(in)
	case InputBeaconed:
		b.beaconed(in)
	case InputHeapCall:
		if !b.replays.isReplay(in) {
			b.mirrorHeapCall(in)
		}
	case InputStubCall:
		b.replays.record(in)
		b.mirrorHeapCall(in)
	case InputOwnStubCall:
		b.replays.record(in)
	case InputHeapLoaded:
		b.replays.loaded(in.At)
	case InputUserpilotFailed:
		b.userpilotFailed(in)
	case InputUnwrapped:
		b.heapUnwrapped(in)
	case InputRecovered:
		b.receiveRecovered(in)
	case InputUnrecovered:
		b.countUnrecovered(in)
	case InputPersisted:
		b.persisted(in)
	default:
		b.notice("input:"+in.Kind, "warn", "internal: unknown input "+label(in.Kind))
	}
}

// RecordDrop counts an event that never reached the core (loader overflow, a conversion panic).
func (b *Bridge) RecordDrop(reason, why string, n int) {
	if n <= 0 {
		return
	}
	b.stats.Received += n
	b.drop(reason, why, n)
}

func (b *Bridge) receiveEvent(in Input) {
	b.stats.Received++
	ev, reason, why := NormaliseOnEvent(in.Name, arg(in.Args, 0), b.settings.ExtraEvents)
	b.forward(in, ev, reason, why, RoadOn)
}

// receiveInterface handles a call Userpilot made on the bridge's Heap interface.
func (b *Bridge) receiveInterface(in Input) {
	switch in.Name {
	case MethodTrack:
		b.stats.Received++
		ev, reason, why := NormaliseInterfaceTrack(arg(in.Args, 0), arg(in.Args, 1))
		b.forward(in, ev, reason, why, RoadInterface)
	case MethodIdentify:
		b.Receive(Input{Kind: InputIdentify, Args: in.Args})
	case MethodResetIdentity:
		b.endIdentity()
	case MethodAddUserProperties:
		props := UserProperties(arg(in.Args, 0), nil)
		b.countProperties(props, "")
		if len(props.Properties()) > 0 {
			b.owedIdentity() // properties belong to the identified user
			b.queue(Call{Method: MethodAddUserProperties, Properties: props.Properties()})
		}
	default:
		name := validUTF8(in.Name)
		name, _ = CutUTF16(name, 40)
		b.stats.InterfaceIgnored[name]++
		b.notice("iface:"+name, "info", "Userpilot called heap."+name+" on the bridge's Heap interface; the bridge does not forward it"+counted)
	}
}

// refusedBySettings drops an event the events setting excludes or that consent refuses, and says so.
func (b *Bridge) refusedBySettings(name string) bool {
	if !b.settings.Allowed(name) {
		b.drop(DropFiltered, label(name)+" is excluded by the events setting", 1)
		return true
	}
	if b.consent == "denied" {
		b.drop(DropConsentDenied, "consent is denied", 1)
		return true
	}
	return false
}

// forward dedupes a normalised event, adds the user id and queues its track call.
func (b *Bridge) forward(in Input, ev Event, reason, why, road string) {
	if reason != "" {
		b.drop(reason, why, 1)
		return
	}
	if b.dedupe.Seen(ev.Name, ev.ID, in.Ref, in.Task, road, in.At) {
		b.stats.Duplicates++
		if b.settings.Debug {
			b.debug("duplicate " + label(ev.Name) + " ignored")
		}
		return
	}
	if b.refusedBySettings(ev.Name) {
		return
	}
	name := ev.Name
	if to, ok := b.settings.Rename[name]; ok {
		name = to
	}
	b.owedIdentity()
	if user, ok := b.identity.User(); ok {
		ev.Properties.SetReserved(UserIDProperty, user)
	}
	ev.Properties.ApplyRules(b.settings.DropProperties, b.settings.MaskProperties)
	b.countProperties(ev.Properties, name)
	if b.settings.Debug {
		b.debug("received " + label(in.Name) + " by " + road + " as " + label(name))
	}
	c := Call{Method: MethodTrack, Event: name, Properties: ev.Properties.Properties(), ID: b.nextEventID(), Time: b.relay.origin + in.At, Src: in.Num}
	if user, ok := b.identity.User(); ok && b.settings.Identity != "off" {
		c.User = user // the relay sends the event as this user; Heap's server API needs one
	}
	b.queueEvent(c)
}

// owedIdentity queues the identify owed before the next event, and the user properties that
// follow it.
func (b *Bridge) owedIdentity() {
	calls := b.identity.BeforeEvent()
	b.queueIdentity(calls...)
	if len(calls) > 0 && b.userProps != nil && b.settings.Identity != "off" {
		b.queue(Call{Method: MethodAddUserProperties, Properties: b.userProps})
		b.userProps = nil
	}
}

// takeUserProperties keeps the identify properties the userProperties setting names; they go out
// now if Heap already holds this user, else right after the identify owed.
func (b *Bridge) takeUserProperties(v Value) {
	if len(b.settings.UserProperties) == 0 || b.settings.Identity == "off" {
		return
	}
	props := UserProperties(v, b.settings.UserProperties)
	b.countProperties(props, "heap.addUserProperties")
	if len(props.Properties()) == 0 {
		return
	}
	if b.identity.Synced() {
		b.queue(Call{Method: MethodAddUserProperties, Properties: props.Properties()})
		return
	}
	b.userProps = props.Properties()
}

// endIdentity handles the user leaving (anonymous, clean, or resetIdentity through the interface).
func (b *Bridge) endIdentity() {
	b.userProps = nil
	b.mirrorEnded()
	b.queueIdentity(b.identity.End()...)
}

// queueIdentity queues identify and resetIdentity calls unless the identity setting is "off".
func (b *Bridge) queueIdentity(calls ...Call) {
	if b.settings.Identity == "off" {
		return
	}
	b.queue(calls...)
}

// SetConsent applies a consent state: "pending" holds calls, "denied" drops held and new events,
// "granted" delivers what was held. Nothing reaches Heap unless consent is granted.
func (b *Bridge) SetConsent(state string) {
	if !contains(ConsentStates, state) {
		b.notice("consent:"+state, "warn", "setConsent("+label(state)+") ignored; expected one of \"granted\", \"pending\", \"denied\"")
		return
	}
	b.consent = state
	if state != "denied" {
		return
	}
	kept := b.pending[:0]
	for _, p := range b.pending {
		if p.isEvent {
			b.stats.Pending--
			b.drop(DropConsentDenied, "consent was denied while it waited", 1)
			continue
		}
		kept = append(kept, p) // identity stays in step, delivered if consent is granted later
	}
	b.pending = kept
}

// Reconfigure applies settings passed to configure() after the module started.
func (b *Bridge) Reconfigure(v Value) {
	s, problems := ParseSettings(v)
	for _, p := range problems {
		b.notice("settings:"+p, "warn", p)
	}
	if s.WasmURL != "" && s.WasmURL != b.settings.WasmURL {
		b.notice("settings:late-wasmUrl", "warn", `setting "wasmUrl" applies only before the module loads; ignored`)
	}
	if (s.WorkerURL != "" && s.WorkerURL != b.settings.WorkerURL) || (hasKey(v, "thread") && s.Thread != b.settings.Thread) {
		b.notice("settings:late-thread", "warn", `settings "workerUrl" and "thread" apply only before the module loads; ignored`)
	}
	s.WasmURL, s.Load, s.WorkerURL, s.Thread = b.settings.WasmURL, b.settings.Load, b.settings.WorkerURL, b.settings.Thread
	consent := s.Consent
	if !hasKey(v, "consent") {
		consent = b.consent
	}
	b.settings = s
	b.SetConsent(consent)
}

func hasKey(v Value, key string) bool {
	_, ok := v.Field(key)
	return ok
}

// countProperties records a property set's drops and cuts, naming the first drop once; event names
// the event the properties belong to, "" for user properties.
func (b *Bridge) countProperties(props *PropertySet, event string) {
	for reason, n := range props.Drops {
		b.stats.PropertyDrops[reason] += n
	}
	b.stats.Truncated += props.Truncated
	if props.FirstDrop != "" {
		what := "heap.addUserProperties"
		if event != "" {
			what = label(event)
		}
		b.notice("prop:"+props.FirstDrop, "warn", what+" sent without "+props.FirstDrop+counted)
	}
}

func (b *Bridge) queue(calls ...Call) {
	for _, c := range calls {
		b.seq++
		c.Seq = b.seq
		b.pending = append(b.pending, pendingCall{call: c})
	}
}

func (b *Bridge) queueEvent(c Call) {
	if b.stats.Pending >= MaxPending {
		if b.consent == "pending" {
			b.drop(DropConsentQueueFull, itoa(MaxPending)+" events are already waiting for consent", 1)
		} else {
			b.drop(DropHeapUnavailable, "window.heap is not available and "+itoa(MaxPending)+" events are already waiting for it", 1)
		}
		return
	}
	b.stats.Pending++
	b.seq++
	c.Seq = b.seq
	b.pending = append(b.pending, pendingCall{call: c, isEvent: true})
}

// Flush delivers queued calls in order until deliver reports ErrHeapNotReady.
func (b *Bridge) Flush(deliver func(Call) error) {
	for len(b.pending) > 0 && b.consent == "granted" {
		p := b.pending[0]
		err := deliver(p.call)
		b.relay.blocked = errors.Is(err, ErrHeapNotReady)
		if b.relay.blocked {
			return
		}
		b.pending = b.pending[1:]
		if p.isEvent {
			b.stats.Pending--
		}
		if err != nil {
			if p.isEvent {
				b.drop(DropHeapError, "heap.track threw: "+err.Error(), 1)
			} else {
				b.notice("heaperr:"+p.call.Method, "warn", "heap."+p.call.Method+" failed and was skipped: "+err.Error())
			}
			continue
		}
		b.count(p.call, 1)
		if p.call.Method == MethodTrack && b.settings.Debug {
			b.debug("forwarded " + label(p.call.Event))
		}
	}
}

// count adds n (1 or -1) to the counters of a call made on Heap.
func (b *Bridge) count(c Call, n int) { countCall(&b.stats, c, n) }

// countCall adds n (1 or -1) to the counters s keeps of a call made on Heap.
func countCall(s *Stats, c Call, n int) {
	switch c.Method {
	case MethodTrack:
		s.Forwarded += n
		if c.Recovered {
			s.Recovered += n
		}
		s.Events[c.Event] += n
		if s.Events[c.Event] == 0 {
			delete(s.Events, c.Event)
		}
	case MethodIdentify:
		s.Identifies += n
	case MethodResetIdentity:
		s.Resets += n
	}
}

// Requeue puts back calls that Flush handed over but the page could not make (window.heap changed
// before the call): they are no longer counted, and wait at their place in the order.
func (b *Bridge) Requeue(calls []Call) {
	for _, c := range calls {
		b.count(c, -1)
		p := pendingCall{call: c, isEvent: c.Method == MethodTrack, requeued: true}
		if p.isEvent {
			b.stats.Pending++
		}
		i := len(b.pending)
		for i > 0 && b.pending[i-1].call.Seq > c.Seq {
			i--
		}
		b.pending = append(b.pending, pendingCall{})
		copy(b.pending[i+1:], b.pending[i:])
		b.pending[i] = p
	}
}

// Requeued returns the sequence numbers of calls given back by the page that still wait here.
func (b *Bridge) Requeued() []int {
	var out []int
	for _, p := range b.pending {
		if p.requeued {
			out = append(out, p.call.Seq)
		}
	}
	return out
}

// Undelivered records that a call Flush handed over failed when the page made it (heap.* threw):
// a track call is dropped with the reason, an identity call is skipped with a warning.
func (b *Bridge) Undelivered(c Call, why string) {
	b.count(c, -1)
	why = cut(why, 200)
	if c.Method == MethodTrack {
		b.drop(DropHeapError, "heap.track threw: "+why, 1)
		return
	}
	b.notice("heaperr:"+c.Method, "warn", "heap."+c.Method+" failed and was skipped: "+why)
}

// Waiting reports whether calls are held for window.heap or the relay (not for consent, which a
// call ends).
func (b *Bridge) Waiting() bool {
	return (len(b.pending) > 0 || len(b.relay.retry) > 0) && b.consent == "granted"
}

// Settings returns the settings in force.
func (b *Bridge) Settings() Settings { return b.settings }

// Stats returns a copy of the counters.
func (b *Bridge) Stats() Stats {
	s := b.stats
	s.Relaying = b.relaying()
	s.Pending += len(b.recovered.held) // stored events waiting for this page's identity
	s.DropReasons = copyInts(b.stats.DropReasons)
	s.PropertyDrops = copyInts(b.stats.PropertyDrops)
	s.Events = copyInts(b.stats.Events)
	s.InterfaceIgnored = copyInts(b.stats.InterfaceIgnored)
	return s
}

// Messages returns and clears the console lines produced since the last call.
func (b *Bridge) Messages() []Message {
	m := b.messages
	b.messages = nil
	return m
}

// Warn records a console warning once per key, for problems found outside the core.
func (b *Bridge) Warn(key, text string) { b.notice(key, "warn", text) }

// counted ends a message about input the bridge refuses again each time, and counts.
const counted = " (repeats are counted in UserpilotHeapBridge.stats())"

// deliberateDrops follow the page's own settings: counted, but no warning.
var deliberateDrops = map[string]bool{DropFiltered: true, DropConsentDenied: true, DropClaimedElsewhere: true}

func (b *Bridge) drop(reason, why string, n int) {
	b.stats.Dropped += n
	b.stats.DropReasons[reason] += n
	if deliberateDrops[reason] {
		b.debug("event dropped (" + reason + "): " + why)
		return
	}
	b.notice("drop:"+reason, "warn", "event dropped ("+reason+"): "+why+counted)
}

// notice adds a message the first time key is seen, so bad input cannot flood the console.
func (b *Bridge) notice(key, level, text string) {
	if b.noticed[key] {
		return
	}
	b.noticed[key] = true
	b.messages = append(b.messages, Message{Level: level, Text: text})
}

func (b *Bridge) debug(text string) {
	if b.settings.Debug {
		b.messages = append(b.messages, Message{Level: "debug", Text: text})
	}
}

func arg(args []Value, i int) Value {
	if i < len(args) {
		return args[i]
	}
	return Value{Kind: KindUndefined}
}

func copyInts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
