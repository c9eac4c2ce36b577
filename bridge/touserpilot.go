package bridge

import (
	"strings"
	"unicode"
)

// Heap to Userpilot in the page (docs/contract.md §7, setting toUserpilot): the app's own heap.track calls
// whose names match the events patterns become userpilot.track, and (userProperties)
// heap.addUserProperties becomes userpilot.identify with heap_-prefixed keys. The loader hands
// over only calls the page's own code made on window.heap, never the bridge's own.

// Reasons a mirrored call is not sent to Userpilot; counted in ToUserpilotStats.DropReasons.
const (
	UpNotListed       = "not_listed"     // the name matches no events pattern (deliberate: no warning)
	UpUserpilotOwn    = "userpilot_name" // the name starts with "Userpilot ": never sent back
	UpInvalidName     = "invalid_name"   // heap.track without a usable event name
	UpInvalidProps    = "invalid_properties"
	UpAnonymous       = "anonymous"           // Userpilot has no identified user (anonymous, clean, or a refused id)
	UpHeldFull        = "held_full"           // 100 calls were already waiting for userpilot.identify
	UpUserpilotErr    = "userpilot_error"     // userpilot.track or identify threw
	UpNoProperties    = "no_properties"       // addUserProperties with nothing Userpilot can take
	UpPropertiesOff   = "user_properties_off" // addUserProperties while the userProperties setting is off (deliberate)
	UpIdentityChanged = "identity_changed"    // Userpilot's user changed between the app's call and its sending
	UpEcho            = "echo"                // the name already carries the prefix: a mirrored call come back
)

// MaxMirrorHeld bounds the calls held until Userpilot has an identified user, and the tracks
// remembered for telling echoes.
const MaxMirrorHeld = 100

// EchoWindowMS is how long after the app's heap.track the same name and properties coming to Heap
// again are taken as Userpilot sending the bridge's userpilot.track back (with a copy of its
// properties, and no prefix to tell it by), so no call goes round forever. The price: with no
// prefix, an app's second identical call within that time is taken for an echo (docs/identity.md).
const EchoWindowMS = 1000

// sentTrack is a track sent to Userpilot: its name and properties, and when the app made it.
type sentTrack struct {
	key string
	at  float64
}

// ToUserpilotSettings is the toUserpilot setting after validation; Enabled is false when absent.
type ToUserpilotSettings struct {
	Enabled        bool
	Events         []string
	Prefix         string
	UserProperties bool
}

// UserpilotCall is one call to make on window.userpilot: track(Name, Properties) or
// identify(User, Properties).
type UserpilotCall struct {
	Method     string
	Name       string
	User       string
	Properties []Property
}

// ToUserpilotStats are stats().toUserpilot: received = forwarded + dropped + pending.
type ToUserpilotStats struct {
	Received, Forwarded, Dropped, Pending, IdentityMismatch int
	DropReasons, PropertyDrops                              map[string]int
}

// mirror is the Heap-to-Userpilot state of a bridge.
type mirror struct {
	held   []UserpilotCall
	sent   []sentTrack // tracks sent to Userpilot, oldest first, for telling their echoes
	out    []UserpilotCall
	stats  ToUserpilotStats
	ended  bool // userpilot.anonymous() or clean() since the last identify: calls are dropped
	warned map[string]bool
}

// mirrorHeapCall handles a call the page's own code made on window.heap.
func (b *Bridge) mirrorHeapCall(in Input) {
	s := b.settings.ToUserpilot
	if !s.Enabled {
		return
	}
	m := &b.mirror
	switch in.Name {
	case MethodTrack:
		m.stats.Received++
		b.mirrorTrack(arg(in.Args, 0), arg(in.Args, 1), in.At)
	case MethodAddUserProperties:
		m.stats.Received++
		if !s.UserProperties {
			m.stats.Dropped++
			m.stats.DropReasons[UpPropertiesOff]++
			return
		}
		props := b.mirrorProperties(arg(in.Args, 0), "heap_", "heap.addUserProperties")
		if props == nil {
			return
		}
		if len(props) == 0 {
			b.mirrorDrop(UpNoProperties, "heap.addUserProperties had no property Userpilot can take")
			return
		}
		b.mirrorSend(UserpilotCall{Method: "identify", Properties: props})
	case MethodIdentify:
		b.mirrorIdentify(arg(in.Args, 0))
	}
}

func (b *Bridge) mirrorTrack(name, props Value, at float64) {
	s := b.settings.ToUserpilot
	if name.Kind != KindString || CheckEventName(name.Str) != "" {
		b.mirrorDrop(UpInvalidName, "heap.track was called with an event name that is "+describe(name)+"; nothing sent to Userpilot")
		return
	}
	if isUserpilotName(name.Str) {
		b.mirrorDrop(UpUserpilotOwn, label(name.Str)+" starts with \"Userpilot \": Userpilot's own events never go back to it")
		return
	}
	if s.Prefix != "" && strings.HasPrefix(foldName(name.Str), foldName(s.Prefix)) {
		b.mirrorDrop(UpEcho, label(name.Str)+" already starts with the prefix "+label(s.Prefix)+": a call the bridge sent to Userpilot came back to Heap, and is not sent again")
		return
	}
	if !matchesAny(s.Events, name.Str) {
		b.mirror.stats.Dropped++
		b.mirror.stats.DropReasons[UpNotListed]++
		return
	}
	list := b.mirrorProperties(props, "", "heap.track("+label(name.Str)+")")
	if list == nil {
		return
	}
	if s.Prefix == "" && b.isEcho(name.Str, list, at) { // with a prefix, the prefix tells echoes
		b.mirrorDrop(UpEcho, "heap.track("+label(name.Str)+") came within "+itoa(EchoWindowMS)+" ms of the same call the bridge sent to Userpilot, with the same properties: Userpilot sent it back to Heap, and it is not sent again")
		return
	}
	full, _ := CutUTF16(validUTF8(s.Prefix+name.Str), MaxEventNameLen)
	b.mirrorSend(UserpilotCall{Method: "track", Name: full, Properties: list})
	b.mirror.sent = append(b.mirror.sent, sentTrack{key: trackKey(full, list), at: at})
	if len(b.mirror.sent) > MaxMirrorHeld {
		b.mirror.sent = b.mirror.sent[1:]
	}
}

// isEcho reports, and forgets, a track sent to Userpilot within EchoWindowMS before at whose name
// and properties are these: a copy coming back from Userpilot.
func (b *Bridge) isEcho(name string, props []Property, at float64) bool {
	key := trackKey(name, props)
	for i, t := range b.mirror.sent {
		if t.key == key && at-t.at <= EchoWindowMS {
			b.mirror.sent = append(b.mirror.sent[:i], b.mirror.sent[i+1:]...)
			return true
		}
	}
	return false
}

// trackKey is a track's name and properties as one string.
func trackKey(name string, props []Property) string { return name + "\x00" + fingerprintOf(props) }

// isUserpilotName tells a name of Userpilot's own ("Userpilot Experience (started)") in any case,
// after any kind of space, with any space after the word.
func isUserpilotName(name string) bool {
	rest, ok := strings.CutPrefix(foldName(name), "userpilot ")
	return ok && rest != ""
}

// foldName is a name as the loop guards compare it: compatibility forms folded, lower case, every
// kind of space one " ", invisible characters gone, no space at the start.
func foldName(name string) string {
	folded := strings.Map(func(r rune) rune {
		switch {
		case isSpace(r):
			return ' '
		case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
			return -1
		}
		return r
	}, strings.ToLower(compatFold(name)))
	return strings.TrimLeft(folded, " ")
}

// mirrorProperties applies Userpilot's value rules (docs/contract.md §7): strings and finite numbers kept,
// booleans as "true"/"false", dates as ISO 8601, nested objects flattened with dots, the rest
// dropped and counted. It returns nil, after counting the call, for properties that are not an object.
func (b *Bridge) mirrorProperties(v Value, prefix, what string) []Property {
	switch v.Kind {
	case KindUndefined, KindNull:
		return []Property{}
	case KindObject:
	default:
		b.mirrorDrop(UpInvalidProps, what+" was called with properties that are "+describe(v)+", expected an object")
		return nil
	}
	out := []Property{} // not nil: nil says the call was refused and counted
	var walk func(key string, v Value)
	walk = func(key string, v Value) {
		if v.Omitted > 0 {
			b.mirror.stats.PropertyDrops[PropSnapshotOmitted] += v.Omitted
		}
		switch v.Kind {
		case KindObject:
			for i, k := range v.Keys {
				if i < len(v.Items) {
					sub := k
					if key != "" {
						sub = key + "." + k
					}
					walk(sub, v.Items[i])
				}
			}
			return
		case KindString, KindDate, KindBigInt:
			out = b.mirrorProperty(out, prefix+key, validUTF8(v.Str))
			return
		case KindNumber:
			if isFinite(v.Num) {
				out = b.mirrorProperty(out, prefix+key, v.Num)
				return
			}
		case KindBool:
			out = b.mirrorProperty(out, prefix+key, scalarText(v))
			return
		}
		reason := PropUnsupported
		switch v.Kind {
		case KindCycle:
			reason = PropCycle
		case KindUnreadable:
			reason = PropUnreadable
		case KindTooDeep:
			reason = PropTooDeep
		}
		b.mirror.stats.PropertyDrops[reason]++
		b.mirrorNotice("prop:"+reason, what+" sent to Userpilot without "+label(key)+": "+reason)
	}
	walk("", v)
	return out
}

// mirrorProperty adds one property unless its key cannot be one (empty, reserved or too long).
func (b *Bridge) mirrorProperty(out []Property, key string, value any) []Property {
	if reason, _ := propertyKeyProblem(key); reason != "" {
		b.mirror.stats.PropertyDrops[reason]++
		return out
	}
	for _, p := range out {
		if p.Key == key {
			b.mirror.stats.PropertyDrops[PropDuplicateKey]++
			return out
		}
	}
	return append(out, Property{Key: key, Value: value})
}

// mirrorSend sends a call now when Userpilot has an identified user, holds it before the first
// identify, and drops it after anonymous() or clean().
func (b *Bridge) mirrorSend(c UserpilotCall) {
	m := &b.mirror
	user, ok := b.identity.User()
	switch {
	case ok:
		c.User = user
		m.out = append(m.out, c)
		m.stats.Forwarded++
	case m.ended:
		b.mirrorDrop(UpAnonymous, "Userpilot has no identified user (anonymous, clean, or an id the identity guard refused); the call was not sent to Userpilot")
	case len(m.held) >= MaxMirrorHeld:
		b.mirrorDrop(UpHeldFull, itoa(MaxMirrorHeld)+" calls are already waiting for userpilot.identify")
	default:
		m.held = append(m.held, c)
	}
}

// mirrorIdentified sends what was held, now that Userpilot has an identified user.
func (b *Bridge) mirrorIdentified() {
	m := &b.mirror
	m.ended = false
	held := m.held
	m.held = nil
	for _, c := range held {
		b.mirrorSend(c)
	}
}

// mirrorEnded drops what was held: the user Userpilot had (or would have had) is gone.
func (b *Bridge) mirrorEnded() {
	m := &b.mirror
	m.ended = true
	for range m.held {
		b.mirrorDrop(UpAnonymous, "Userpilot's user ended before it was identified; the held call was not sent")
	}
	m.held = nil
}

// mirrorIdentify compares the page's heap.identify with Userpilot's user: the bridge never changes
// Userpilot's identity, it says when the two disagree.
func (b *Bridge) mirrorIdentify(id Value) {
	user, ok := b.identity.User()
	heapID, why := CheckIdentity(id)
	if !ok || why != "" || heapID == user {
		return
	}
	b.mirror.stats.IdentityMismatch++
	b.mirrorNotice("identity-mismatch", "heap.identify("+label(heapID)+") differs from Userpilot's user "+label(user)+
		"; calls mirrored to Userpilot stay with Userpilot's user"+counted)
}

// heapUnwrapped says in the console that the app's calls to a Heap method cannot be mirrored.
func (b *Bridge) heapUnwrapped(in Input) {
	b.mirrorNotice("unwrapped:"+in.Name, "toUserpilot: window.heap."+cut(in.Name, 40)+" cannot be wrapped (a frozen object, a read-only property or a Proxy that ignores its target); the app's calls to it are not mirrored to Userpilot")
}

// userpilotFailed records that a Userpilot call of the mirror threw in the page, or was not made
// because Userpilot's user had changed since the app's call.
func (b *Bridge) userpilotFailed(in Input) {
	m := &b.mirror
	m.stats.Forwarded--
	method := "userpilot." + cut(arg(in.Args, 0).Str, 40)
	if in.Name == UpIdentityChanged {
		now := "no user"
		if u := arg(in.Args, 1); u.Kind == KindString {
			now = "the user " + label(u.Str)
		}
		b.mirrorDrop(UpIdentityChanged, method+" was bound to the user who was Userpilot's when the app called Heap, but Userpilot had "+now+" when it came to be sent")
		return
	}
	b.mirrorDrop(UpUserpilotErr, method+" threw: "+cut(arg(in.Args, 1).Str, 200))
}

func (b *Bridge) mirrorDrop(reason, why string) {
	m := &b.mirror
	m.stats.Dropped++
	m.stats.DropReasons[reason]++
	b.mirrorNotice("drop:"+reason, "toUserpilot: call dropped ("+reason+"): "+why+counted)
}

func (b *Bridge) mirrorNotice(key, text string) { b.notice("up:"+key, "warn", text) }

// UserpilotCalls returns and clears the Userpilot calls to make.
func (b *Bridge) UserpilotCalls() []UserpilotCall {
	out := b.mirror.out
	b.mirror.out = nil
	return out
}

// ToUserpilotStats returns a copy of the mirror's counters, and whether the mirror is on.
func (b *Bridge) ToUserpilotStats() (ToUserpilotStats, bool) {
	s := b.mirror.stats
	s.Pending = len(b.mirror.held)
	s.DropReasons = copyInts(s.DropReasons)
	s.PropertyDrops = copyInts(s.PropertyDrops)
	return s, b.settings.ToUserpilot.Enabled
}
