package bridge

import "strings"

// Leaving the page (docs/contract.md §9): when a page is hidden, the loader writes the events it
// received and has not seen delivered to the origin's storage; a later page of the origin claims
// them and hands each one here as an InputRecovered. What a recovered event may become is decided
// here, once: heap.track only under the identity it was received with, else the relay with that
// identity and its own time, else a drop with a named reason.

// Drop reasons for events stored by a page that was left.
const (
	DropIdentityChanged    = "identity_changed"    // the later page had another identity, or none, and no relay was configured
	DropExpired            = "expired"             // stored more than RecoveredMaxAgeMs before it was claimed
	DropOverflow           = "overflow"            // more than MaxRecovered stored events: the oldest go first
	DropStorageUnavailable = "storage_unavailable" // storage threw, so a stored event could not be claimed safely
	DropClaimedElsewhere   = "claimed_elsewhere"   // written when this page was hidden, then claimed and delivered by another page
)

const (
	// MaxRecovered is how many stored events a page takes in; beyond it the oldest are dropped.
	MaxRecovered = 1000
	// RecoveredMaxAgeMs is how old a stored event may be and still be delivered.
	RecoveredMaxAgeMs = 24 * 60 * 60 * 1000
	// recoveredSettleMs is how long recovered events wait for the page to say who its user is
	// (an identify, anonymous or clean, or an event of its own) before they are decided on.
	recoveredSettleMs = 3000
)

// recoveredEvent is one stored event, waiting for the page's identity to be known.
type recoveredEvent struct {
	id       string
	identity string
	known    bool    // identity is a user, not none
	time     float64 // epoch ms
	source   string  // the page that stored it
	entry    Input   // the original entry, as the loader saw it on that page
	num      int     // the loader's number for the InputRecovered on this page
}

// recoveredState holds stored events until this page's identity is known.
type recoveredState struct {
	held    []recoveredEvent
	until   float64             // page ms by which held events are decided on anyway
	settled bool                // this page has said who its user is, or emitted an event
	dedupe  map[string]*Deduper // per source page, so stamps from different pages never meet
	sources map[string]bool     // source pages seen, for the debug line
	ids     map[string]bool     // ids taken in, so an entry claimed twice counts once
}

// receiveRecovered takes in one stored event.
func (b *Bridge) receiveRecovered(in Input) {
	b.stats.Received++
	r, ok := readRecovered(in)
	r.num = in.Num
	if !ok {
		b.drop(DropInternalError, "internal: a stored event could not be read", 1)
		return
	}
	st := &b.recovered
	if st.ids == nil {
		st.ids = map[string]bool{}
	}
	if st.ids[r.id] {
		b.stats.Duplicates++
		return
	}
	st.ids[r.id] = true
	if now := b.relay.origin + in.At; r.time < now-RecoveredMaxAgeMs {
		b.drop(DropExpired, "an event stored by an earlier page is more than 24 hours old", 1)
		return
	}
	if len(st.held) == 0 {
		st.until = in.At + recoveredSettleMs
	}
	// Held oldest first: stored pages arrive mostly in order, so the place is found from the end
	// (a sort would link the sorting package into the module).
	i := len(st.held)
	for i > 0 && st.held[i-1].time > r.time {
		i--
	}
	st.held = append(st.held, recoveredEvent{})
	copy(st.held[i+1:], st.held[i:])
	st.held[i] = r
	if len(st.held) > MaxRecovered {
		b.overflowRecovered()
	}
	if st.settled {
		b.releaseRecovered()
	}
}

// receivedOn is the page that received an event: its id is "<page id>-<n>" (docs/protocol.md).
// The key it was stored under is not enough: a page left before delivering what it recovered
// stores those events again under its own key, and stamps (ref, task) mean something only on
// the page that made them.
func receivedOn(id, storedBy string) string {
	if i := strings.LastIndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return storedBy
}

// readRecovered reads an InputRecovered's arguments.
func readRecovered(in Input) (recoveredEvent, bool) {
	if len(in.Args) < 9 {
		return recoveredEvent{}, false
	}
	id, who, at, src := in.Args[0], in.Args[1], in.Args[2], in.Args[3]
	kind, name, ref, task, when := in.Args[4], in.Args[5], in.Args[6], in.Args[7], in.Args[8]
	if id.Kind != KindString || id.Str == "" || at.Kind != KindNumber || src.Kind != KindString ||
		kind.Kind != KindString || name.Kind != KindString {
		return recoveredEvent{}, false
	}
	r := recoveredEvent{id: id.Str, time: at.Num, source: receivedOn(id.Str, src.Str),
		entry: Input{Kind: kind.Str, Name: name.Str, Ref: int(ref.Num), Task: int(task.Num), At: when.Num, Args: in.Args[9:]}}
	if !isEventInput(r.entry) || r.entry.Kind == InputRecovered {
		return recoveredEvent{}, false
	}
	if user, why := CheckIdentity(who); who.Kind != KindNull && why == "" {
		r.identity, r.known = user, true
	}
	return r, true
}

// overflowRecovered keeps the newest MaxRecovered held events and drops the others as overflow.
func (b *Bridge) overflowRecovered() {
	held := b.recovered.held
	n := len(held) - MaxRecovered
	b.drop(DropOverflow, itoa(n)+" events stored by earlier pages were over the limit of "+itoa(MaxRecovered), n)
	b.recovered.held = append(held[:0:0], held[n:]...)
}

// countUnrecovered counts stored events the loader could not hand over.
func (b *Bridge) countUnrecovered(in Input) {
	n := int(arg(in.Args, 0).Num)
	if n <= 0 || n > 1<<20 {
		return
	}
	switch in.Name {
	case DropOverflow:
		b.RecordDrop(DropOverflow, itoa(n)+" events stored by earlier pages were over the limit of "+itoa(MaxRecovered), n)
	case DropStorageUnavailable:
		b.RecordDrop(DropStorageUnavailable, "storage threw while stored events were claimed; they are not delivered, so no other tab delivers them twice", n)
	default:
		b.RecordDrop(DropInternalError, "internal: stored events lost for "+label(in.Name), n)
	}
}

// persisted counts what the page wrote when it was hidden.
func (b *Bridge) persisted(in Input) {
	written, refused := int(arg(in.Args, 0).Num), int(arg(in.Args, 1).Num)
	if written > 0 && written < 1<<20 {
		b.stats.Persisted += written
	}
	if refused > 0 && refused < 1<<20 {
		b.stats.Unpersisted += refused
		b.notice("persist:storage", "warn", "the page was hidden with events not yet delivered and storage refused them ("+DropStorageUnavailable+"); they are lost if the page is not shown again"+counted)
	}
}

// settleIdentity notes that this page has said who its user is (or emitted an event of its own):
// held recovered events are decided on now, before anything that follows.
func (b *Bridge) settleIdentity() {
	b.recovered.settled = true
	if len(b.recovered.held) > 0 {
		b.releaseRecovered()
	}
}

// RecoveredDue decides on held recovered events once the page has had recoveredSettleMs to say
// who its user is. now is the page clock.
func (b *Bridge) RecoveredDue(now float64) {
	if len(b.recovered.held) > 0 && now >= b.recovered.until {
		b.releaseRecovered()
	}
}

// RecoveredWake returns when held recovered events are due, or 0.
func (b *Bridge) RecoveredWake() float64 {
	if len(b.recovered.held) == 0 {
		return 0
	}
	return b.recovered.until
}

// releaseRecovered decides on every held event, oldest first.
func (b *Bridge) releaseRecovered() {
	held := b.recovered.held
	b.recovered.held = nil
	for _, r := range held {
		b.deliverRecovered(r)
	}
}

// deliverRecovered sends one recovered event to Heap when this page has its identity, to the relay
// under its own identity when one is configured, or drops it as identity_changed.
func (b *Bridge) deliverRecovered(r recoveredEvent) {
	var ev Event
	var reason, why, road string
	if r.entry.Kind == InputEvent {
		ev, reason, why = NormaliseOnEvent(r.entry.Name, arg(r.entry.Args, 0), b.settings.ExtraEvents)
		road = RoadOn
	} else {
		ev, reason, why = NormaliseInterfaceTrack(arg(r.entry.Args, 0), arg(r.entry.Args, 1))
		road = RoadInterface
	}
	if reason != "" {
		b.drop(reason, why, 1)
		return
	}
	st := &b.recovered
	if st.dedupe == nil {
		st.dedupe = map[string]*Deduper{}
	}
	d := st.dedupe[r.source]
	if d == nil {
		d = &Deduper{}
		st.dedupe[r.source] = d
	}
	if d.Seen(ev.Name, ev.ID, r.entry.Ref, r.entry.Task, road, r.entry.At) {
		b.stats.Duplicates++
		return
	}
	if b.refusedBySettings(ev.Name) {
		return
	}
	user, here := b.identity.User()
	same := here == r.known && user == r.identity
	toRelay := !same && r.known && b.settings.RelayURL != "" && b.settings.Identity != "off"
	if !same && !toRelay {
		b.drop(DropIdentityChanged, "an event stored by an earlier page was received under another identity than this page's, and no relay is configured", 1)
		return
	}
	name := ev.Name
	if to, ok := b.settings.Rename[name]; ok {
		name = to
	}
	if same {
		b.owedIdentity()
	}
	if r.known {
		ev.Properties.SetReserved(UserIDProperty, r.identity)
	}
	ev.Properties.ApplyRules(b.settings.DropProperties, b.settings.MaskProperties)
	b.countProperties(ev.Properties, name)
	c := Call{Method: MethodTrack, Event: name, Properties: ev.Properties.Properties(), ID: r.id, Time: r.time, Recovered: true, Src: r.num}
	if r.known && b.settings.Identity != "off" {
		c.User = r.identity
	}
	if b.settings.Debug {
		b.debug("recovered " + label(name) + " stored by an earlier page")
	}
	if same {
		b.queueEvent(c)
		return
	}
	b.relayRecovered(c)
}

// relayRecovered hands a recovered event to the relay at once: it belongs to another identity
// than this page's, so it never goes to heap.track here.
func (b *Bridge) relayRecovered(c Call) {
	if len(b.relay.retry) == 0 {
		b.relay.retryAt = 0
	}
	b.relay.retry = append(b.relay.retry, relayItem{call: c, identity: c.User})
}

// MayPersist reports whether the page may write its pending events to storage when it is hidden:
// the persist setting is on and consent is granted (nothing is written while it is withheld).
func (b *Bridge) MayPersist() bool {
	return b.settings.Persist && b.consent == "granted"
}

// GiveAway removes the events numbered in nums that still wait here: another page claimed them from
// storage, so they are that page's to deliver.
func (b *Bridge) GiveAway(nums map[int]bool) {
	kept := b.pending[:0]
	for _, p := range b.pending {
		if p.isEvent && nums[p.call.Src] {
			b.stats.Pending--
			b.drop(DropClaimedElsewhere, claimedWhy, 1)
			continue
		}
		kept = append(kept, p)
	}
	b.pending = kept
	held := b.recovered.held[:0]
	for _, r := range b.recovered.held {
		if nums[r.num] {
			b.drop(DropClaimedElsewhere, claimedWhy, 1)
			continue
		}
		held = append(held, r)
	}
	b.recovered.held = held
}

// Unmade records a track call handed to the page that the page did not make, because another page
// claimed its event from storage.
func (b *Bridge) Unmade(c Call) {
	b.count(c, -1)
	b.drop(DropClaimedElsewhere, claimedWhy, 1)
}

const claimedWhy = "written to storage when the page was hidden, then claimed by another page of the origin, which delivers it"
