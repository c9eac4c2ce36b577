package bridge

import (
	"errors"
	"math/rand/v2"
	"strconv"
)

// Engine is everything the Go module does, as one pure function the loader calls once per batch:
// a message of what happened in the page in, an answer of what to do out (message.go, answer.go).
// The same Engine runs in a Web Worker or on the page's main thread; it never touches the page.
type Engine struct {
	core     *Bridge
	answered int       // messages answered so far; the loader numbers answers the same way
	emitted  []emitted // calls handed to the page, kept until the page has applied their answer
	upCalls  []int     // for each Userpilot call handed to the page, its answer, kept the same way
	heap     int       // HeapState bits of the latest message
	out      answerWriter
	standby  string // the standby beacons last sent, to send them again only when they change
	numbered int    // events the loader posted, numbered as it numbers them (Input.Num)
	kept     []int  // the kept event numbers last sent ("o"), to send them again only when they change
}

// emitted is a call handed to the page in answer number answer.
type emitted struct {
	answer int
	call   Call
}

var errNotAFunction = errors.New("it is not a function in this Heap snippet")

// NewEngine starts an engine from the loader's init text (message.go, pageInit). An unreadable
// init leaves the defaults and says so in the first answer.
func NewEngine(init string) *Engine {
	p, err := readInit(init)
	if err != nil {
		p = pageInit{settings: Undefined()}
	}
	settings, problems := ParseSettings(p.settings)
	e := &Engine{core: New(settings)}
	if err != nil {
		e.core.Warn("init", "internal: the loader's settings could not be read ("+err.Error()+"); using the defaults")
	}
	if p.session == "" {
		p.session = newSession()
	}
	e.core.SetPage(p.session, p.origin, p.started)
	for _, msg := range problems {
		e.core.Warn("settings:"+msg, msg)
	}
	return e
}

// Step takes one message from the loader and returns the answer. It never panics: a bug while
// handling an entry is counted as an internal error and the rest of the message still runs.
func (e *Engine) Step(text string) string {
	e.answered++
	e.out = answerWriter{}
	m, err := readMessage(text)
	if err != nil {
		why := "internal: unreadable message from the loader: " + err.Error()
		if m.events == 0 {
			e.core.Warn("message", why)
		}
		e.core.RecordDrop(DropInternalError, why, m.events)
		e.numbered += m.events
		return e.finish(m.now)
	}
	e.heap = m.heap
	// Events given away are taken out of answers before settle forgets the answers the page applied
	// (without making those calls).
	for _, in := range m.entries {
		if in.Kind == InputGiven {
			e.giveAway(in)
		}
	}
	e.settle(m)
	for _, in := range m.entries {
		if isEventInput(in) {
			e.numbered++
			in.Num = e.numbered
		}
		if in.Kind != InputGiven {
			e.receive(in)
		}
	}
	e.guard(func() {
		e.core.RecoveredDue(m.now)
		e.core.Flush(e.deliver)
	})
	return e.finish(m.now)
}

// receive hands one entry to the core and offers what it queued to Heap.
func (e *Engine) receive(in Input) {
	ok := e.guard(func() {
		e.core.Receive(in)
		e.core.Flush(e.deliver)
	})
	if !ok && isEventInput(in) {
		e.core.RecordDrop(DropInternalError, "internal: the bridge failed on "+label(in.Kind)+" "+label(in.Name), 1)
	}
}

// guard runs f, turning a panic into a counted internal error; it reports whether f finished.
func (e *Engine) guard(f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			e.core.Warn("panic", "internal: the bridge recovered from a failure; events it was handling are counted as internal_error")
		}
	}()
	f()
	return true
}

func isEventInput(in Input) bool { return isIn(ReceivedEntries, in) }

// settle applies what became of calls from earlier answers, then forgets calls the page has applied.
func (e *Engine) settle(m message) {
	if len(m.bounced) > 0 {
		var back []Call
		for _, seq := range m.bounced {
			if c, ok := e.take(seq); ok {
				back = append(back, c)
			}
		}
		e.core.Requeue(back)
	}
	for _, f := range m.failed {
		if c, ok := e.take(f.seq); ok {
			e.core.Undelivered(c, f.why)
		}
	}
	for _, seq := range m.skipped {
		if c, ok := e.take(seq); ok {
			e.core.RelayedInstead(c)
		}
	}
	kept := e.emitted[:0]
	for _, x := range e.emitted {
		if x.answer > m.ack {
			kept = append(kept, x)
		}
	}
	e.emitted = kept
	upKept := e.upCalls[:0]
	for _, answer := range e.upCalls {
		if answer > m.ack {
			upKept = append(upKept, answer)
		}
	}
	e.upCalls = upKept
}

// giveAway handles an InputGiven: the events another page claimed are not made here, whether
// they still wait in the core or are in an answer the page has not applied (it skips those calls).
func (e *Engine) giveAway(in Input) {
	nums := map[int]bool{}
	for _, v := range in.Args {
		nums[int(v.Num)] = true
	}
	kept := e.emitted[:0]
	for _, x := range e.emitted {
		if x.call.Method == MethodTrack && nums[x.call.Src] {
			e.core.Unmade(x.call)
			continue
		}
		kept = append(kept, x)
	}
	e.emitted = kept
	e.guard(func() { e.core.GiveAway(nums) })
}

// take removes and returns the emitted call with seq.
func (e *Engine) take(seq int) (Call, bool) {
	for i, x := range e.emitted {
		if x.call.Seq == seq {
			e.emitted = append(e.emitted[:i], e.emitted[i+1:]...)
			return x.call, true
		}
	}
	return Call{}, false
}

// need is the HeapState a call needs: with a relay, Heap's SDK itself, since events would otherwise
// wait in a snippet's stub that may never load.
func (e *Engine) need() int {
	if e.core.Settings().RelayURL != "" {
		return HeapUsable | HeapLoaded
	}
	return HeapUsable
}

// methodBit is the HeapState bit that says window.heap has a call's method.
var methodBit = map[string]int{
	MethodTrack:             HeapUsable,
	MethodIdentify:          HeapIdentify,
	MethodResetIdentity:     HeapReset,
	MethodAddUserProperties: HeapUserProps,
}

// deliver hands a call to the page when window.heap, as last seen, can take it.
func (e *Engine) deliver(c Call) error {
	state := e.heap
	if state&HeapUnreadable != 0 {
		state = -1 // unknown: the page tries the call and reports what happened
	}
	if need := e.need(); state&need != need {
		return ErrHeapNotReady
	}
	if state&methodBit[c.Method] == 0 {
		return errNotAFunction
	}
	e.emitted = append(e.emitted, emitted{answer: e.answered, call: c})
	e.out.call(c)
	return nil
}

// finish writes the answer: the calls, relay requests, standby beacons, messages, counters, and
// when the page should wake the module again.
func (e *Engine) finish(now float64) string {
	core := e.core
	beaconed := map[string]bool{}
	e.guard(func() {
		for _, rb := range core.RelayBatches(now) {
			e.out.relay(rb)
		}
		sb := core.Standby()
		if e.standbyChanged(sb) {
			e.out.standby(sb)
		}
		for _, rb := range sb {
			for _, id := range rb.IDs {
				beaconed[id] = true
			}
		}
	})
	var kept []int
	e.guard(func() {
		if k := core.Kept(beaconed); !sameInts(k, e.kept) {
			e.kept, kept = k, k
		}
	})
	for _, c := range core.UserpilotCalls() {
		e.upCalls = append(e.upCalls, e.answered)
		e.out.userpilotCall(c)
	}
	for _, msg := range core.Messages() {
		e.out.message(msg)
	}
	var up, upUnmade *ToUserpilotStats
	if s, on := core.ToUserpilotStats(); on {
		up, upUnmade = &s, &s
		if n := len(e.upCalls); n > 0 {
			u := s
			u.Forwarded -= n
			u.Pending += n
			upUnmade = &u
		}
	}
	s := core.Stats()
	unmade, some := unmadeStats(s, e.emitted)
	if !some && upUnmade != up {
		unmade, some = &s, true
	}
	if !some {
		unmade = nil
	}
	wake := core.Wake(now)
	if at := core.RecoveredWake(); at > 0 && (wake == 0 || at < wake) {
		wake = at
	}
	return e.out.finish(s, unmade, up, upUnmade, core.Requeued(), wake, core.WaitingForHeap(), e.need(), core.MayPersist(), kept)
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// unmadeStats are the counters s as if the calls the page has not yet confirmed were not made,
// their events pending; some is false when no such call counts. The page shows them while it
// waits for the module to settle a call it could not make, so stats() never counts on its own.
// The mirror's counters get the same view in finish: its calls not yet confirmed count as pending.
func unmadeStats(s Stats, calls []emitted) (unmade *Stats, some bool) {
	for _, x := range calls {
		switch x.call.Method {
		case MethodTrack, MethodIdentify, MethodResetIdentity:
			some = true
		}
	}
	if !some {
		return nil, false
	}
	s.Events = copyInts(s.Events)
	for _, x := range calls {
		countCall(&s, x.call, -1)
		if x.call.Method == MethodTrack {
			s.Pending++
		}
	}
	return &s, true
}

// standbyChanged reports whether sb differs from the standby last sent, and remembers it.
func (e *Engine) standbyChanged(sb []RelayBatch) bool {
	sig := ""
	for _, rb := range sb {
		sig += rb.Body + "\x00"
	}
	if sig == e.standby {
		return false
	}
	e.standby = sig
	return true
}

// newSession returns 16 random hex digits, the prefix of this page's event ids (the relay's
// idempotency keys). The runtime seeds its generator from the browser's crypto.getRandomValues.
func newSession() string {
	s := strconv.FormatUint(rand.Uint64(), 16)
	for len(s) < 16 {
		s = "0" + s
	}
	return s
}
