package bridge

import "errors"

// Input kinds the loader sends.
const (
	InputEvent     = "event"     // a Userpilot `on` event: Name, Args[0] = payload
	InputIdentify  = "identify"  // userpilot.identify(Args[0], Args[1])
	InputRestore   = "restore"   // an identity recovered from Userpilot's queue or storage
	InputAnonymous = "anonymous" // userpilot.anonymous()
	InputClean     = "clean"     // userpilot.clean()
	InputInterface = "interface" // Userpilot called heap.<Name>(Args...) on the bridge's Heap interface
)

// Input is one thing the loader saw happen in the page, in the order it happened.
type Input struct {
	Kind string  `js:"k"`
	Name string  `js:"n"`
	Args []Value `js:"a"`
	// Ref numbers the payload object (0 when it was not an object); the same object delivered
	// twice has the same Ref.
	Ref int `js:"r"`
	// Task numbers the page task the delivery happened in.
	Task int `js:"t"`
	// At is when it happened, in milliseconds on the page's monotonic clock.
	At float64 `js:"at"`
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
	identity Identity
	dedupe   Deduper
	pending  []pendingCall
	stats    Stats
	messages []Message
	noticed  map[string]bool
}

// New returns a bridge with the given settings.
func New(s Settings) *Bridge {
	return &Bridge{
		settings: s,
		stats:    Stats{DropReasons: map[string]int{}, PropertyDrops: map[string]int{}, Events: map[string]int{}, InterfaceIgnored: map[string]int{}},
		noticed:  map[string]bool{},
	}
}

// Receive handles one input: it updates identity, or normalises an event and queues its calls.
func (b *Bridge) Receive(in Input) {
	switch in.Kind {
	case InputEvent:
		b.receiveEvent(in)
	case InputIdentify, InputRestore:
		var calls []Call
		var why string
		if in.Kind == InputIdentify {
			calls, why = b.identity.Identify(arg(in.Args, 0))
		} else {
			calls, why = b.identity.Restore(arg(in.Args, 0))
		}
		if why != "" {
			b.stats.IdentityRejected++
			b.notice("identity:"+why, "warn", "userpilot.identify() id not sent to Heap: "+why)
		}
		b.queue(calls...)
	case InputAnonymous, InputClean:
		b.queue(b.identity.End()...)
	case InputInterface:
		b.receiveInterface(in)
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
		b.queue(b.identity.End()...)
	case MethodAddUserProperties:
		props := UserProperties(arg(in.Args, 0), nil)
		b.countProperties(props, "heap.addUserProperties")
		if len(props.Properties()) > 0 {
			b.queue(b.identity.BeforeEvent()...) // properties belong to the identified user
			b.queue(Call{Method: MethodAddUserProperties, Properties: props.Properties()})
		}
	default:
		name := validUTF8(in.Name)
		name, _ = CutUTF16(name, 40)
		b.stats.InterfaceIgnored[name]++
		b.notice("iface:"+name, "info", "Userpilot called heap."+name+" on the bridge's Heap interface; the bridge does not forward it")
	}
}

// forward dedupes a normalised event, adds the user id and queues its track call.
func (b *Bridge) forward(in Input, ev Event, reason, why, road string) {
	if reason != "" {
		b.drop(reason, why, 1)
		return
	}
	if b.dedupe.Seen(ev.Name, ev.ID, in.Ref, in.Task, road, in.At) {
		b.stats.Duplicates++
		b.debug("duplicate " + label(ev.Name) + " ignored")
		return
	}
	b.queue(b.identity.BeforeEvent()...)
	if user, ok := b.identity.User(); ok {
		ev.Properties.SetReserved(UserIDProperty, user)
	}
	b.countProperties(ev.Properties, label(ev.Name))
	b.debug("received " + label(in.Name) + " by " + road + " as " + label(ev.Name))
	b.queueEvent(Call{Method: MethodTrack, Event: ev.Name, Properties: ev.Properties.Properties()})
}

// countProperties records a property set's drops and cuts, naming the first drop once.
func (b *Bridge) countProperties(props *PropertySet, what string) {
	for reason, n := range props.Drops {
		b.stats.PropertyDrops[reason] += n
	}
	b.stats.Truncated += props.Truncated
	if props.FirstDrop != "" {
		b.notice("prop:"+props.FirstDrop, "warn", what+" sent without "+props.FirstDrop)
	}
}

func (b *Bridge) queue(calls ...Call) {
	for _, c := range calls {
		b.pending = append(b.pending, pendingCall{call: c})
	}
}

func (b *Bridge) queueEvent(c Call) {
	if b.stats.Pending >= MaxPending {
		b.drop(DropHeapUnavailable, "window.heap is not available and "+itoa(MaxPending)+" events are already waiting for it", 1)
		return
	}
	b.stats.Pending++
	b.pending = append(b.pending, pendingCall{call: c, isEvent: true})
}

// Flush delivers queued calls in order until deliver reports ErrHeapNotReady.
func (b *Bridge) Flush(deliver func(Call) error) {
	for len(b.pending) > 0 {
		p := b.pending[0]
		err := deliver(p.call)
		if errors.Is(err, ErrHeapNotReady) {
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
				b.notice("heaperr:"+p.call.Method, "warn", "heap."+p.call.Method+" threw: "+err.Error())
			}
			continue
		}
		switch p.call.Method {
		case MethodTrack:
			b.stats.Forwarded++
			b.stats.Events[p.call.Event]++
			b.debug("forwarded " + label(p.call.Event))
		case MethodIdentify:
			b.stats.Identifies++
		case MethodResetIdentity:
			b.stats.Resets++
		}
	}
}

// Waiting reports whether calls are held for window.heap.
func (b *Bridge) Waiting() bool { return len(b.pending) > 0 }

// Stats returns a copy of the counters.
func (b *Bridge) Stats() Stats {
	s := b.stats
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

func (b *Bridge) drop(reason, why string, n int) {
	b.stats.Dropped += n
	b.stats.DropReasons[reason] += n
	b.notice("drop:"+reason, "warn", "event dropped ("+reason+"): "+why)
}

// notice adds a message the first time key is seen, so bad input cannot flood the console.
func (b *Bridge) notice(key, level, text string) {
	if b.noticed[key] {
		return
	}
	b.noticed[key] = true
	b.messages = append(b.messages, Message{Level: level, Text: text + " (repeats are counted in UserpilotHeapBridge.stats())"})
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
