package bridge

import "strings"

// Drop reasons for events bound for the edge relay.
const (
	DropRelayRefused = "relay_refused" // the relay refused the event, or the whole request (400, 403, 413)
	DropRelayFailed  = "relay_failed"  // the relay could not be reached or kept failing
)

// Relay limits: a batch stays well inside the 64 KiB that fetch keepalive and sendBeacon may have
// in flight per page, so two batches and a beacon fit at once.
const (
	relayBatchEvents  = 50
	relayBatchBytes   = 16 << 10
	relayKeepaliveMax = 60 << 10 // a body above this cannot use keepalive or sendBeacon
	relayInFlightMax  = 2
	relayMaxAttempts  = 6
	relayFirstBackoff = 1000.0 // ms, doubled per attempt
	DefaultRelayAfter = 3000.0 // ms Heap's SDK gets to load before events go to the relay
	MaxRelayAfterMs   = 600000.0
	relayBeaconTotal  = 60 << 10 // what navigator.sendBeacon may have in flight for one page
)

// RelayBatch is one request for the loader to send to the relay.
type RelayBatch struct {
	ID        int
	URL       string
	Body      string
	Signature string
	// Keepalive is false for a body too large for fetch keepalive; it is then sent plainly.
	Keepalive bool
	// IDs are the batch's event ids (Standby batches: the page reports them back when it sends them).
	IDs []string
}

// relayState is the bridge's side of the edge relay: what is in flight and what waits to be sent
// again. An event handed to the relay never goes to Heap afterwards, so none is counted twice.
type relayState struct {
	session   string  // prefix of the bridge-assigned event ids
	seq       int     // last event number used
	origin    float64 // epoch ms of the page's monotonic clock zero (performance.timeOrigin)
	started   float64 // page ms when the loader started; Heap's SDK gets RelayAfter from here
	blocked   bool    // the last delivery attempt found Heap's SDK not loaded
	nextBatch int
	inFlight  map[int][]relayItem
	retry     []relayItem // sent once without an answer: they go to the relay again, never to Heap
	retryAt   float64     // page ms when retry may be sent
}

// SetPage gives the bridge the page facts the relay needs: a random session prefix for event ids,
// the epoch ms of the page clock's zero, and when the loader started on that clock.
func (b *Bridge) SetPage(session string, timeOrigin, started float64) {
	b.relay.session, b.relay.origin, b.relay.started = session, timeOrigin, started
}

// nextEventID returns a unique id for an event, stable across retries so the relay's
// idempotency key makes a second delivery harmless.
func (b *Bridge) nextEventID() string {
	b.relay.seq++
	return b.relay.session + "-" + itoa(b.relay.seq)
}

// relaying counts the events handed to the relay and not yet settled.
func (b *Bridge) relaying() int {
	n := len(b.relay.retry)
	for _, items := range b.relay.inFlight {
		n += len(items)
	}
	return n
}

// RelayBatches returns the batches to send to the relay now. Events wait for Heap until its SDK
// has had RelayAfter ms to load; events without an identity wait for Heap, since the relay
// needs one.
func (b *Bridge) RelayBatches(now float64) []RelayBatch {
	s := b.settings
	if s.RelayURL == "" || b.consent != "granted" {
		return nil
	}
	var out []RelayBatch
	if len(b.relay.retry) > 0 && now >= b.relay.retryAt && len(b.relay.inFlight) < relayInFlightMax {
		retry := b.relay.retry
		b.relay.retry = nil
		for len(retry) > 0 && len(b.relay.inFlight) < relayInFlightMax {
			var batch []relayItem
			batch, retry = cutBatch(retry)
			out = append(out, b.startBatch(batch))
		}
		b.relay.retry = retry
	}
	if !b.relay.blocked || now < b.relay.started+s.RelayAfter {
		return out
	}
	for len(b.relay.inFlight) < relayInFlightMax {
		items := b.takeRelayable()
		if len(items) == 0 {
			break
		}
		out = append(out, b.startBatch(items))
	}
	return out
}

// takeRelayable removes from the hold the next batch of events for one identity.
func (b *Bridge) takeRelayable() []relayItem {
	var items []relayItem
	size := 0
	kept := b.pending[:0]
	for _, p := range b.pending {
		it := relayItem{call: p.call, identity: p.call.User}
		if !p.isEvent || it.identity == "" || !joins(items, size, it) {
			kept = append(kept, p)
			continue
		}
		size += len(appendRelayEvent(nil, it))
		items = append(items, it)
		b.stats.Pending--
	}
	b.pending = kept
	return items
}

// cutBatch splits off the first batch of items that share an identity and fit the limits.
func cutBatch(items []relayItem) (batch, rest []relayItem) {
	size := 0
	for _, it := range items {
		if !joins(batch, size, it) {
			rest = append(rest, it)
			continue
		}
		size += len(appendRelayEvent(nil, it))
		batch = append(batch, it)
	}
	return batch, rest
}

// joins reports whether it may join batch, whose body has size bytes so far: a batch holds one
// identity, within the event and byte limits.
func joins(batch []relayItem, size int, it relayItem) bool {
	return len(batch) == 0 || (it.identity == batch[0].identity && len(batch) < relayBatchEvents && size < relayBatchBytes)
}

func (b *Bridge) startBatch(items []relayItem) RelayBatch {
	b.relay.nextBatch++
	if b.relay.inFlight == nil {
		b.relay.inFlight = map[int][]relayItem{}
	}
	b.relay.inFlight[b.relay.nextBatch] = items
	body := encodeRelayEvents(items)
	b.debug("sending " + itoa(len(items)) + " events to the relay")
	return RelayBatch{ID: b.relay.nextBatch, URL: b.settings.RelayURL, Body: body,
		Signature: b.settings.RelaySignature, Keepalive: len(body) <= relayKeepaliveMax}
}

// relayAnswered settles a batch with the relay's answer. Input Args: batch id, HTTP status (0 when
// the request failed), the parsed JSON answer, Retry-After seconds, and the failure's text.
func (b *Bridge) relayAnswered(in Input) {
	id := int(arg(in.Args, 0).Num)
	items, ok := b.relay.inFlight[id]
	if !ok {
		return
	}
	delete(b.relay.inFlight, id)
	status := int(arg(in.Args, 1).Num)
	answer := arg(in.Args, 2)
	switch {
	case status >= 200 && status < 300:
		b.settleAnswer(items, answer)
	case status == 0 || status == 429 || status >= 500:
		b.retryLater(items, status, arg(in.Args, 3).Num, arg(in.Args, 4).Str, in.At)
	default:
		b.drop(DropRelayRefused, "the relay answered HTTP "+itoa(status)+relayError(answer), len(items))
	}
}

// settleAnswer counts accepted events as forwarded and refused ones as dropped with the relay's reason.
func (b *Bridge) settleAnswer(items []relayItem, answer Value) {
	accepted := map[string]bool{}
	if list, ok := answer.Field("accepted"); ok {
		for _, v := range list.Items {
			accepted[v.Str] = true
		}
	}
	refused := map[string]string{}
	if list, ok := answer.Field("refused"); ok {
		for _, v := range list.Items {
			id, _ := v.Field("id")
			reason, _ := v.Field("reason")
			refused[id.Str] = reason.Str
		}
	}
	for _, it := range items {
		switch {
		case accepted[it.call.ID]:
			b.relayed(it.call)
		case refused[it.call.ID] != "":
			why, _ := CutUTF16(refused[it.call.ID], 200)
			b.drop(DropRelayRefused, label(it.call.Event)+" refused by the relay: "+why, 1)
		default:
			b.drop(DropRelayRefused, label(it.call.Event)+" was missing from the relay's answer", 1)
		}
	}
}

func (b *Bridge) relayed(c Call) {
	b.stats.Forwarded++
	b.stats.Relayed++
	if c.Recovered {
		b.stats.Recovered++
	}
	b.stats.Events[c.Event]++
	if b.settings.Debug {
		b.debug("relayed " + label(c.Event))
	}
}

// retryLater keeps items for another try after a backoff, or drops them after the last one.
func (b *Bridge) retryLater(items []relayItem, status int, retryAfter float64, failure string, now float64) {
	what := "the request failed"
	if status > 0 {
		what = "the relay answered HTTP " + itoa(status)
	} else if failure != "" {
		what += ": " + cut(failure, 200)
	}
	var again []relayItem
	attempts := 0
	for _, it := range items {
		it.attempts++
		if it.attempts >= relayMaxAttempts {
			b.drop(DropRelayFailed, label(it.call.Event)+" was not taken after "+itoa(relayMaxAttempts)+" tries; "+what, 1)
			continue
		}
		attempts = it.attempts
		again = append(again, it)
	}
	if len(again) == 0 {
		return
	}
	wait := relayFirstBackoff * float64(int(1)<<(attempts-1))
	if ms := retryAfter * 1000; ms > wait && ms <= 5*60*1000 {
		wait = ms
	}
	if at := now + wait; len(b.relay.retry) == 0 || at > b.relay.retryAt {
		b.relay.retryAt = at
	}
	b.relay.retry = append(b.relay.retry, again...)
	b.notice("relay:retry", "info", what+"; relayed events are sent again later"+counted)
}

// Standby returns the beacons the page should send if it is left now, without sending anything:
// the retries, the requests without an answer yet (a page being left may cancel them; the event
// ids make a second delivery harmless), and when Heap's SDK is still not loaded, every held event
// with an identity. The
// page keeps the latest standby, because a page being left cannot wait for the module; it reports
// what it sent as an InputBeaconed. Batches too large for sendBeacon are left out.
func (b *Bridge) Standby() []RelayBatch {
	if b.settings.RelayURL == "" || b.consent != "granted" {
		return nil
	}
	items := append([]relayItem(nil), b.relay.retry...)
	// In batch order, so the same state gives the same standby (sent again only when it changes);
	// the batches in flight are a few recent ids.
	first, last := 0, 0
	for id := range b.relay.inFlight {
		if first == 0 || id < first {
			first = id
		}
		last = max(last, id)
	}
	for id := first; first > 0 && id <= last; id++ {
		items = append(items, b.relay.inFlight[id]...)
	}
	if b.relay.blocked {
		for _, p := range b.pending {
			if p.isEvent && p.call.User != "" {
				items = append(items, relayItem{call: p.call, identity: p.call.User})
			}
		}
	}
	var out []RelayBatch
	total := 0
	for len(items) > 0 {
		var batch []relayItem
		batch, items = cutBatch(items)
		body := encodeRelayEvents(batch)
		if total+len(body) > relayBeaconTotal {
			continue
		}
		total += len(body)
		rb := RelayBatch{URL: b.settings.RelayURL, Body: body, Signature: b.settings.RelaySignature, Keepalive: true}
		for _, it := range batch {
			rb.IDs = append(rb.IDs, it.call.ID)
		}
		out = append(out, rb)
	}
	return out
}

// beaconed settles the events of standby beacons the page sent as it was left. Args: whether the
// browser took them, then their ids. Taken events count as relayed wherever they wait (held, to be
// retried or in a request without an answer yet); refused ones stay where they are.
func (b *Bridge) beaconed(in Input) {
	if len(in.Args) == 0 || in.Args[0].Kind != KindBool {
		return
	}
	if !in.Args[0].Bool {
		b.notice("relay:beacon", "info", "the page was being left and navigator.sendBeacon refused a batch for the relay; its events wait here in case the page stays")
		return
	}
	ids := map[string]bool{}
	for _, v := range in.Args[1:] {
		ids[v.Str] = true
	}
	b.relay.retry = b.settleIDs(b.relay.retry, ids)
	for id, items := range b.relay.inFlight {
		b.relay.inFlight[id] = b.settleIDs(items, ids)
	}
	kept := b.pending[:0]
	for _, p := range b.pending {
		if p.isEvent && ids[p.call.ID] {
			delete(ids, p.call.ID)
			b.stats.Pending--
			b.relayed(p.call)
			continue
		}
		kept = append(kept, p)
	}
	b.pending = kept
}

// settleIDs counts the items whose id is in ids as relayed and returns the others.
func (b *Bridge) settleIDs(items []relayItem, ids map[string]bool) []relayItem {
	kept := items[:0]
	for _, it := range items {
		if ids[it.call.ID] {
			delete(ids, it.call.ID)
			b.relayed(it.call)
			continue
		}
		kept = append(kept, it)
	}
	return kept
}

// RelayedInstead records a track call the page did not make because its event had just gone to
// the relay by beacon: still forwarded, by the relay.
func (b *Bridge) RelayedInstead(c Call) {
	if c.Method == MethodTrack {
		b.stats.Relayed++
	}
}

// relayError renders the error text a refusing relay sent back.
func relayError(answer Value) string {
	if e, ok := answer.Field("error"); ok && e.Kind == KindString && strings.TrimSpace(e.Str) != "" {
		return ": " + cut(e.Str, 200)
	}
	return ""
}

func cut(s string, max int) string {
	s, _ = CutUTF16(validUTF8(s), max)
	return s
}

// Wake returns when, on the page clock, the relay next needs the module to run again although
// nothing happens in the page (a retry comes due, or Heap's SDK has had RelayAfter to load), or 0.
func (b *Bridge) Wake(now float64) float64 {
	if b.settings.RelayURL == "" || b.consent != "granted" {
		return 0
	}
	wake := 0.0
	consider := func(at float64) {
		if at > now && (wake == 0 || at < wake) {
			wake = at
		}
	}
	if len(b.relay.retry) > 0 {
		consider(b.relay.retryAt)
	}
	if b.relay.blocked && b.stats.Pending > 0 {
		consider(b.relay.started + b.settings.RelayAfter)
	}
	return wake
}

// WaitingForHeap reports whether calls are held because window.heap could not take them: the page
// then watches window.heap and runs the module when it changes.
func (b *Bridge) WaitingForHeap() bool {
	return len(b.pending) > 0 && b.consent == "granted" && b.relay.blocked
}
