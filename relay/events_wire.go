package relay

import (
	"fmt"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// MaxBatchEvents is the most events one request may carry, Heap's bulk cap (docs/sdk-facts.md#heap-server-track).
const MaxBatchEvents = 1000

// Event is one normalised event as the page sends it (docs/contract.md §6).
type Event struct {
	ID         string
	Name       string
	Properties map[string]any // numbers are jsontext.Num, as written
	Identity   string
	Timestamp  string
}

// Answer is the 200 body: every event's id is in exactly one of the two lists.
type Answer struct {
	Accepted []string  `json:"accepted"`
	Refused  []Refusal `json:"refused"`
}

// Refusal says why one event was not forwarded.
type Refusal struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// appendJSON writes a as the 200 body.
func (a Answer) appendJSON(w *jsontext.Writer) {
	w.BeginObject()
	w.Key("accepted")
	w.Strings(a.Accepted)
	w.Key("refused")
	appendRefusals(w, a.Refused)
	w.EndObject()
}

// appendRefusals writes refusals as a JSON array of {"id", "reason"}.
func appendRefusals(w *jsontext.Writer, refusals []Refusal) {
	w.BeginArray()
	for _, r := range refusals {
		w.BeginObject()
		w.Key("id")
		w.String(r.ID)
		w.Key("reason")
		w.String(r.Reason)
		w.EndObject()
	}
	w.EndArray()
}

// DecodeEvents strictly decodes a request body, in one pass: one JSON object with only an events
// array of 1 to MaxBatchEvents objects, with no unknown fields anywhere but inside properties, every
// key spelled exactly and none twice in one object at any depth. A field given as null is left
// empty, as encoding/json leaves it.
func DecodeEvents(body []byte) ([]Event, error) {
	r := jsontext.NewReader(body)
	var events []Event
	seen := false
	if r.Peek() != jsontext.Object && r.Peek() != jsontext.None {
		return nil, r.KindError("a JSON object")
	}
	err := r.Object(func(key string) error {
		if key != "events" {
			return r.UnknownField(key, "events")
		}
		if r.Null() {
			return nil
		}
		seen = true
		events = make([]Event, 0, 16)
		return r.Array(func(int) error {
			e, err := decodeEvent(r)
			events = append(events, e)
			return err
		})
	})
	if err == nil {
		err = r.End()
	}
	switch {
	case err != nil:
		return nil, err
	case !seen:
		return nil, r.Error(`"events" is required and must be an array`)
	case len(events) == 0 || len(events) > MaxBatchEvents:
		return nil, r.Error(fmt.Sprintf(`"events" has %d entries, want 1 to %d`, len(events), MaxBatchEvents))
	}
	return events, nil
}

// decodeEvent reads one event object.
func decodeEvent(r *jsontext.Reader) (e Event, err error) {
	if err = r.BeginObject(); err != nil {
		return e, err
	}
	for {
		key, done, err := r.NextKey()
		if err != nil || done {
			return e, err
		}
		switch key {
		case "id":
			e.ID, err = r.StringOrNull()
		case "name":
			e.Name, err = r.StringOrNull()
		case "identity":
			e.Identity, err = r.StringOrNull()
		case "timestamp":
			e.Timestamp, err = r.StringOrNull()
		case "properties":
			e.Properties, err = properties(r)
		default:
			err = r.UnknownField(key, "id", "name", "properties", "identity", "timestamp")
		}
		if err != nil {
			return e, err
		}
	}
}

// properties reads an event's properties: an object of any values (validation says which it
// takes), or null as none.
func properties(r *jsontext.Reader) (map[string]any, error) {
	if r.Null() {
		return nil, nil
	}
	if r.Peek() != jsontext.Object {
		return nil, r.KindError("an object") // Any would take any kind
	}
	v, err := r.Any()
	props, _ := v.(map[string]any)
	return props, err
}
