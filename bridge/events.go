package bridge

// Event is a normalised Userpilot event, ready to become one heap.track call.
type Event struct {
	Name       string
	Properties *PropertySet
	// Key identifies the Userpilot occurrence for exactly-once, independent of the road it came by.
	Key string
}

// Reasons a whole event is dropped; counted in Stats.DropReasons.
const (
	DropInvalidPayload    = "invalid_payload"    // the payload was not an object
	DropInvalidID         = "invalid_id"         // no usable experience id
	DropUnknownEvent      = "unknown_event"      // a name the bridge does not subscribe to
	DropHeapUnavailable   = "heap_unavailable"   // window.heap never became usable and the hold was full
	DropHeapError         = "heap_error"         // heap.track threw
	DropQueueFull         = "queue_full"         // the loader's pre-start queue overflowed
	DropInternalError     = "internal_error"     // a bug in the bridge, recovered
	DropModuleUnavailable = "module_unavailable" // counted by the loader when the module cannot load
)

// UserIDProperty carries the identified Userpilot user on every forwarded event.
const UserIDProperty = "userpilot_user_id"

// experienceEvents maps Userpilot's documented `on` events to Heap event names (CONTRACT §4).
var experienceEvents = map[string]string{
	"started":   "Userpilot Experience (started)",
	"step":      "Userpilot Experience (step)",
	"completed": "Userpilot Experience (completed)",
	"dismissed": "Userpilot Experience (dismissed)",
}

// experienceFields are the documented payload fields and their Heap property names, in order.
var experienceFields = []struct{ from, to string }{
	{"id", "experience_id"},
	{"token", "experience_token"},
	{"step", "step"},
	{"totalSteps", "total_steps"},
}

// SubscribedEvents lists the Userpilot `on` event names the loader listens to by default.
func SubscribedEvents() []string { return []string{"started", "step", "completed", "dismissed"} }

// NormaliseOnEvent turns a Userpilot `on` payload into an Event, or returns a drop reason and
// a message naming what was wrong.
func NormaliseOnEvent(name string, payload Value) (Event, string, string) {
	heapName, ok := experienceEvents[name]
	if !ok {
		return Event{}, DropUnknownEvent, "no mapping for Userpilot event " + quote(name)
	}
	if payload.Kind != KindObject {
		return Event{}, DropInvalidPayload, "Userpilot " + quote(name) + " event payload is " + describe(payload) + ", expected an object"
	}
	id, _ := payload.Field("id")
	idValue, ok := experienceID(id)
	if !ok {
		return Event{}, DropInvalidID, "Userpilot " + quote(name) + " event has id " + describe(id) + ", expected a number or a non-empty string"
	}
	props := NewPropertySet()
	props.SetScalar("experience_id", idValue)
	known := map[string]bool{"id": true}
	for _, f := range experienceFields[1:] {
		known[f.from] = true
		if v, ok := payload.Field(f.from); ok && v.Kind != KindUndefined {
			props.Add(f.to, v)
		}
	}
	// Fields Userpilot adds beyond the documented ones are kept under their own names.
	for i, k := range payload.Keys {
		if known[k] || i >= len(payload.Items) {
			continue
		}
		if reservedKeys[k] {
			props.drop(k, PropReservedKey)
			continue
		}
		props.Add(k, payload.Items[i])
	}
	step := ""
	if name == "step" {
		if s, ok := payload.Field("step"); ok && s.IsScalar() {
			step = scalarText(s)
		}
	}
	return Event{Name: heapName, Properties: props, Key: heapName + "\x00" + scalarText(id) + "\x00" + step}, "", ""
}

// experienceID accepts a finite number or a non-empty string, the two shapes an id can take.
func experienceID(v Value) (any, bool) {
	switch v.Kind {
	case KindNumber:
		if isFinite(v.Num) {
			return v.Num, true
		}
	case KindString:
		if v.Str != "" {
			return v.Str, true
		}
	}
	return nil, false
}

// scalarText renders a scalar as JavaScript's String() would.
func scalarText(v Value) string {
	switch v.Kind {
	case KindString, KindDate, KindBigInt:
		return v.Str
	case KindNumber:
		return JSNumberString(v.Num)
	case KindBool:
		if v.Bool {
			return "true"
		}
		return "false"
	}
	return ""
}

// describe names a value's shape for a console message without echoing large or private data.
func describe(v Value) string {
	switch v.Kind {
	case KindUndefined:
		return "undefined"
	case KindNull:
		return "null"
	case KindNumber:
		return "the number " + JSNumberString(v.Num)
	case KindString:
		if v.Str == "" {
			return "an empty string"
		}
		return "a string"
	case KindBool:
		return "a boolean"
	case KindObject:
		return "an object"
	case KindArray:
		return "an array"
	case KindFunction:
		return "a function"
	case KindSymbol:
		return "a symbol"
	case KindBigInt:
		return "a bigint"
	case KindDate:
		return "a date"
	case KindCycle:
		return "a circular reference"
	case KindUnreadable:
		msg, _ := CutUTF16(validUTF8(v.Str), 120)
		return "unreadable (" + msg + ")"
	case KindTooDeep:
		return "nested too deep"
	}
	kind, _ := CutUTF16(validUTF8(string(v.Kind)), 8)
	return "of unknown kind " + quote(kind)
}
