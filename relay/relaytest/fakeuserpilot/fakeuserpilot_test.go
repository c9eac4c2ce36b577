package fakeuserpilot

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const key = "up-key"

// bulk posts body to Bulk Identify with the right key and content type, unless headers (name,
// value, ...) replace them.
func bulk(s *Server, body string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, BulkIdentifyPath, strings.NewReader(body))
	req.Header.Set("Authorization", "Token "+key)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// users builds a body of n users with one metadata key.
func users(n int, prefix string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `{"user_id":"` + prefix + strings.Repeat("u", 1+i%3) + `","metadata":{"k":"v"}}`
	}
	return `{"users":[` + strings.Join(parts, ",") + `]}`
}

// TestBulkIdentifyForms tests which bodies and headers the fake takes, and what it keeps.
func TestBulkIdentifyForms(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		headers []string
		status  int
		stored  int
	}{
		{"one user", `{"users":[{"user_id":"a","metadata":{"s":"x","n":1,"b":true}}]}`, nil, 202, 1},
		{"with company", `{"users":[{"user_id":"a","company_id":"c"}]}`, nil, 202, 1},
		{"1000 users", users(MaxBulkUsers, ""), nil, 202, MaxBulkUsers},
		{"1001 users", users(MaxBulkUsers+1, ""), nil, 400, 0},
		{"no users", `{"users":[]}`, nil, 400, 0},
		{"users missing", `{}`, nil, 400, 0},
		{"unknown field", `{"users":[{"user_id":"a","metdata":{}}]}`, nil, 400, 0},
		{"empty user_id", `{"users":[{"user_id":""}]}`, nil, 400, 0},
		{"nested metadata", `{"users":[{"user_id":"a","metadata":{"o":{"x":1}}}]}`, nil, 400, 0},
		{"null metadata value", `{"users":[{"user_id":"a","metadata":{"o":null}}]}`, nil, 400, 0},
		{"not JSON", `users=a`, nil, 400, 0},
		{"text/plain", `{"users":[{"user_id":"a"}]}`, []string{"Content-Type", "text/plain"}, 400, 0},
		{"wrong key", `{"users":[{"user_id":"a"}]}`, []string{"Authorization", "Token other"}, 401, 0},
		{"bearer", `{"users":[{"user_id":"a"}]}`, []string{"Authorization", "Bearer " + key}, 401, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(key)
			rec := bulk(s, tt.body, tt.headers...)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			snap := s.Snapshot()
			if len(snap.Users) != tt.stored || len(snap.Requests) != 1 || snap.Requests[0].Status != tt.status {
				t.Fatalf("snapshot %d users, %d requests; want %d users, 1 request", len(snap.Users), len(snap.Requests), tt.stored)
			}
			if tt.status == 202 {
				var job struct {
					JobID  string `json:"job_id"`
					Status string `json:"status"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &job); err != nil || job.JobID == "" || job.Status != "queued" {
					t.Errorf("answer %s: %v", rec.Body, err)
				}
			} else if snap.Requests[0].Reason == "" && tt.status != 401 {
				t.Errorf("no reason kept for a %d", tt.status)
			}
		})
	}
}

// TestFailures tests queued failures, their Retry-After, and that they are used up in order.
func TestFailures(t *testing.T) {
	s := New(key)
	s.Fail("7", 429, 503)
	body := `{"users":[{"user_id":"a"}]}`
	first := bulk(s, body)
	if first.Code != 429 || first.Header().Get("Retry-After") != "7" {
		t.Fatalf("first: %d, Retry-After %q", first.Code, first.Header().Get("Retry-After"))
	}
	if code := bulk(s, body).Code; code != 503 {
		t.Fatalf("second: %d", code)
	}
	if code := bulk(s, body).Code; code != 202 {
		t.Fatalf("third: %d", code)
	}
	snap := s.Snapshot()
	if len(snap.Requests) != 3 || len(snap.Users) != 1 {
		t.Errorf("snapshot %+v", snap)
	}
}

// TestScopes tests that requests go to the scope of their first user, over HTTP control endpoints.
func TestScopes(t *testing.T) {
	s := New(key)
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/_fail?scope=x", "application/json", strings.NewReader(`{"statuses":[500]}`))
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("/_fail: %v %v", resp, err)
	}
	var wg sync.WaitGroup
	for _, prefix := range []string{"sc_x:", "sc_y:", ""} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bulk(s, `{"users":[{"user_id":"`+prefix+`a"}]}`)
		}()
	}
	wg.Wait()
	get := func(scope string) Snapshot {
		resp, err := http.Get(srv.URL + "/_requests?scope=" + scope)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var snap Snapshot
		if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
			t.Fatal(err)
		}
		return snap
	}
	if x := get("x"); len(x.Requests) != 1 || x.Requests[0].Status != 500 || len(x.Users) != 0 {
		t.Errorf("scope x: %+v", x)
	}
	if y := get("y"); len(y.Users) != 1 || y.Users[0].UserID != "sc_y:a" {
		t.Errorf("scope y: %+v", y)
	}
	if d := get(""); len(d.Users) != 1 || d.Users[0].UserID != "a" {
		t.Errorf("default scope: %+v", d)
	}
	if resp, err := http.Post(srv.URL+"/_reset", "", nil); err != nil || resp.StatusCode != 204 {
		t.Fatalf("/_reset: %v %v", resp, err)
	}
	if y := get("y"); len(y.Requests) != 0 {
		t.Errorf("after reset: %+v", y)
	}
	if resp, err := http.Get(srv.URL + BulkIdentifyPath); err != nil || resp.StatusCode != 405 {
		t.Errorf("GET bulk identify: %v %v", resp, err)
	}
}
