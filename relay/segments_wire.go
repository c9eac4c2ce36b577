package relay

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// The action_types POST /v1/heap/segments takes: a page of a sync, and a segment that is gone.
const (
	SegmentsAction = "segment.users.sync"
	DrainAction    = "segment.users.drain"
)

// SegmentSync is what the relay takes from one webhook: one page of a sync, or a drain.
type SegmentSync struct {
	Action      string // SegmentsAction or DrainAction
	SegmentID   int64
	SegmentName string
	Add, Remove []string // user ids, in the body's order
	TaskID      string   // sync_info.sync_task_id, "" when not given
	Page        int64    // sync_info.page_number, -1 when not given
}

// syncBody is what reading the webhook body finds, before its values are checked; numbers the
// relay checks are kept as written, and a value given as null counts as left out.
type syncBody struct {
	actionType        *string
	customerConfig    jsontext.Kind // None when left out
	data, segment     bool
	segmentID         string
	segmentName       string
	pageNumber, total string
	taskID            string
	add, remove       []string
}

// DecodeSegmentSync decodes a segment.users.sync or segment.users.drain body (docs/contract.md §8,
// §10), in one pass: one JSON object, no key twice in one object, action_type one of the two, a
// segment id that is a whole number above 0, and add and remove (each optional) lists of
// {"id": "<string>"}. customer_config, id_token and sync_info are checked for type only. A key the
// contract does not name is skipped: Heap may add fields, and one refusal would stall every sync.
func DecodeSegmentSync(body []byte) (SegmentSync, error) {
	b, err := readSync(body)
	if err != nil {
		return SegmentSync{}, err
	}
	switch {
	case b.actionType == nil:
		return SegmentSync{}, errors.New(`body: "action_type" is required, "` + SegmentsAction + `"`)
	case *b.actionType != SegmentsAction && *b.actionType != DrainAction:
		return SegmentSync{}, fmt.Errorf(`body: "action_type" is %s; the relay takes %q and %q`, label(*b.actionType), SegmentsAction, DrainAction)
	case b.customerConfig != jsontext.None && b.customerConfig != jsontext.Object && b.customerConfig != jsontext.Null:
		return SegmentSync{}, fmt.Errorf(`body: "customer_config" is %s, not an object`, b.customerConfig)
	case !b.data:
		return SegmentSync{}, errors.New(`body: "data" is required and must be an object`)
	case !b.segment:
		return SegmentSync{}, errors.New(`data: "segment" is required and must be an object`)
	case absent(b.segmentID):
		return SegmentSync{}, errors.New(`data.segment: "id" is required, Heap's segment id`)
	}
	id, ok := wholeNumber(b.segmentID)
	if !ok || id <= 0 {
		return SegmentSync{}, fmt.Errorf(`data.segment: "id" is %s, not a whole number above 0`, rawLabel(b.segmentID))
	}
	for _, f := range []struct{ name, raw string }{{"page_number", b.pageNumber}, {"total_pages", b.total}} {
		if v, ok := wholeNumber(f.raw); !absent(f.raw) && (!ok || v < 0) {
			return SegmentSync{}, fmt.Errorf(`data.sync_info: %q is %s, not a whole number`, f.name, rawLabel(f.raw))
		}
	}
	page := int64(-1)
	if v, ok := wholeNumber(b.pageNumber); ok {
		page = v
	}
	return SegmentSync{Action: *b.actionType, SegmentID: id, SegmentName: b.segmentName, Add: b.add, Remove: b.remove, TaskID: b.taskID, Page: page}, nil
}

// readSync reads the body's shape: its keys, and the kind of each value the relay takes.
func readSync(body []byte) (b syncBody, err error) {
	r := jsontext.NewReader(body)
	if r.Peek() != jsontext.Object && r.Peek() != jsontext.None {
		return b, r.KindError("a JSON object")
	}
	err = r.Object(func(key string) error {
		switch key {
		case "id_token":
			_, err := r.StringOrNull()
			return err
		case "action_type":
			if r.Null() {
				return nil
			}
			s, err := r.String()
			b.actionType = &s
			return err
		case "customer_config":
			b.customerConfig = r.Peek()
			return r.Skip() // anything, its keys each once
		case "data":
			if r.Null() {
				return nil
			}
			b.data = true
			return readSyncData(r, &b)
		}
		return skipUnknown(r, key, "id_token", "action_type", "customer_config", "data")
	})
	if err == nil {
		err = r.End()
	}
	return b, err
}

// skipUnknown skips the value of a key the contract does not name, since Heap may add fields;
// a key that is one of fields in another case is an error, since it is a known field misspelt.
func skipUnknown(r *jsontext.Reader, key string, fields ...string) error {
	for _, f := range fields {
		if strings.EqualFold(key, f) {
			return r.UnknownField(key, fields...)
		}
	}
	return r.Skip()
}

// readSyncData reads the body's data object into b.
func readSyncData(r *jsontext.Reader, b *syncBody) error {
	return r.Object(func(key string) (err error) {
		switch key {
		case "segment":
			if r.Null() {
				return nil
			}
			b.segment = true
			return r.Object(func(key string) (err error) {
				switch key {
				case "id":
					b.segmentID, err = r.Raw() // as written: a string "7" is no segment id
				case "name":
					b.segmentName, err = r.StringOrNull()
				default:
					err = skipUnknown(r, key, "id", "name")
				}
				return err
			})
		case "sync_info":
			if r.Null() {
				return nil
			}
			return r.Object(func(key string) (err error) {
				switch key {
				case "page_number":
					b.pageNumber, err = r.Raw()
				case "total_pages":
					b.total, err = r.Raw()
				case "sync_task_id":
					b.taskID, err = r.StringOrNull()
				default:
					err = skipUnknown(r, key, "page_number", "total_pages", "sync_task_id")
				}
				return err
			})
		case "add":
			b.add, err = syncUsers(r)
		case "remove":
			b.remove, err = syncUsers(r)
		default:
			err = skipUnknown(r, key, "segment", "sync_info", "add", "remove")
		}
		return err
	})
}

// rawLabel shows a JSON value as written, shortened as label shortens a string.
func rawLabel(raw string) string {
	if cut, ok := bridge.CutUTF16(raw, 64); ok {
		return cut + "…"
	}
	return raw
}

// absent reports whether a value kept as written was left out or null.
func absent(raw string) bool { return raw == "" || raw == "null" }

// wholeNumber reads a JSON number written as a whole number that fits an int64: no fraction, no
// exponent, not a string.
func wholeNumber(raw string) (int64, bool) {
	if raw == "" || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, false
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	return n, err == nil
}

// syncUsers reads the entries of add or remove, each {"id": "<string>"}, into their ids; null
// reads as none.
func syncUsers(r *jsontext.Reader) ([]string, error) {
	if r.Null() {
		return nil, nil
	}
	ids := []string{}
	err := r.Array(func(int) error {
		if r.Peek() != jsontext.Object {
			return r.KindError("an object")
		}
		var id *string
		err := r.Object(func(key string) error {
			if key != "id" {
				return skipUnknown(r, key, "id")
			}
			if r.Null() {
				return nil
			}
			s, err := r.String()
			id = &s
			return err
		})
		if err != nil {
			return err
		}
		if id == nil {
			return r.Error(`"id" is required, the user's id`)
		}
		ids = append(ids, *id)
		return nil
	})
	return ids, err
}
