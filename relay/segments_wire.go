package relay

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// SegmentsAction is the only action_type POST /v1/heap/segments takes.
const SegmentsAction = "segment.users.sync"

// SegmentSync is what the relay takes from one segment.users.sync webhook: one page of a sync.
type SegmentSync struct {
	SegmentID   int64
	SegmentName string
	Add, Remove []string // user ids, in the body's order
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
	add, remove       []string
}

// DecodeSegmentSync strictly decodes a segment.users.sync body (docs/contract.md §8), in one pass:
// one JSON object of the contract's shape, every key spelled exactly and none twice in one object,
// action_type segment.users.sync, a segment id that is a whole number above 0, and add and remove
// (each optional) lists of {"id": "<string>"}. customer_config, id_token and sync_info are checked
// for type only.
func DecodeSegmentSync(body []byte) (SegmentSync, error) {
	b, err := readSync(body)
	if err != nil {
		return SegmentSync{}, err
	}
	switch {
	case b.actionType == nil:
		return SegmentSync{}, errors.New(`body: "action_type" is required, "` + SegmentsAction + `"`)
	case *b.actionType != SegmentsAction:
		return SegmentSync{}, fmt.Errorf(`body: "action_type" is %s; the relay takes only %q`, label(*b.actionType), SegmentsAction)
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
	return SegmentSync{SegmentID: id, SegmentName: b.segmentName, Add: b.add, Remove: b.remove}, nil
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
		return r.UnknownField(key, "id_token", "action_type", "customer_config", "data")
	})
	if err == nil {
		err = r.End()
	}
	return b, err
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
					err = r.UnknownField(key, "id", "name")
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
					_, err = r.StringOrNull()
				default:
					err = r.UnknownField(key, "page_number", "total_pages", "sync_task_id")
				}
				return err
			})
		case "add":
			b.add, err = syncUsers(r)
		case "remove":
			b.remove, err = syncUsers(r)
		default:
			err = r.UnknownField(key, "segment", "sync_info", "add", "remove")
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
				return r.UnknownField(key, "id")
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
