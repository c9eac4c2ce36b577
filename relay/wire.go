package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxBatchEvents is the most events one request may carry, Heap's bulk cap (docs/sdk-facts.md#heap-server-track).
const MaxBatchEvents = 1000

// Event is one normalised event as the page sends it (docs/contract.md §6).
type Event struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Properties map[string]any `json:"properties"` // numbers decode as json.Number
	Identity   string         `json:"identity"`
	Timestamp  string         `json:"timestamp"`
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

// errorBody is the body of every non-200 answer.
type errorBody struct {
	Error string `json:"error"`
}

// DecodeEvents strictly decodes a request body: one JSON object with only an events array of 1 to
// MaxBatchEvents objects, with no unknown fields anywhere but inside properties, every key spelled
// exactly and none twice in one object.
func DecodeEvents(body []byte) ([]Event, error) {
	return decodeEvents(body, true)
}

// decodeEvents is DecodeEvents, with the one-pass decoder for well-formed bodies when fast.
func decodeEvents(body []byte, fast bool) ([]Event, error) {
	if events, ok := decodeEventsFast(body); fast && ok {
		return events, nil
	}
	if kind := kindOf(bytes.TrimLeft(body, " \t\r\n")); kind != "" && kind != "an object" {
		return nil, fmt.Errorf("body: is %s, not a JSON object", kind)
	}
	if err := checkKeys(body); err != nil {
		return nil, err
	}
	var top struct {
		Events *[]json.RawMessage `json:"events"`
	}
	if err := decodeOne(body, &top); err != nil {
		return nil, fmt.Errorf("body: %v", err)
	}
	switch {
	case top.Events == nil:
		return nil, errors.New(`body: "events" is required and must be an array`)
	case len(*top.Events) == 0 || len(*top.Events) > MaxBatchEvents:
		return nil, fmt.Errorf(`body: "events" has %d entries, want 1 to %d`, len(*top.Events), MaxBatchEvents)
	}
	events := make([]Event, len(*top.Events))
	for i, raw := range *top.Events {
		if kind := kindOf(bytes.TrimLeft(raw, " \t\r\n")); kind != "an object" {
			return nil, fmt.Errorf("events[%d]: is %s, not an object", i, kind)
		}
		if err := decodeOne(raw, &events[i]); err != nil {
			return nil, fmt.Errorf("events[%d]: %v", i, err)
		}
	}
	return events, nil
}

// decodeOne decodes exactly one JSON value into v, refusing unknown fields and trailing data.
func decodeOne(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber() // so 1e400 is refused by validation rather than lost in decoding
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("is empty, want a JSON object")
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("has data after the JSON object")
	}
	return nil
}

// kindOf names the kind of JSON value t starts with, or "" when it starts with none.
func kindOf(t []byte) string {
	if len(t) == 0 {
		return ""
	}
	switch t[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		if bytes.HasPrefix(t, []byte("null")) {
			return "null"
		}
	case 't', 'f':
		if bytes.HasPrefix(t, []byte("true")) || bytes.HasPrefix(t, []byte("false")) {
			return "a boolean"
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	}
	return ""
}
