package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// SegmentsAction is the only action_type POST /v1/heap/segments takes.
const SegmentsAction = "segment.users.sync"

// Field names of Heap's segment.users.sync body (docs/contract.md §8), exactly as spelled.
var (
	syncFields     = map[string]bool{"id_token": true, "action_type": true, "customer_config": true, "data": true}
	syncDataFields = map[string]bool{"segment": true, "sync_info": true, "add": true, "remove": true}
	segmentFields  = map[string]bool{"id": true, "name": true}
	syncInfoFields = map[string]bool{"page_number": true, "total_pages": true, "sync_task_id": true}
	syncUserFields = map[string]bool{"id": true}
)

// syncSchema is the schema of Heap's segment.users.sync body; customer_config may hold anything.
func syncSchema(path []step) map[string]bool {
	switch {
	case len(path) == 0:
		return syncFields
	case !path[0].is("data"):
		return nil
	case len(path) == 1:
		return syncDataFields
	case len(path) == 2 && path[1].is("segment"):
		return segmentFields
	case len(path) == 2 && path[1].is("sync_info"):
		return syncInfoFields
	case len(path) == 3 && (path[1].is("add") || path[1].is("remove")) && path[2].index >= 0:
		return syncUserFields
	}
	return nil
}

// SegmentSync is what the relay takes from one segment.users.sync webhook: one page of a sync.
type SegmentSync struct {
	SegmentID   int64
	SegmentName string
	Add, Remove []string // user ids, in the body's order
}

// syncBody is the webhook body as encoding/json reads it; fields the relay only checks are kept raw.
type syncBody struct {
	IDToken        *string         `json:"id_token"`
	ActionType     *string         `json:"action_type"`
	CustomerConfig json.RawMessage `json:"customer_config"`
	Data           *struct {
		Segment *struct {
			ID   json.RawMessage `json:"id"` // raw: a json.Number would take "7" too
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

// syncUser is one entry of add or remove.
type syncUser struct {
	ID *string `json:"id"`
}

// DecodeSegmentSync strictly decodes a segment.users.sync body: one JSON object of the contract's
// shape, every key spelled exactly and none twice in one object, action_type segment.users.sync,
// a segment id that is a whole number above 0, and add and remove (each optional) lists of
// {"id": "<string>"}. customer_config, id_token and sync_info are checked for type only.
func DecodeSegmentSync(body []byte) (SegmentSync, error) {
	if kind := kindOf(bytes.TrimLeft(body, " \t\r\n")); kind != "" && kind != "an object" {
		return SegmentSync{}, fmt.Errorf("body: is %s, not a JSON object", kind)
	}
	if err := checkKeysIn(body, syncSchema); err != nil {
		return SegmentSync{}, err
	}
	var b syncBody
	if err := decodeOne(body, &b); err != nil {
		return SegmentSync{}, fmt.Errorf("body: %v", err)
	}
	switch {
	case b.ActionType == nil:
		return SegmentSync{}, errors.New(`body: "action_type" is required, "` + SegmentsAction + `"`)
	case *b.ActionType != SegmentsAction:
		return SegmentSync{}, fmt.Errorf(`body: "action_type" is %s; the relay takes only %q`, label(*b.ActionType), SegmentsAction)
	case len(b.CustomerConfig) > 0 && kindOf(b.CustomerConfig) != "an object" && kindOf(b.CustomerConfig) != "null":
		return SegmentSync{}, fmt.Errorf(`body: "customer_config" is %s, not an object`, kindOf(b.CustomerConfig))
	case b.Data == nil:
		return SegmentSync{}, errors.New(`body: "data" is required and must be an object`)
	case b.Data.Segment == nil:
		return SegmentSync{}, errors.New(`data: "segment" is required and must be an object`)
	case absent(b.Data.Segment.ID):
		return SegmentSync{}, errors.New(`data.segment: "id" is required, Heap's segment id`)
	}
	out := SegmentSync{}
	id, ok := wholeNumber(b.Data.Segment.ID)
	if !ok || id <= 0 {
		return SegmentSync{}, fmt.Errorf(`data.segment: "id" is %s, not a whole number above 0`, rawLabel(b.Data.Segment.ID))
	}
	out.SegmentID = id
	if b.Data.Segment.Name != nil {
		out.SegmentName = *b.Data.Segment.Name
	}
	if info := b.Data.SyncInfo; info != nil {
		for _, f := range []struct {
			name string
			raw  json.RawMessage
		}{{"page_number", info.PageNumber}, {"total_pages", info.TotalPages}} {
			if v, ok := wholeNumber(f.raw); !absent(f.raw) && (!ok || v < 0) {
				return SegmentSync{}, fmt.Errorf(`data.sync_info: %q is %s, not a whole number`, f.name, rawLabel(f.raw))
			}
		}
	}
	var err error
	if out.Add, err = syncUsers("data.add", b.Data.Add); err != nil {
		return SegmentSync{}, err
	}
	if out.Remove, err = syncUsers("data.remove", b.Data.Remove); err != nil {
		return SegmentSync{}, err
	}
	return out, nil
}

// rawLabel shows a JSON value as written, shortened as label shortens a string.
func rawLabel(raw json.RawMessage) string {
	if cut, ok := bridge.CutUTF16(string(raw), 64); ok {
		return cut + "…"
	}
	return string(raw)
}

// absent reports whether a raw field was left out or null.
func absent(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// wholeNumber reads a JSON number written as a whole number that fits an int64: no fraction, no
// exponent, not a string.
func wholeNumber(raw json.RawMessage) (int64, bool) {
	if kindOf(raw) != "a number" {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

// syncUsers decodes the entries of add or remove (where names it) into their ids.
func syncUsers(where string, raw []json.RawMessage) ([]string, error) {
	ids := make([]string, len(raw))
	for i, r := range raw {
		if kind := kindOf(r); kind != "an object" {
			return nil, fmt.Errorf("%s[%d]: is %s, not an object", where, i, kind)
		}
		var u syncUser
		if err := decodeOne(r, &u); err != nil {
			return nil, fmt.Errorf("%s[%d]: %v", where, i, err)
		}
		if u.ID == nil {
			return nil, fmt.Errorf(`%s[%d]: "id" is required, the user's id`, where, i)
		}
		ids[i] = *u.ID
	}
	return ids, nil
}
