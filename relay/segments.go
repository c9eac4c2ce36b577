package relay

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// POST /v1/heap/segments: Heap's segment.users.sync webhook becomes Userpilot Bulk Identify
// requests that set heap_segment_<segment id> on each added ("true") or removed ("false") user
// (docs/contract.md §8).
const (
	segmentsPath          = "/v1/heap/segments"
	bulkIdentifyPath      = "/v1/users/bulk_identify"
	MaxBulkIdentifyUsers  = 1000 // users per Bulk Identify request
	SegmentPropertyPrefix = "heap_segment_"
)

// Skip codes of POST /v1/heap/segments, the part of a reason before the colon.
const (
	CodeAddAndRemove = "add_and_remove"
	// CodeInvalidIdentity (validate.go) is the other: an id the identity guard refuses.
)

// SegmentsAnswer is the 200 body of POST /v1/heap/segments: how many users Userpilot took, and
// the ids that were not sent, each once, with why.
type SegmentsAnswer struct {
	Users   int       `json:"users"`
	Skipped []Refusal `json:"skipped"`
}

// segmenter serves POST /v1/heap/segments.
type segmenter struct {
	secret  string
	off     string // why the endpoint is not configured, or ""
	maxBody int64
	now     func() time.Time
	api     upstream
	queue   SegmentQueueClient // nil while off
}

// newSegmenter returns the segments endpoint for cfg (after withDefaults).
func newSegmenter(cfg Config, deps Deps) segmenter {
	var missing []string
	if cfg.WebhookSecret == "" {
		missing = append(missing, "HEAP_WEBHOOK_SECRET")
	}
	if cfg.UserpilotAPIKey == "" {
		missing = append(missing, "USERPILOT_API_KEY")
	}
	off := ""
	if len(missing) > 0 {
		off = "POST " + segmentsPath + " is not configured: set " + strings.Join(missing, " and ") +
			" (Worker secrets) to take Heap's segment webhook; POST " + eventsPath + " works without them"
	}
	s := segmenter{
		secret: cfg.WebhookSecret, off: off, maxBody: cfg.SegmentsMaxBodyBytes, now: deps.Now,
		api: upstream{
			service: "Userpilot", payload: "the users", urlVar: "USERPILOT_API_URL",
			target:   cfg.UserpilotAPIURL + bulkIdentifyPath,
			header:   http.Header{"Authorization": {"Token " + cfg.UserpilotAPIKey}},
			deadline: cfg.UserpilotDeadline, client: deps.Client, now: deps.Now, sleep: deps.Sleep,
		},
	}
	if off == "" {
		s.queue = deps.Segments
		if s.queue == nil {
			s.queue = newLocalSegments(cfg, deps, s.api)
		}
	}
	return s
}

// serve checks in order: configured, size, signature, shape; then hands the page to the API
// key's job queue (segqueue.go) and answers 200 once it is stored: {"users": n, "skipped"}, with
// "duplicate": true for a page the queue had applied already.
func (s *segmenter) serve(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	if s.off != "" {
		writeError(w, http.StatusNotFound, s.off)
		return
	}
	body, ok := readBody(w, r, s.maxBody, "Heap's segment webhook pages are not expected to be larger")
	if !ok {
		return
	}
	if why := checkHeapHash(r.Header.Values(heapHashHeader), s.secret, body, start); why != "" {
		writeError(w, http.StatusForbidden, why)
		return
	}
	sync, err := DecodeSegmentSync(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	page := SegmentPage{Segment: sync.SegmentID, Drain: sync.Action == DrainAction}
	if sync.TaskID != "" || sync.Page >= 0 {
		page.Key = strconv.FormatInt(sync.SegmentID, 10) + ":" + sync.TaskID + ":" + strconv.FormatInt(sync.Page, 10)
	}
	skipped := []Refusal{}
	if !page.Drain {
		var users []bulkUser
		users, skipped = membership(sync)
		for _, u := range users {
			for _, v := range u.Metadata {
				page.Users = append(page.Users, u.UserID)
				page.Values = append(page.Values, v)
			}
		}
	}
	users, duplicate, err := s.queue.Page(r.Context(), start, page)
	if err != nil {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "the relay could not store the page: "+err.Error())
		return
	}
	j := jsontext.NewWriter(32 + 64*len(skipped))
	j.BeginObject()
	j.Key("users")
	j.Int(users)
	j.Key("skipped")
	appendRefusals(j, skipped)
	if duplicate {
		j.Key("duplicate")
		j.Bool(true)
	}
	j.EndObject()
	writeJSON(w, http.StatusOK, j)
}

// answerDetail quotes the start of an API's answer for a message, or gives "" for an empty one.
func answerDetail(d string) string {
	if d = strings.TrimSpace(d); d == "" {
		return ""
	}
	return " " + label(d)
}

// bulkIdentify is the body of Userpilot's Bulk Identify (docs/sdk-facts.md#up-bulk-identify).
type bulkIdentify struct {
	Users []bulkUser
}

// json writes b as Userpilot's body: each user's metadata keys in order, as encoding/json writes a map.
func (b bulkIdentify) json() []byte {
	j := jsontext.NewWriter(32 + 96*len(b.Users))
	j.BeginObject()
	j.Key("users")
	j.BeginArray()
	for _, u := range b.Users {
		j.BeginObject()
		j.Key("user_id")
		j.String(u.UserID)
		j.Key("metadata")
		j.BeginObject()
		for _, k := range slices.Sorted(maps.Keys(u.Metadata)) {
			j.Key(k)
			j.String(u.Metadata[k])
		}
		j.EndObject()
		j.EndObject()
	}
	j.EndArray()
	j.EndObject()
	return j.Bytes()
}

// bulkUser is one user of bulkIdentify.
type bulkUser struct {
	UserID   string
	Metadata map[string]string
}

// membership turns one page of a sync into Bulk Identify users (added ones first, then removed
// ones, each id once, in the body's order) and the ids skipped: those the identity guard refuses
// and those both added and removed, which the page does not settle.
func membership(sync SegmentSync) ([]bulkUser, []Refusal) {
	key := SegmentPropertyPrefix + strconv.FormatInt(sync.SegmentID, 10)
	value := map[string]string{}
	var order []string
	for _, list := range []struct {
		ids []string
		in  string
	}{{sync.Add, "true"}, {sync.Remove, "false"}} {
		for _, id := range list.ids {
			switch v, seen := value[id]; {
			case !seen:
				value[id] = list.in
				order = append(order, id)
			case v != list.in:
				value[id] = CodeAddAndRemove
			}
		}
	}
	users := []bulkUser{}
	skipped := []Refusal{}
	for _, id := range order {
		if value[id] == CodeAddAndRemove {
			skipped = append(skipped, Refusal{ID: id, Reason: CodeAddAndRemove + ": the page both adds the user to segment " +
				strconv.FormatInt(sync.SegmentID, 10) + " and removes it, so the relay cannot tell which holds"})
			continue
		}
		if _, why := bridge.CheckIdentity(bridge.Str(id)); why != "" { // the page's own guard
			skipped = append(skipped, Refusal{ID: id, Reason: CodeInvalidIdentity + ": " + sentence("the user id", why)})
			continue
		}
		users = append(users, bulkUser{UserID: id, Metadata: map[string]string{key: value[id]}})
	}
	return users, skipped
}
