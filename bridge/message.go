package bridge

// The loader and the module talk in one JSON text each way per batch, so a batch of inputs costs a
// handful of crossings into Go instead of a hundred per event.
//
// A message from the loader is an array:
//
//	[1, events, ack, now, heap, [bounced seq...], [[failed seq, why]...], [skipped seq...], entry...]
//
// events counts the Userpilot events among the entries (so an unreadable message is still counted),
// ack is how many answers the loader has applied, now is the page clock in ms, heap the HeapState
// bits of window.heap when the message was posted, then what became of calls from earlier answers:
// bounced (window.heap could not take them any more), failed (heap.* threw) and skipped (their
// event had just gone to the relay by beacon). Each entry is
//
//	[kind, name, ref, task, at, arg...]
//
// with the Input fields in order and each argument a snapshot (snapshot.go).

// message is one decoded message from the loader.
type message struct {
	events  int
	ack     int
	now     float64
	heap    int
	bounced []int
	failed  []failedCall
	skipped []int
	entries []Input
}

// failedCall is a call the page made that threw.
type failedCall struct {
	seq int
	why string
}

// tuple reads the elements of a JSON array one after another, keeping the first error.
type tuple struct {
	r   *jsonReader
	err error
	n   int
}

func (r *jsonReader) tuple() *tuple {
	t := &tuple{r: r}
	_, t.err = r.openArray()
	return t
}

// sep steps to the next element; false once an error happened.
func (t *tuple) sep() bool {
	if t.err == nil && t.n > 0 {
		t.err = t.r.expect(',')
	}
	t.n++
	return t.err == nil
}

// more reports whether another element follows.
func (t *tuple) more() bool { return t.err == nil && t.r.peek() == ',' }

func (t *tuple) int() (n int) {
	if t.sep() {
		n, t.err = t.r.int()
	}
	return n
}

func (t *tuple) num() (f float64) {
	if t.sep() {
		f, t.err = t.r.number()
	}
	return f
}

func (t *tuple) str() (s string) {
	if t.sep() {
		s, t.err = t.r.str()
	}
	return s
}

func (t *tuple) value() (v Value) {
	if t.sep() {
		v, t.err = t.r.readValue()
	}
	return v
}

// list reads an array element by element with read.
func (t *tuple) list(read func(*jsonReader) error) {
	if !t.sep() {
		return
	}
	var first bool
	if first, t.err = t.r.openArray(); t.err != nil {
		return
	}
	for ok := first; ok && t.err == nil; ok, t.err = t.r.more() {
		t.err = read(t.r)
	}
	if t.err == nil {
		t.err = t.r.closeArray()
	}
}

// close ends the array.
func (t *tuple) close() error {
	if t.err == nil {
		t.err = t.r.closeArray()
	}
	return t.err
}

// readMessage decodes a message. On an error, events still says how many events it carried when
// the header could be read.
func readMessage(text string) (m message, err error) {
	r := &jsonReader{s: text}
	t := r.tuple()
	if v := t.int(); t.err == nil && v != MessageVersion {
		return m, r.fail("message version " + itoa(v) + ", expected " + itoa(MessageVersion))
	}
	m.events = t.int()
	m.ack = t.int()
	m.now = t.num()
	m.heap = t.int()
	t.list(func(r *jsonReader) error {
		n, err := r.int()
		m.bounced = append(m.bounced, n)
		return err
	})
	t.list(func(r *jsonReader) error {
		f := r.tuple()
		c := failedCall{seq: f.int(), why: f.str()}
		m.failed = append(m.failed, c)
		return f.close()
	})
	t.list(func(r *jsonReader) error {
		n, err := r.int()
		m.skipped = append(m.skipped, n)
		return err
	})
	for t.more() && t.sep() {
		var in Input
		in, t.err = r.entry()
		m.entries = append(m.entries, in)
	}
	if err = t.close(); err == nil {
		err = r.end()
	}
	return m, err
}

// entry reads [kind, name, ref, task, at, arg...].
func (r *jsonReader) entry() (Input, error) {
	t := r.tuple()
	in := Input{Kind: t.str(), Name: t.str(), Ref: t.int(), Task: t.int(), At: t.num()}
	for t.more() {
		in.Args = append(in.Args, t.value())
	}
	return in, t.close()
}

// pageInit is what the loader tells the module when it starts it:
//
//	[settings snapshot, session, timeOrigin, started]
type pageInit struct {
	settings Value
	session  string
	origin   float64
	started  float64
}

func readInit(text string) (pageInit, error) {
	r := &jsonReader{s: text}
	t := r.tuple()
	p := pageInit{settings: t.value(), session: t.str(), origin: t.num(), started: t.num()}
	err := t.close()
	if err == nil {
		err = r.end()
	}
	return p, err
}
