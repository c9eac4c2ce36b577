package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// The relay reads each body once, with jsontext.Reader. These tests hold it to encoding/json as
// the oracle: the reference below decodes with encoding/json (strict about fields, numbers as
// json.Number) after a key check on json.Decoder.Token (exact spelling, no key twice in one
// object). For any body, both take it or both refuse it, and what they take is the same.

// eventSeeds are bodies for the events fuzzers: good ones, and near misses.
var eventSeeds = []string{
	batch(ev("a"), ev("b")),
	batch(ev("a"), ev("a"), ev("", "identity", `"guest"`)),
	batch(ev("x", "properties", `{"k":1e400,"b":true,"o":{"a":1}}`, "timestamp", `"2025-06-01T12:00:00Z"`)),
	`{"events":[{"id":"p1-1","name":"Userpilot Experience (started)","properties":{"experience_id":7,"experience_token":"tok","userpilot_user_id":"alice"},"identity":"alice","timestamp":"2024-01-02T03:04:05.000Z"}]}`,
	` { "events" : [ { "id" : "a" , "name" : "n\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t" , "properties" : { "x" : -0.5e+3 , "y" : true , "z" : false , "w" : "" } } ] } `,
	`{"events":[{"id":"a","name":"\ud800x","identity":"\udc00\ud800y"},{"id":"b"}]}`,
	`{"events":[{"id":null,"name":null,"properties":null,"identity":null,"timestamp":null}]}`, `{"events":null}`,
	`{"events":[{"id":"a","properties":{"n":01}}]}`, `{"events":[{"id":"a","properties":{"n":1.}}]}`,
	`{"events":[{"id":"a","properties":{"n":null,"l":[1,{"k":[]}]}}]}`,
	`{"events":[{"id":"a","ID":"b"}]}`, `{"events":[{"id":"a","id":"b"}]}`, `{"EVENTS":[]}`, `{"events":[],"events":[]}`,
	`{"events":[{"properties":{"a":1,"a":2}}]}`, `{"events":[{"properties":{"\u0061":1,"a":2}}]}`,
	`{"events":[{"properties":{"\ud800":1,"\udc00":2}}]}`, "{\"events\":[{\"properties\":{\"a\xff\":1,\"a\xfe\":2}}]}",
	`{"events":[{"properties":{"o":[{"k":[1,{"k":2,"k":3}]}]}}]}`,
	`{"events":[{"properties":{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k3":3}}]}`,
	`{"events":[{"id":"a"}]} {"x":1,"x":2}`, `{"events":[{"id":"a",}]}`, `{"events":[1e400, -0.5, true, null, "x"]}`,
	`{"events":[]}`, `{"events":[{"id":1}]}`, "{\"events\":[{\"id\":\"\xff\xfe\"}]}", "{\"events\":[{\"id\":\"a\tb\"}]}",
	`{"events":[{"id":"a"}]} x`, `{"app_id":"1","events":[]}`, `[]`, `"x"`, ``, ` `, `nul`, `{"events":[{"id":"a"}]`,
}

// FuzzDecodeEventsOracle tests DecodeEvents against the encoding/json reference.
func FuzzDecodeEventsOracle(f *testing.F) {
	for _, s := range eventSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkEventsOracle(t, body) })
}

// TestDecodeEventsOracle runs the oracle over the seeds, and over nesting at encoding/json's limit.
func TestDecodeEventsOracle(t *testing.T) {
	for _, s := range eventSeeds {
		checkEventsOracle(t, []byte(s))
	}
	for _, depth := range []int{jsontext.MaxDepth - 3, jsontext.MaxDepth - 2, jsontext.MaxDepth + 5} {
		deep := `{"events":[{"properties":{"k":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}}]}`
		checkEventsOracle(t, []byte(deep))
	}
	var many strings.Builder
	many.WriteString(`{"events":[`)
	for i := range MaxBatchEvents + 1 {
		if i > 0 {
			many.WriteByte(',')
		}
		many.WriteString(`{"id":"e` + strconv.Itoa(i) + `"}`)
	}
	many.WriteString(`]}`)
	checkEventsOracle(t, []byte(many.String()))
}

func checkEventsOracle(t *testing.T, body []byte) {
	t.Helper()
	got, err := DecodeEvents(body)
	want, wantErr := referenceEvents(body)
	if !bothTake(t, "DecodeEvents", body, err, wantErr) {
		return
	}
	for i := range want {
		want[i].Properties, _ = asNum(want[i].Properties).(map[string]any)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q decodes differently:\nDecodeEvents  %#v\nencoding/json %#v", body, got, want)
	}
}

// bothTake fails t unless decoder and the reference both refuse body or both take it, and
// reports whether they took it.
func bothTake(t *testing.T, decoder string, body []byte, err, wantErr error) bool {
	t.Helper()
	switch {
	case err != nil && wantErr != nil:
		return false
	case err != nil:
		t.Fatalf("%s(%q) refused it: %v; encoding/json takes it", decoder, body, err)
	case wantErr != nil:
		t.Fatalf("%s(%q) took it; encoding/json refuses it: %v", decoder, body, wantErr)
	}
	return true
}

// asNum gives a value decoded by encoding/json with json.Number as DecodeEvents gives it.
func asNum(v any) any {
	switch v := v.(type) {
	case json.Number:
		return jsontext.Num(v)
	case map[string]any:
		if v == nil {
			return v
		}
		for k, x := range v {
			v[k] = asNum(x)
		}
	case []any:
		for i, x := range v {
			v[i] = asNum(x)
		}
	}
	return v
}

// referenceEvents decodes an events body with encoding/json, refusing what DecodeEvents refuses.
func referenceEvents(body []byte) ([]Event, error) {
	if err := referenceKeys(body, eventsFields); err != nil {
		return nil, err
	}
	var top struct {
		Events *[]json.RawMessage `json:"events"`
	}
	if err := referenceDecode(body, &top); err != nil {
		return nil, err
	}
	if top.Events == nil || len(*top.Events) == 0 || len(*top.Events) > MaxBatchEvents {
		return nil, errors.New("events: missing, or not 1 to 1000")
	}
	events := make([]Event, len(*top.Events))
	for i, raw := range *top.Events {
		var e struct {
			ID         string         `json:"id"`
			Name       string         `json:"name"`
			Properties map[string]any `json:"properties"`
			Identity   string         `json:"identity"`
			Timestamp  string         `json:"timestamp"`
		}
		if !bytes.HasPrefix(raw, []byte("{")) {
			return nil, fmt.Errorf("events[%d]: not an object", i)
		}
		if err := referenceDecode(raw, &e); err != nil {
			return nil, err
		}
		events[i] = Event(e)
	}
	return events, nil
}

// eventsFields is the events body's schema: the keys allowed in the object at path, or nil for any.
func eventsFields(path []string) []string {
	switch {
	case len(path) == 0:
		return []string{"events"}
	case len(path) == 2 && path[0] == "events" && path[1] == "[]":
		return []string{"id", "name", "properties", "identity", "timestamp"}
	}
	return nil
}

// referenceDecode decodes exactly one JSON value into v, refusing unknown fields and trailing data.
func referenceDecode(data []byte, v any) error { return referenceDecodeAs(data, v, false) }

// referenceDecodeAs is referenceDecode, taking unknown fields when lenient.
func referenceDecodeAs(data []byte, v any, lenient bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if !lenient {
		dec.DisallowUnknownFields()
	}
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// referenceKeys refuses a body with a key given twice in one object, or one fields does not allow
// (exact spelling), on json.Decoder.Token; path holds keys, and "[]" for an array's element.
func referenceKeys(body []byte, fields func(path []string) []string) error {
	return referenceKeysAs(body, fields, false)
}

// referenceKeysAs is referenceKeys; when lenient, a key fields does not allow is taken unless it
// is an allowed one in another case.
func referenceKeysAs(body []byte, fields func(path []string) []string, lenient bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var walk func(path []string) error
	walk = func(path []string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			allowed := fields(path)
			seen := map[string]bool{}
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					return err
				}
				key := tok.(string)
				misspelt := slices.ContainsFunc(allowed, func(a string) bool { return a != key && strings.EqualFold(a, key) })
				if seen[key] || allowed != nil && !slices.Contains(allowed, key) && (!lenient || misspelt) {
					return fmt.Errorf("bad key %q", key)
				}
				seen[key] = true
				if err := walk(append(slices.Clip(path), key)); err != nil {
					return err
				}
			}
		case json.Delim('['):
			for dec.More() {
				if err := walk(append(slices.Clip(path), "[]")); err != nil {
					return err
				}
			}
		default:
			return nil
		}
		_, err = dec.Token()
		return err
	}
	return walk(nil)
}

// FuzzDecodeSegmentSyncOracle tests DecodeSegmentSync against the encoding/json reference.
func FuzzDecodeSegmentSyncOracle(f *testing.F) {
	for _, s := range segmentSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkSyncOracle(t, body) })
}

// TestDecodeSegmentSyncOracle runs the oracle over the seeds.
func TestDecodeSegmentSyncOracle(t *testing.T) {
	for _, s := range segmentSeeds {
		checkSyncOracle(t, []byte(s))
	}
}

func checkSyncOracle(t *testing.T, body []byte) {
	t.Helper()
	got, err := DecodeSegmentSync(body)
	want, wantErr := referenceSync(body)
	if !bothTake(t, "DecodeSegmentSync", body, err, wantErr) {
		return
	}
	if !slices.Equal(got.Add, want.Add) || !slices.Equal(got.Remove, want.Remove) || got.SegmentID != want.SegmentID || got.SegmentName != want.SegmentName ||
		got.Action != want.Action || got.TaskID != want.TaskID || got.Page != want.Page {
		t.Fatalf("%q decodes differently:\nDecodeSegmentSync %#v\nencoding/json     %#v", body, got, want)
	}
}

// referenceSync decodes a segment.users.sync or drain body with encoding/json, refusing what
// DecodeSegmentSync refuses and skipping unknown fields.
func referenceSync(body []byte) (SegmentSync, error) {
	if err := referenceKeysAs(body, syncFields, true); err != nil {
		return SegmentSync{}, err
	}
	var b struct {
		IDToken        *string         `json:"id_token"`
		ActionType     *string         `json:"action_type"`
		CustomerConfig json.RawMessage `json:"customer_config"`
		Data           *struct {
			Segment *struct {
				ID   json.RawMessage `json:"id"`
				Name *string         `json:"name"`
			} `json:"segment"`
			SyncInfo *struct {
				PageNumber json.RawMessage `json:"page_number"`
				TotalPages json.RawMessage `json:"total_pages"`
				SyncTaskID *string         `json:"sync_task_id"`
			} `json:"sync_info"`
			Add    []json.RawMessage `json:"add"`
			Remove []json.RawMessage `json:"remove"`
		} `json:"data"`
	}
	if !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) {
		return SegmentSync{}, errors.New("not an object")
	}
	if err := referenceDecodeAs(body, &b, true); err != nil {
		return SegmentSync{}, err
	}
	cc := string(b.CustomerConfig)
	if b.ActionType == nil || *b.ActionType != SegmentsAction && *b.ActionType != DrainAction || cc != "" && cc != "null" && cc[0] != '{' ||
		b.Data == nil || b.Data.Segment == nil {
		return SegmentSync{}, errors.New("action_type, customer_config, data or segment")
	}
	id, err := strconv.ParseInt(string(b.Data.Segment.ID), 10, 64)
	if err != nil || id <= 0 {
		return SegmentSync{}, errors.New("segment id")
	}
	out := SegmentSync{Action: *b.ActionType, SegmentID: id, Page: -1}
	if b.Data.Segment.Name != nil {
		out.SegmentName = *b.Data.Segment.Name
	}
	if info := b.Data.SyncInfo; info != nil {
		for _, raw := range []json.RawMessage{info.PageNumber, info.TotalPages} {
			if n, err := strconv.ParseInt(string(raw), 10, 64); len(raw) > 0 && string(raw) != "null" && (err != nil || n < 0) {
				return SegmentSync{}, errors.New("sync_info")
			}
		}
		if n, err := strconv.ParseInt(string(info.PageNumber), 10, 64); err == nil {
			out.Page = n
		}
		if info.SyncTaskID != nil {
			out.TaskID = *info.SyncTaskID
		}
	}
	for _, list := range []struct {
		raw []json.RawMessage
		ids *[]string
	}{{b.Data.Add, &out.Add}, {b.Data.Remove, &out.Remove}} {
		for _, r := range list.raw {
			var u struct {
				ID *string `json:"id"`
			}
			if !bytes.HasPrefix(r, []byte("{")) || referenceDecodeAs(r, &u, true) != nil || u.ID == nil {
				return SegmentSync{}, errors.New("add or remove")
			}
			*list.ids = append(*list.ids, *u.ID)
		}
	}
	return out, nil
}

// syncFields is the segment.users.sync body's schema, as eventsFields; customer_config holds anything.
func syncFields(path []string) []string {
	switch {
	case len(path) == 0:
		return []string{"id_token", "action_type", "customer_config", "data"}
	case path[0] != "data":
		return nil
	case len(path) == 1:
		return []string{"segment", "sync_info", "add", "remove"}
	case len(path) == 2 && path[1] == "segment":
		return []string{"id", "name"}
	case len(path) == 2 && path[1] == "sync_info":
		return []string{"page_number", "total_pages", "sync_task_id"}
	case len(path) == 3 && (path[1] == "add" || path[1] == "remove") && path[2] == "[]":
		return []string{"id"}
	}
	return nil
}
