// Package fakeheap plays Heap's server-side track API (docs/sdk-facts.md#heap-server-track) for tests.
package fakeheap

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeserve"
)

// MaxBulkEvents is Heap's cap on events in one bulk track request.
const MaxBulkEvents = 1000

// Event is one tracked event as Heap stored it.
type Event struct {
	Identity       string         `json:"identity"`
	Event          string         `json:"event"`
	Properties     map[string]any `json:"properties,omitempty"`
	Timestamp      string         `json:"timestamp,omitempty"`
	IdempotencyKey string         `json:"idempotency_key,omitempty"`
}

// Snapshot is what GET /_events reports.
type Snapshot struct {
	Requests   int     `json:"requests"`   // track requests, failed ones included
	Received   int     `json:"received"`   // events in requests answered 200
	Duplicates int     `json:"duplicates"` // of those, events whose idempotency key was already stored
	Limited    int     `json:"limited"`    // track requests answered 429 for going over the Rates
	Events     []Event `json:"events"`     // stored events, in arrival order
}

// Failure is the body of POST /_fail. Location, when set, goes on each of those answers, for
// redirects.
type Failure = fakeserve.Failure

// Server is the fake Heap API; it is safe for concurrent use.
//
// It keeps one record per scope, so that tests running at once against one fake Heap each see
// only their own traffic: a track request (its count, the failure it takes) belongs to the scope
// named by its first event's idempotency key when that key reads ScopePrefix + scope + ":" +
// rest, else to the default scope "", and each event to the scope of its own key. The methods without a scope argument work on the default scope, except Reset.
type Server struct {
	appID                     string
	*fakeserve.Scopes[record] // FailIn, RedirectIn, Reset
	rates                     rates
}

// ScopePrefix starts an idempotency key that names a scope ("sc_<scope>:<rest>").
const ScopePrefix = fakeserve.ScopePrefix

// record is one scope's events and counters.
type record struct {
	snap Snapshot
	keys map[string]bool
}

// New returns a fake Heap that accepts only appID.
func New(appID string) *Server {
	return &Server{appID: appID, rates: rates{now: time.Now}, Scopes: fakeserve.NewScopes(func() record {
		return record{keys: map[string]bool{}, snap: Snapshot{Events: []Event{}}}
	})}
}

// Fail queues statuses to answer the next track requests with, each with Retry-After retryAfter
// when it is not empty.
func (s *Server) Fail(retryAfter string, statuses ...int) { s.FailIn("", retryAfter, statuses...) }

// Redirect queues statuses (3xx) to answer the next track requests with, each with Location
// location.
func (s *Server) Redirect(location string, statuses ...int) { s.RedirectIn("", location, statuses...) }

// Snapshot returns a copy of what the fake Heap received and stored.
func (s *Server) Snapshot() Snapshot { return s.SnapshotOf("") }

// SnapshotOf is Snapshot for scope.
func (s *Server) SnapshotOf(scope string) (out Snapshot) {
	s.In(scope, func(sc *fakeserve.Scope[record]) {
		out = sc.Record.snap
		out.Events = append([]Event{}, sc.Record.snap.Events...)
	})
	return out
}

// scopeOf names the scope of a track body: that of its first idempotency key, "" when none names one.
func scopeOf(raw []byte) string {
	var body struct {
		Events []struct {
			IdempotencyKey string `json:"idempotency_key"`
		} `json:"events"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	json.Unmarshal(raw, &body) // a body that does not parse belongs to the default scope
	key := body.IdempotencyKey
	if len(body.Events) > 0 {
		key = body.Events[0].IdempotencyKey
	}
	return fakeserve.ScopeOf(key)
}

// ServeHTTP serves POST /api/track, the control endpoints (fakeserve.Controls) /_fail, /_events
// and /_reset, and POST /_rates (a Rates body; /_reset does not change them).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/api/track" && r.Method == http.MethodPost:
		s.track(w, r)
	case r.URL.Path == "/_rates" && r.Method == http.MethodPost:
		var body Rates
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.AppPerMinute < 0 || body.IdentityPerMinute < 0 {
			http.Error(w, `want {"appPerMinute": n >= 0, "identityPerMinute": n >= 0}`, http.StatusBadRequest)
			return
		}
		s.SetRates(body)
		w.WriteHeader(http.StatusNoContent)
	case s.controls().Serve(w, r):
	case r.URL.Path == "/api/track":
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, r)
	}
}

// controls are the fake's control endpoints.
func (s *Server) controls() fakeserve.Controls {
	return s.Controls("/_events", func(scope string) any { return s.SnapshotOf(scope) })
}

// track answers a track request: a queued failure, 400 "Bad request", or 200 with an empty body.
func (s *Server) track(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	var events []Event
	ok := false
	s.In(scopeOf(raw), func(sc *fakeserve.Scope[record]) { events, ok = s.take(w, r, sc, raw, err) })
	if !ok {
		return
	}
	for _, e := range events {
		// Each event counts in the scope of its own key: a relay that keeps events may send
		// several scopes' events in one request.
		s.In(fakeserve.ScopeOf(e.IdempotencyKey), func(sc *fakeserve.Scope[record]) {
			in := &sc.Record
			in.snap.Received++
			if e.IdempotencyKey != "" && in.keys[e.IdempotencyKey] {
				in.snap.Duplicates++ // "subsequent calls with the same idempotency key will not update data"
				return
			}
			if e.IdempotencyKey != "" {
				in.keys[e.IdempotencyKey] = true
			}
			in.snap.Events = append(in.snap.Events, e)
		})
	}
	w.WriteHeader(http.StatusOK)
}

// take counts a track request in its scope (that of its first key), holding the scope's lock,
// and answers a queued failure or a bad request; otherwise it returns the events and true.
func (s *Server) take(w http.ResponseWriter, r *http.Request, sc *fakeserve.Scope[record], raw []byte, err error) ([]Event, bool) {
	rec := &sc.Record
	rec.snap.Requests++
	if status := sc.Fail.Next(w.Header()); status != 0 {
		http.Error(w, http.StatusText(status), status)
		return nil, false
	}
	var events []Event
	if err == nil {
		events, err = s.parse(r.Header.Get("Content-Type"), raw)
	}
	if err != nil {
		w.Header().Set("X-Fake-Heap-Reason", err.Error()) // Heap says only "Bad request"; tests want why
		http.Error(w, "Bad request", http.StatusBadRequest)
		return nil, false
	}
	if wait := s.rates.admit(events); wait > 0 {
		rec.snap.Limited++
		limited(w, wait)
		return nil, false
	}
	return events, true
}

// trackBody is the union of the single and bulk track forms.
type trackBody struct {
	AppID  string            `json:"app_id"`
	Events []json.RawMessage `json:"events"`
	single
}

// single is one event of either form.
type single struct {
	Identity       *string                    `json:"identity"`
	Event          *string                    `json:"event"`
	Properties     map[string]json.RawMessage `json:"properties"`
	Timestamp      string                     `json:"timestamp"`
	IdempotencyKey string                     `json:"idempotency_key"`
}

// parse reads the events of a track request, or says why Heap would answer 400.
func (s *Server) parse(contentType string, raw []byte) ([]Event, error) {
	if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/json" {
		return nil, fmt.Errorf("content type %q is not application/json", contentType)
	}
	var body trackBody
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, err
	}
	if body.AppID != s.appID {
		return nil, fmt.Errorf("app_id %q is not %q", body.AppID, s.appID)
	}
	var fields map[string]json.RawMessage
	json.Unmarshal(raw, &fields) // it parsed above
	if _, bulk := fields["events"]; !bulk {
		e, err := body.single.event()
		return []Event{e}, err
	}
	if len(body.Events) == 0 || len(body.Events) > MaxBulkEvents {
		return nil, fmt.Errorf("bulk request has %d events, want 1 to %d", len(body.Events), MaxBulkEvents)
	}
	var out []Event
	for i, rawEvent := range body.Events {
		var one single
		if err := json.Unmarshal(rawEvent, &one); err != nil {
			return nil, fmt.Errorf("events[%d]: %v", i, err)
		}
		e, err := one.event()
		if err != nil {
			return nil, fmt.Errorf("events[%d]: %v", i, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// event checks one event as Heap does: identity and event present, properties strings or numbers.
func (one single) event() (Event, error) {
	if one.Identity == nil || *one.Identity == "" {
		return Event{}, fmt.Errorf("identity is missing")
	}
	if one.Event == nil || *one.Event == "" {
		return Event{}, fmt.Errorf("event is missing")
	}
	e := Event{Identity: *one.Identity, Event: *one.Event, Timestamp: one.Timestamp, IdempotencyKey: one.IdempotencyKey}
	if len(one.Properties) > 0 {
		e.Properties = map[string]any{}
	}
	for k, raw := range one.Properties {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return Event{}, fmt.Errorf("property %q: %v", k, err)
		}
		switch v.(type) {
		case string, float64:
			e.Properties[k] = v
		default:
			return Event{}, fmt.Errorf("property %q is %s, not a string or a number", k, raw)
		}
	}
	return e, nil
}
