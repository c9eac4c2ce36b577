package fakeserve

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Failure is the body of a fake's POST /_fail: statuses to answer the next requests with, each with
// Retry-After and Location when they are set (Location for redirects).
type Failure struct {
	Statuses   []int  `json:"statuses"`
	RetryAfter string `json:"retryAfter"`
	Location   string `json:"location"`
}

// Failures is a fake's queue of answers to give before its real ones. The fake guards it with its
// own lock.
type Failures struct {
	statuses   []int
	retryAfter string
	location   string
}

// Add queues statuses, each with Retry-After retryAfter when it is not empty; it replaces the
// Retry-After of statuses queued before.
func (q *Failures) Add(retryAfter string, statuses ...int) {
	q.statuses = append(q.statuses, statuses...)
	q.retryAfter = retryAfter
}

// Redirect queues statuses (3xx), each with Location location.
func (q *Failures) Redirect(location string, statuses ...int) {
	q.statuses = append(q.statuses, statuses...)
	q.location = location
}

// Next takes the next queued status and sets its headers in h; 0 when none is queued.
func (q *Failures) Next(h http.Header) int {
	if len(q.statuses) == 0 {
		return 0
	}
	status := q.statuses[0]
	q.statuses = q.statuses[1:]
	if q.retryAfter != "" {
		h.Set("Retry-After", q.retryAfter)
	}
	if q.location != "" {
		h.Set("Location", q.location)
	}
	return status
}

// Apply queues what a POST /_fail asked for.
func (q *Failures) Apply(f Failure) {
	q.Add(f.RetryAfter, f.Statuses...)
	if f.Location != "" {
		q.Redirect(f.Location)
	}
}

// Controls are a fake's control endpoints: POST /_fail queues failures, GET <SnapshotPath> reports
// what the fake received, POST /_reset forgets everything. The first two take ?scope= (default:
// the default scope), /_reset resets every scope.
type Controls struct {
	SnapshotPath string
	Fail         func(scope string, f Failure)
	Snapshot     func(scope string) any
	Reset        func()
}

// Serve serves r when it is for a control endpoint (405 for another method) and reports whether it was.
func (c Controls) Serve(w http.ResponseWriter, r *http.Request) bool {
	scope := r.URL.Query().Get("scope")
	switch {
	case r.URL.Path == "/_fail" && r.Method == http.MethodPost:
		var f Failure
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, "bad /_fail body: "+err.Error(), http.StatusBadRequest)
			return true
		}
		c.Fail(scope, f)
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == c.SnapshotPath && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(c.Snapshot(scope))
	case r.URL.Path == "/_reset" && r.Method == http.MethodPost:
		c.Reset()
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == "/_fail" || r.URL.Path == c.SnapshotPath || r.URL.Path == "/_reset":
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
	default:
		return false
	}
	return true
}

// ScopePrefix starts an id that names a scope: "sc_<scope>:<rest>". Tests running at once against
// one fake each give their ids their own scope, and read only their scope's record.
const ScopePrefix = "sc_"

// ScopeOf names the scope of id, "" (the default scope) when it names none.
func ScopeOf(id string) string {
	rest, ok := strings.CutPrefix(id, ScopePrefix)
	if !ok {
		return ""
	}
	scope, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return scope
}
