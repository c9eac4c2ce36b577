package bridge

import (
	"hash/fnv"
	"strconv"
	"strings"
)

// Event is a normalised Userpilot event, ready to become one heap.track call.
type Event struct {
	Name       string
	Group      string
	Properties *PropertySet
	// ID holds the values that identify the occurrence (experience id and step, checklist and
	// task id, ...), for exactly-once across roads; empty when the payload carried none.
	ID string
}

// Reasons a whole event is dropped; counted in Stats.DropReasons.
const (
	DropInvalidPayload    = "invalid_payload"    // the payload was not an object
	DropInvalidID         = "invalid_id"         // no usable experience id
	DropInvalidName       = "invalid_name"       // an interface track call without a usable event name
	DropUnknownEvent      = "unknown_event"      // a name the bridge does not subscribe to
	DropHeapUnavailable   = "heap_unavailable"   // window.heap never became usable and the hold was full
	DropHeapError         = "heap_error"         // heap.track threw
	DropQueueFull         = "queue_full"         // the loader's pre-start queue overflowed
	DropInternalError     = "internal_error"     // a bug in the bridge, recovered
	DropModuleUnavailable = "module_unavailable" // counted by the loader when the module cannot load
	DropFiltered          = "filtered"           // excluded by the events setting
	DropConsentDenied     = "consent_denied"     // consent was denied
	DropConsentQueueFull  = "consent_queue_full" // too many events waiting for consent
)

// UserIDProperty carries the identified Userpilot user on every forwarded event.
const UserIDProperty = "userpilot_user_id"

// experienceEvents maps Userpilot's documented `on` events to Heap event names (docs/contract.md §4).
var experienceEvents = map[string]string{
	"started":   "Userpilot Experience (started)",
	"step":      "Userpilot Experience (step)",
	"completed": "Userpilot Experience (completed)",
	"dismissed": "Userpilot Experience (dismissed)",
}

// onFields are the documented `on` payload fields (docs/contract.md §3) and their Heap names, in order.
var onFields = []field{
	{to: "experience_id", candidates: []string{"id"}, key: true},
	{to: "experience_token", candidates: []string{"token"}},
	{to: "step", candidates: []string{"step"}, key: true},
	{to: "total_steps", candidates: []string{"totalSteps"}},
}

// SubscribedEvents lists the Userpilot `on` event names the loader listens to by default.
func SubscribedEvents() []string { return []string{"started", "step", "completed", "dismissed"} }

// ExtraEventName is the Heap name of an `on` event listed in the extraEvents setting.
func ExtraEventName(name string) string { return "Userpilot Event (" + name + ")" }

// NormaliseOnEvent turns a Userpilot `on` payload into an Event, or returns a drop reason and
// a message naming what was wrong. extra lists the undocumented names the page asked for.
func NormaliseOnEvent(name string, payload Value, extra []string) (ev Event, dropReason, why string) {
	heapName, documented := experienceEvents[name]
	if !documented {
		if !contains(extra, name) {
			return Event{}, DropUnknownEvent, "no mapping for Userpilot event " + label(name)
		}
		if payload.Kind == KindUndefined || payload.Kind == KindNull {
			payload = Value{Kind: KindObject}
		}
		if payload.Kind != KindObject {
			payload = Obj("value", payload)
		}
		props := NewPropertySet()
		canonicalProperties(props, nil, payload)
		return Event{Name: cutName(ExtraEventName(name)), Group: GroupOther, Properties: props, ID: fingerprint(props)}, "", ""
	}
	if payload.Kind != KindObject {
		return Event{}, DropInvalidPayload, "Userpilot " + quote(name) + " event payload is " + describe(payload) + ", expected an object"
	}
	id, _ := payload.Field("id")
	if _, ok := experienceID(id); !ok {
		return Event{}, DropInvalidID, "Userpilot " + quote(name) + " event has id " + describe(id) + ", expected a number or a non-empty string"
	}
	props := NewPropertySet()
	key := canonicalProperties(props, onFields, payload)
	return Event{Name: heapName, Group: GroupExperience, Properties: props, ID: key}, "", ""
}

// NormaliseInterfaceTrack turns a heap.track call that Userpilot made on the bridge's Heap
// interface into an Event with the canonical name and shape of its group.
func NormaliseInterfaceTrack(name Value, payload Value) (ev Event, dropReason, why string) {
	if name.Kind != KindString || strings.TrimFunc(name.Str, isBlank) == "" {
		return Event{}, DropInvalidName, "Userpilot called heap.track with an event name that is " + describe(name) + ", expected a non-empty string"
	}
	switch payload.Kind {
	case KindUndefined, KindNull:
		payload = Value{Kind: KindObject}
	case KindObject:
	default:
		return Event{}, DropInvalidPayload, "Userpilot called heap.track(" + label(name.Str) + ") with properties that are " + describe(payload) + ", expected an object"
	}
	heapName, group := classify(validUTF8(name.Str))
	props := NewPropertySet()
	key := canonicalProperties(props, groupFields[group], payload)
	if group == GroupOther {
		key = fingerprint(props) // no identifying fields: the same content is the same occurrence
	}
	return Event{Name: cutName(heapName), Group: group, Properties: props, ID: key}, "", ""
}

// cutName keeps an event name within Heap's 255-unit limit.
func cutName(name string) string {
	out, _ := CutUTF16(validUTF8(name), MaxEventNameLen)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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

// fingerprint identifies an event without identifying fields by its properties.
func fingerprint(props *PropertySet) string { return fingerprintOf(props.Properties()) }

// fingerprintOf is fingerprint for a list of properties.
func fingerprintOf(props []Property) string {
	h := fnv.New64a()
	for _, p := range props {
		h.Write([]byte(p.Key))
		h.Write([]byte{0})
		switch v := p.Value.(type) {
		case string:
			h.Write([]byte("s" + v))
		case float64:
			h.Write([]byte("n" + JSNumberString(v)))
		case bool:
			h.Write([]byte("b" + scalarText(Bool(v))))
		}
		h.Write([]byte{0})
	}
	return "#" + strconv.FormatUint(h.Sum64(), 36)
}
