package relay

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// Refusal codes, the part of a reason before the colon; after it comes a plain sentence.
const (
	CodeInvalidID         = "invalid_id"
	CodeDuplicateID       = "duplicate_id"
	CodeInvalidName       = "invalid_name"
	CodeInvalidProperties = "invalid_properties"
	CodeNoIdentity        = "no_identity"
	CodeInvalidIdentity   = "invalid_identity"
	CodeInvalidTimestamp  = "invalid_timestamp"
	CodeHeapRejected      = "heap_rejected"
	CodeExpired           = "expired" // queued longer than DELIVERY_MAX_HOURS; counted, never answered
)

// Event limits of the relay's own.
const (
	MaxIDLen        = 128
	MaxFutureSkew   = 5 * time.Minute    // clocks drift; more is a bad clock or a forgery
	MaxEventAge     = 7 * 24 * time.Hour // older events would land far from their session
	MaxPropertiesIn = bridge.MaxProperties + 1
)

// valid is an event that passed validation, ready for Heap.
type valid struct {
	id, name, identity, timestamp string
	properties                    []property // sorted by key, the order Heap's body lists them in
}

// property is one property fit for Heap: its value is a string, a float64 or a bool.
type property struct {
	key   string
	value any
}

// validate splits events into the ones fit for Heap and refusals, keeping each event's order.
// Every id is answered once: copies of one event under an id are that event, and an id carried
// by different events is refused, every copy, since the page could not tell which one was taken.
func validate(events []Event, now time.Time) ([]valid, []Refusal) {
	first := map[string]int{}
	conflict := map[string]bool{}
	for i, e := range events {
		j, seen := first[e.ID]
		switch {
		case !seen:
			first[e.ID] = i
		case !reflect.DeepEqual(events[j], e):
			conflict[e.ID] = true
		}
	}
	var ok []valid
	refused := []Refusal{}
	var last identityCheck
	for i, e := range events {
		if first[e.ID] != i {
			continue // a later copy, answered with the first
		}
		v, code, detail := check(e, now, &last)
		if conflict[e.ID] && code != CodeInvalidID {
			code, detail = CodeDuplicateID, "the batch holds different events with id "+strconv.Quote(e.ID)
		}
		if code != "" {
			refused = append(refused, Refusal{ID: e.ID, Reason: code + ": " + detail})
			continue
		}
		ok = append(ok, v)
	}
	return ok, refused
}

// identityCheck is the last identity checked and its outcome: a page's batch is one user's, and
// the check folds and scans the whole id each time.
type identityCheck struct {
	in, out, why string
}

// checkIdentity is bridge.CheckIdentity of id, from last when it is the same id.
func checkIdentity(id string, last *identityCheck) (string, string) {
	if last.in != id || id == "" {
		out, why := bridge.CheckIdentity(bridge.Str(id)) // the page's own guard
		*last = identityCheck{in: id, out: out, why: why}
	}
	return last.out, last.why
}

// check validates one event, returning it ready for Heap or a refusal code and detail; last
// carries the identity check from one event of the batch to the next.
func check(e Event, now time.Time, last *identityCheck) (v valid, code, detail string) {
	if why := checkID(e.ID); why != "" {
		return valid{}, CodeInvalidID, why
	}
	if why := bridge.CheckEventName(e.Name); why != "" {
		return valid{}, CodeInvalidName, sentence("the event name", why)
	}
	props, why := checkProperties(e.Properties)
	if why != "" {
		return valid{}, CodeInvalidProperties, why
	}
	if e.Identity == "" {
		return valid{}, CodeNoIdentity, "the event has no identity, and Heap's server API needs one for every event"
	}
	identity, why := checkIdentity(e.Identity, last)
	if why != "" {
		return valid{}, CodeInvalidIdentity, sentence("the identity", why)
	}
	ts, why := checkTimestamp(e.Timestamp, now)
	if why != "" {
		return valid{}, CodeInvalidTimestamp, why
	}
	return valid{id: e.ID, name: e.Name, identity: identity, timestamp: ts, properties: props}, "", ""
}

// checkID returns why id cannot be an event id (and Heap idempotency key), or "".
func checkID(id string) string {
	if id == "" {
		return "the id is empty"
	}
	if len(id) > MaxIDLen {
		return fmt.Sprintf("the id is longer than %d characters", MaxIDLen)
	}
	for _, c := range []byte(id) {
		if !idByte(c) {
			return "the id may hold only A-Z, a-z, 0-9 and . _ : -"
		}
	}
	return ""
}

// idByte reports whether c may appear in an event id.
func idByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == ':' || c == '-'
}

// checkProperties returns decoded properties as Heap scalars sorted by key, or says which one is
// unfit; sorted, the reason names the same key every time and the body to Heap is always the same.
func checkProperties(in map[string]any) (props []property, why string) {
	if len(in) > MaxPropertiesIn {
		return nil, fmt.Sprintf("the event has %d properties, and at most %d are allowed", len(in), MaxPropertiesIn)
	}
	props = make([]property, 0, len(in))
	for k, v := range in {
		props = append(props, property{key: k, value: v})
	}
	slices.SortFunc(props, func(a, b property) int { return strings.Compare(a.key, b.key) })
	for i := range props {
		p := &props[i]
		if why := bridge.CheckPropertyKey(p.key); why != "" {
			return nil, sentence("the property name "+label(p.key), why)
		}
		if n, ok := p.value.(jsontext.Num); ok {
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil {
				return nil, "the property " + label(p.key) + " is the number " + label(string(n)) + ", which is out of range"
			}
			p.value = f
		}
		if why := bridge.CheckPropertyValue(p.value); why != "" {
			return nil, sentence("the property "+label(p.key), why)
		}
	}
	return props, ""
}

// heapTime is how Heap gets every timestamp: UTC with milliseconds, one form whatever the page sent.
const heapTime = "2006-01-02T15:04:05.000Z"

// checkTimestamp returns the timestamp to send Heap, in UTC with milliseconds (now when empty), or
// why it is unfit.
func checkTimestamp(ts string, now time.Time) (heapTS, why string) {
	if ts == "" {
		return now.UTC().Format(heapTime), ""
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	switch {
	case err != nil || !rfc3339Form(ts):
		return "", "the timestamp " + label(ts) + " is not RFC 3339, like 2024-05-01T12:00:00Z"
	case t.After(now.Add(MaxFutureSkew)):
		return "", "the timestamp " + label(ts) + " is more than 5 minutes in the future"
	case t.Before(now.Add(-MaxEventAge)):
		return "", "the timestamp " + label(ts) + " is older than 7 days"
	}
	if len(ts) == len(heapTime) && ts[19] == '.' && ts[len(ts)-1] == 'Z' {
		return ts, "" // already Heap's form (what the page sends): Format would give it back unchanged
	}
	return t.UTC().Format(heapTime), "" // Format cuts the fraction, never rounding into the next second
}

// rfc3339Form reports whether ts has RFC 3339's form in full, which time.Parse does not insist on:
// a '.' before the fraction, and an offset of at most 23:59.
func rfc3339Form(ts string) bool {
	if len(ts) < len("2006-01-02T15:04:05Z") {
		return false
	}
	for i, c := range []byte(ts[:19]) {
		switch i {
		case 4, 7:
			if c != '-' {
				return false
			}
		case 10:
			if c != 'T' {
				return false
			}
		case 13, 16:
			if c != ':' {
				return false
			}
		default:
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	rest := ts[19:]
	if strings.HasPrefix(rest, ".") {
		n := 1
		for n < len(rest) && '0' <= rest[n] && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	if rest == "Z" {
		return true
	}
	return len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
		twoDigits(rest[1:3], 23) && twoDigits(rest[4:6], 59)
}

// twoDigits reports whether s is two decimal digits making at most max.
func twoDigits(s string, max int) bool {
	return '0' <= s[0] && s[0] <= '9' && '0' <= s[1] && s[1] <= '9' && int(s[0]-'0')*10+int(s[1]-'0') <= max
}

// sentence makes one plain sentence of what a check refused and why: the bridge's checks say
// "it is empty" or `"guest" is shared by many people ...`.
func sentence(subject, why string) string {
	if rest, ok := strings.CutPrefix(why, "it "); ok {
		return subject + " " + rest
	}
	return subject + " is refused because " + why
}

// label quotes s for a reason, shortened so a huge input does not make a huge answer.
func label(s string) string {
	if cut, ok := bridge.CutUTF16(s, 64); ok {
		return strconv.Quote(cut) + "…"
	}
	return strconv.Quote(s)
}
