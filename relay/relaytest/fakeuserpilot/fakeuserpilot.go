// Package fakeuserpilot plays Userpilot's Bulk Identify API (docs/sdk-facts.md#up-bulk-identify) for tests,
// as package fakeheap plays Heap's track API.
package fakeuserpilot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeserve"
)

// Bulk Identify's path and its cap on users per request (docs/sdk-facts.md#up-bulk-identify).
const (
	BulkIdentifyPath = "/v1/users/bulk_identify"
	MaxBulkUsers     = 10000
)

// ScopePrefix starts a user id that names a scope ("sc_<scope>:<rest>"), as in package fakeheap.
const ScopePrefix = fakeserve.ScopePrefix

// User is one user of a Bulk Identify body.
type User struct {
	UserID    string         `json:"user_id"`
	CompanyID string         `json:"company_id,omitempty"`
	Metadata  map[string]any `json:"metadata,omitempty"`
}

// Request is one Bulk Identify request as the fake saw it, whatever it answered.
type Request struct {
	Authorization string `json:"authorization"`
	ContentType   string `json:"contentType"`
	Status        int    `json:"status"`           // what the fake answered
	Reason        string `json:"reason,omitempty"` // why it answered 400 or 401
	Users         []User `json:"users"`            // the users sent, when the body parsed
}

// Snapshot is what GET /_requests reports.
type Snapshot struct {
	Requests []Request `json:"requests"` // every Bulk Identify request, in arrival order
	Users    []User    `json:"users"`    // the users of the requests answered 202, in order
}

// Failure is the body of POST /_fail. Location, when set, goes on each of those answers, for
// redirects.
type Failure = fakeserve.Failure

// Server is the fake Userpilot API; it is safe for concurrent use.
//
// It keeps one record per scope, so that tests running at once against one fake each see only
// their own traffic: a request belongs to the scope named by its first user's user_id when that
// reads ScopePrefix + scope + ":" + rest, else to the default scope "". The methods without a
// scope argument work on the default scope, except Reset.
type Server struct {
	apiKey                    string
	*fakeserve.Scopes[record] // FailIn, RedirectIn, Reset
	jobs                      atomic.Int64

	// Userpilot runs one bulk job at a time, working through rowsPerMinute rows a minute: while a
	// job runs (until busyUntil), another request is answered 429 with the seconds left as
	// Retry-After, whatever its scope. 0 (the default) turns this off.
	jobMu         sync.Mutex
	rowsPerMinute float64
	busyUntil     time.Time
	// Now is the fake's clock; tests with a clock of their own set it.
	Now func() time.Time
}

// SetRowsPerMinute makes the fake run one job at a time at n rows a minute (0: off).
func (s *Server) SetRowsPerMinute(n float64) {
	s.jobMu.Lock()
	defer s.jobMu.Unlock()
	s.rowsPerMinute = n
	s.busyUntil = time.Time{}
}

// busy returns how long a job still runs, or 0 and starts a job of rows now.
func (s *Server) busy(rows int) time.Duration {
	s.jobMu.Lock()
	defer s.jobMu.Unlock()
	if s.rowsPerMinute <= 0 {
		return 0
	}
	now := s.Now()
	if now.Before(s.busyUntil) {
		return s.busyUntil.Sub(now)
	}
	s.busyUntil = now.Add(time.Duration(float64(rows) / s.rowsPerMinute * float64(time.Minute)))
	return 0
}

// record is one scope's requests.
type record struct {
	snap Snapshot
}

// New returns a fake Userpilot API that accepts only "Authorization: Token <apiKey>".
func New(apiKey string) *Server {
	return &Server{apiKey: apiKey, Now: time.Now, Scopes: fakeserve.NewScopes(func() record {
		return record{snap: Snapshot{Requests: []Request{}, Users: []User{}}}
	})}
}

// Fail queues statuses to answer the next Bulk Identify requests with, each with Retry-After
// retryAfter when it is not empty.
func (s *Server) Fail(retryAfter string, statuses ...int) { s.FailIn("", retryAfter, statuses...) }

// Snapshot returns a copy of what the default scope received.
func (s *Server) Snapshot() Snapshot { return s.SnapshotOf("") }

// SnapshotOf is Snapshot for scope.
func (s *Server) SnapshotOf(scope string) (out Snapshot) {
	s.In(scope, func(sc *fakeserve.Scope[record]) {
		out = Snapshot{Requests: append([]Request{}, sc.Record.snap.Requests...), Users: append([]User{}, sc.Record.snap.Users...)}
	})
	return out
}

// ServeHTTP serves POST /v1/users/bulk_identify and the control endpoints (fakeserve.Controls)
// /_fail, /_requests and /_reset, and POST /_jobs {"rowsPerMinute": n} (SetRowsPerMinute).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == BulkIdentifyPath && r.Method == http.MethodPost:
		s.bulkIdentify(w, r)
	case r.URL.Path == "/_jobs" && r.Method == http.MethodPost:
		var body struct {
			RowsPerMinute float64 `json:"rowsPerMinute"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.RowsPerMinute < 0 {
			answer(w, http.StatusBadRequest, map[string]string{"error": `want {"rowsPerMinute": n >= 0}`})
			return
		}
		s.SetRowsPerMinute(body.RowsPerMinute)
		w.WriteHeader(http.StatusNoContent)
	case s.controls().Serve(w, r):
	case r.URL.Path == BulkIdentifyPath:
		answer(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
	default:
		answer(w, http.StatusNotFound, map[string]string{"error": "not found"})
	}
}

// controls are the fake's control endpoints.
func (s *Server) controls() fakeserve.Controls {
	return s.Controls("/_requests", func(scope string) any { return s.SnapshotOf(scope) })
}

// bulkIdentify answers a Bulk Identify request: a queued failure, 401 for a wrong key, 400 for a
// body Userpilot would refuse, or 202 with a queued job.
func (s *Server) bulkIdentify(w http.ResponseWriter, r *http.Request) {
	raw, readErr := io.ReadAll(r.Body)
	users, err := parse(r.Header.Get("Content-Type"), raw)
	if readErr != nil {
		err = readErr
	}
	s.In(scopeOf(users), func(sc *fakeserve.Scope[record]) { s.take(w, r, sc, users, err) })
}

// take answers a Bulk Identify request of one scope, holding its lock.
func (s *Server) take(w http.ResponseWriter, r *http.Request, sc *fakeserve.Scope[record], users []User, err error) {
	rec := &sc.Record
	req := Request{Authorization: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type"), Users: users}
	defer func() { rec.snap.Requests = append(rec.snap.Requests, req) }()
	if req.Status = sc.Fail.Next(w.Header()); req.Status != 0 {
		answer(w, req.Status, map[string]string{"error": http.StatusText(req.Status)})
		return
	}
	if req.Authorization != "Token "+s.apiKey {
		req.Status, req.Reason = http.StatusUnauthorized, "Authorization is not \"Token <the API key>\""
		answer(w, req.Status, map[string]string{"error": "invalid API token"})
		return
	}
	if err != nil {
		req.Status, req.Reason = http.StatusBadRequest, err.Error()
		answer(w, req.Status, map[string]string{"error": err.Error()})
		return
	}
	if wait := s.busy(len(users)); wait > 0 {
		req.Status, req.Reason = http.StatusTooManyRequests, "a bulk job is still running"
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		answer(w, req.Status, map[string]string{"error": "a bulk job is already running; try again later"})
		return
	}
	req.Status = http.StatusAccepted
	rec.snap.Users = append(rec.snap.Users, users...)
	answer(w, req.Status, map[string]string{"job_id": fmt.Sprintf("job-%d", s.jobs.Add(1)), "status": "queued"})
}

// parse reads the users of a Bulk Identify body strictly: unknown fields, a user without user_id,
// more than MaxBulkUsers users or a metadata value that is not a string, number or boolean are
// errors. The users come back even with an error, when the body parsed, so the scope is known.
func parse(contentType string, raw []byte) ([]User, error) {
	var body struct {
		Users *[]User `json:"users"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return nil, err
	}
	if body.Users == nil {
		return nil, errors.New(`"users" is required`)
	}
	users := *body.Users
	if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/json" {
		return users, fmt.Errorf("content type %q is not application/json", contentType)
	}
	if len(users) == 0 || len(users) > MaxBulkUsers {
		return users, fmt.Errorf("%d users, want 1 to %d", len(users), MaxBulkUsers)
	}
	for i, u := range users {
		if u.UserID == "" {
			return users, fmt.Errorf("users[%d]: user_id is required", i)
		}
		for k, v := range u.Metadata {
			switch v.(type) {
			case string, float64, bool:
			default:
				return users, fmt.Errorf("users[%d].metadata.%s: %v is not a string, number or boolean", i, k, v)
			}
		}
	}
	return users, nil
}

// scopeOf names the scope of a request from its first user's id, "" when it names none.
func scopeOf(users []User) string {
	if len(users) == 0 {
		return ""
	}
	return fakeserve.ScopeOf(users[0].UserID)
}

// answer writes v as JSON with status.
func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
