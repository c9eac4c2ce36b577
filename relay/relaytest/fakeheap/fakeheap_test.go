package fakeheap

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// track posts a JSON body to /api/track.
func track(s *Server, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/api/track", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// TestTrackForms tests which track bodies the fake Heap accepts, as Heap documents them.
func TestTrackForms(t *testing.T) {
	many := make([]string, MaxBulkEvents+1)
	for i := range many {
		many[i] = `{"identity":"u","event":"e"}`
	}
	tests := []struct {
		name   string
		body   string
		status int
		stored int
	}{
		{"single", `{"app_id":"7","identity":"u","event":"e","properties":{"s":"x","n":1},"timestamp":"2025-06-01T12:00:00Z","idempotency_key":"k"}`, 200, 1},
		{"bulk", `{"app_id":"7","events":[{"identity":"u","event":"e"},{"identity":"v","event":"f","properties":{"a":"b"}}]}`, 200, 2},
		{"bulk of 1000", `{"app_id":"7","events":[` + strings.Join(many[:MaxBulkEvents], ",") + `]}`, 200, MaxBulkEvents},
		{"single with a property named events", `{"app_id":"7","identity":"u","event":"e","properties":{"events":"x"}}`, 200, 1},
		{"wrong app_id", `{"app_id":"8","identity":"u","event":"e"}`, 400, 0},
		{"no app_id", `{"identity":"u","event":"e"}`, 400, 0},
		{"bulk with wrong app_id", `{"app_id":"8","events":[{"identity":"u","event":"e"}]}`, 400, 0},
		{"missing identity", `{"app_id":"7","event":"e"}`, 400, 0},
		{"empty identity in bulk", `{"app_id":"7","events":[{"identity":"","event":"e"}]}`, 400, 0},
		{"missing event", `{"app_id":"7","identity":"u"}`, 400, 0},
		{"bulk of 1001", `{"app_id":"7","events":[` + strings.Join(many, ",") + `]}`, 400, 0},
		{"empty bulk", `{"app_id":"7","events":[]}`, 400, 0},
		{"boolean property", `{"app_id":"7","identity":"u","event":"e","properties":{"b":true}}`, 400, 0},
		{"null property", `{"app_id":"7","identity":"u","event":"e","properties":{"b":null}}`, 400, 0},
		{"object property in bulk", `{"app_id":"7","events":[{"identity":"u","event":"e"},{"identity":"u","event":"e","properties":{"o":{}}}]}`, 400, 0},
		{"not JSON", `app_id=7`, 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New("7")
			rec := track(s, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tt.status, rec.Header().Get("X-Fake-Heap-Reason"))
			}
			if tt.status == 400 && strings.TrimSpace(rec.Body.String()) != "Bad request" {
				t.Errorf("body %q, want Heap's \"Bad request\"", rec.Body)
			}
			if tt.status == 200 && rec.Body.Len() != 0 {
				t.Errorf("body %q, want empty like Heap", rec.Body)
			}
			if snap := s.Snapshot(); len(snap.Events) != tt.stored || snap.Requests != 1 {
				t.Errorf("stored %d in %d requests, want %d in 1", len(snap.Events), snap.Requests, tt.stored)
			}
		})
	}
}

// TestContentType tests that the fake Heap wants JSON, so a relay forgetting the header fails.
func TestContentType(t *testing.T) {
	s := New("7")
	req := httptest.NewRequest("POST", "/api/track", strings.NewReader(`{"app_id":"7","identity":"u","event":"e"}`))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 400 {
		t.Errorf("status %d without Content-Type, want 400", rec.Code)
	}
}

// TestIdempotencyKeys tests that a key already stored is counted but not stored again.
func TestIdempotencyKeys(t *testing.T) {
	s := New("7")
	track(s, `{"app_id":"7","events":[{"identity":"u","event":"first","idempotency_key":"k1"},{"identity":"u","event":"e","idempotency_key":"k2"}]}`)
	track(s, `{"app_id":"7","identity":"u","event":"second","idempotency_key":"k1"}`)
	track(s, `{"app_id":"7","identity":"u","event":"no key"}`)
	track(s, `{"app_id":"7","identity":"u","event":"no key"}`)
	snap := s.Snapshot()
	if snap.Requests != 4 || snap.Received != 5 || snap.Duplicates != 1 || len(snap.Events) != 4 || snap.Events[0].Event != "first" {
		t.Errorf("snapshot %+v", snap)
	}
}

// TestControlEndpoints tests /_fail, /_events and /_reset over HTTP.
func TestControlEndpoints(t *testing.T) {
	s := New("7")
	do := func(method, path, body string) *httptest.ResponseRecorder { return serveOne(s, method, path, body) }
	if rec := do("POST", "/_fail", `{"statuses":[503,429],"retryAfter":"1"}`); rec.Code != 204 {
		t.Fatalf("/_fail: %d", rec.Code)
	}
	ok := `{"app_id":"7","identity":"u","event":"e","idempotency_key":"k"}`
	for _, want := range []int{503, 429, 200} {
		rec := track(s, ok)
		if rec.Code != want {
			t.Errorf("status %d, want %d", rec.Code, want)
		}
		if ra := rec.Header().Get("Retry-After"); want != 200 && ra != "1" {
			t.Errorf("status %d: Retry-After %q, want 1", want, ra)
		}
	}
	rec := do("GET", "/_events", "")
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("/_events: %s %v", rec.Body, err)
	}
	if got["requests"] != 3.0 || got["received"] != 1.0 || got["duplicates"] != 0.0 || len(got["events"].([]any)) != 1 {
		t.Errorf("/_events: %s", rec.Body)
	}
	event := got["events"].([]any)[0].(map[string]any)
	if event["identity"] != "u" || event["event"] != "e" || event["idempotency_key"] != "k" {
		t.Errorf("event %v", event)
	}
	if do("POST", "/_fail", `{"statuses":[500]}`).Code != 204 || do("POST", "/_reset", "").Code != 204 {
		t.Fatal("control endpoints failed")
	}
	if snap := s.Snapshot(); snap.Requests != 0 || len(snap.Events) != 0 || track(s, ok).Code != 200 {
		t.Errorf("reset left %+v or a queued failure", snap)
	}
	if rec := do("GET", "/_events", ""); !strings.Contains(rec.Body.String(), `"events":[{`) {
		t.Errorf("after reset and one track: %s", rec.Body)
	}
	for _, c := range []struct {
		method, path string
		status       int
	}{{"GET", "/api/track", 405}, {"GET", "/_fail", 405}, {"POST", "/nope", 404}, {"POST", "/_fail", 400}} {
		if rec := do(c.method, c.path, "x"); rec.Code != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, rec.Code, c.status)
		}
	}
}

// TestRedirects tests queued redirects: each answer carries the Location, then tracking resumes.
func TestRedirects(t *testing.T) {
	s := New("7")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("POST", "/_fail", strings.NewReader(`{"statuses":[301,308],"location":"/_events"}`)))
	if rec.Code != 204 {
		t.Fatalf("/_fail: %d", rec.Code)
	}
	ok := `{"app_id":"7","identity":"u","event":"e"}`
	for _, want := range []int{301, 308} {
		if rec := track(s, ok); rec.Code != want || rec.Header().Get("Location") != "/_events" {
			t.Errorf("status %d Location %q, want %d /_events", rec.Code, rec.Header().Get("Location"), want)
		}
	}
	if rec := track(s, ok); rec.Code != 200 || len(s.Snapshot().Events) != 1 {
		t.Errorf("after the redirects: %d, %d stored", rec.Code, len(s.Snapshot().Events))
	}
	s.Redirect("https://elsewhere.test/api/track", 307)
	s.Reset()
	if rec := track(s, ok); rec.Code != 200 || rec.Header().Get("Location") != "" {
		t.Errorf("reset left a redirect: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

// TestEmptySnapshotEventsIsArray tests that /_events lists no events as [], not null.
func TestEmptySnapshotEventsIsArray(t *testing.T) {
	rec := httptest.NewRecorder()
	New("7").ServeHTTP(rec, httptest.NewRequest("GET", "/_events", nil))
	if !strings.Contains(rec.Body.String(), `"events":[]`) {
		t.Errorf("/_events: %s", rec.Body)
	}
}

// TestConcurrentUse tests that parallel track requests are all counted (run with -race).
func TestConcurrentUse(t *testing.T) {
	s := New("7")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			track(s, fmt.Sprintf(`{"app_id":"7","identity":"u","event":"e","idempotency_key":"k%d"}`, i%10))
			s.Snapshot()
		})
	}
	wg.Wait()
	if snap := s.Snapshot(); snap.Requests != 50 || len(snap.Events) != 10 || snap.Duplicates != 40 {
		t.Errorf("snapshot requests %d events %d duplicates %d", snap.Requests, len(snap.Events), snap.Duplicates)
	}
}

// TestScopes tests that a track request counts, fails and stores only in the scope its first
// idempotency key names, so tests running at once each see their own traffic.
func TestScopes(t *testing.T) {
	s := New("7")
	body := func(keys ...string) string {
		var evs []string
		for _, k := range keys {
			evs = append(evs, fmt.Sprintf(`{"identity":"u","event":"e","idempotency_key":%q}`, k))
		}
		return `{"app_id":"7","events":[` + strings.Join(evs, ",") + `]}`
	}
	s.FailIn("a", "3", 503)
	if rec := track(s, body("sc_b:1")); rec.Code != 200 {
		t.Fatalf("scope b got %d: a failure queued for scope a reached it", rec.Code)
	}
	if rec := track(s, body("plain")); rec.Code != 200 {
		t.Fatalf("the default scope got %d", rec.Code)
	}
	rec := track(s, body("sc_a:1", "sc_a:2"))
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "3" {
		t.Fatalf("scope a got %d, Retry-After %q; want its queued 503", rec.Code, rec.Header().Get("Retry-After"))
	}
	track(s, body("sc_a:1", "sc_a:2"))
	track(s, body("sc_a:2"))
	a, b, def := s.SnapshotOf("a"), s.SnapshotOf("b"), s.Snapshot()
	if a.Requests != 3 || a.Received != 3 || a.Duplicates != 1 || len(a.Events) != 2 {
		t.Errorf("scope a: %+v", a)
	}
	if b.Requests != 1 || len(b.Events) != 1 || b.Events[0].IdempotencyKey != "sc_b:1" {
		t.Errorf("scope b: %+v", b)
	}
	if def.Requests != 1 || len(def.Events) != 1 || def.Events[0].IdempotencyKey != "plain" {
		t.Errorf("default scope: %+v", def)
	}
	for key, want := range map[string]string{"sc_x:1": "x", "sc_:1": "", "sc_x": "", "x:sc_y:1": "", "": ""} {
		if got := scopeOf([]byte(body(key))); got != want {
			t.Errorf("scopeOf(key %q) = %q, want %q", key, got, want)
		}
	}
	s.Reset()
	if a := s.SnapshotOf("a"); a.Requests != 0 || len(a.Events) != 0 {
		t.Errorf("after Reset scope a holds %+v", a)
	}
}

// TestScopedControlEndpoints tests /_fail?scope= and /_events?scope=.
func TestScopedControlEndpoints(t *testing.T) {
	s := New("7")
	do := func(method, path, body string) *httptest.ResponseRecorder { return serveOne(s, method, path, body) }
	if rec := do("POST", "/_fail?scope=t1", `{"statuses":[502]}`); rec.Code != 204 {
		t.Fatalf("/_fail?scope=t1: %d", rec.Code)
	}
	if rec := track(s, `{"app_id":"7","identity":"u","event":"e","idempotency_key":"k"}`); rec.Code != 200 {
		t.Errorf("the default scope got %d", rec.Code)
	}
	if rec := track(s, `{"app_id":"7","identity":"u","event":"e","idempotency_key":"sc_t1:k"}`); rec.Code != 502 {
		t.Errorf("scope t1 got %d, want its queued 502", rec.Code)
	}
	var snap Snapshot
	if err := json.Unmarshal(do("GET", "/_events?scope=t1", "").Body.Bytes(), &snap); err != nil || snap.Requests != 1 || len(snap.Events) != 0 {
		t.Errorf("/_events?scope=t1: %+v %v", snap, err)
	}
}

// serveOne serves one request to s and returns the answer.
func serveOne(s *Server, method, path, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	return rec
}

// TestRates tests Heap's per-app and per-identity limits in the fake: over either in a sliding
// minute is 429 with Retry-After and stores nothing; a minute later there is room again.
func TestRates(t *testing.T) {
	s := New("7")
	clock := time.Unix(1_750_000_000, 0)
	s.rates.now = func() time.Time { return clock }
	s.SetRates(Rates{AppPerMinute: 3, IdentityPerMinute: 2})
	body := func(ids ...string) string {
		var evs []string
		for _, id := range ids {
			evs = append(evs, fmt.Sprintf(`{"identity":%q,"event":"e"}`, id))
		}
		return `{"app_id":"7","events":[` + strings.Join(evs, ",") + `]}`
	}
	steps := []struct {
		advance time.Duration
		ids     []string
		status  int
	}{
		{0, []string{"a", "a"}, 200},
		{0, []string{"a"}, 429},      // a's third in the minute
		{0, []string{"b", "b"}, 429}, // four for the app
		{0, []string{"b"}, 200},      // three for the app
		{59 * time.Second, []string{"c"}, 429},
		{time.Second, []string{"a", "a", "b"}, 200}, // a minute on
	}
	for i, st := range steps {
		clock = clock.Add(st.advance)
		rec := track(s, body(st.ids...))
		if rec.Code != st.status {
			t.Fatalf("step %d: status %d, want %d", i, rec.Code, st.status)
		}
		if st.status == 429 && rec.Header().Get("Retry-After") == "" {
			t.Errorf("step %d: 429 without Retry-After", i)
		}
	}
	if snap := s.Snapshot(); len(snap.Events) != 6 || snap.Limited != 3 {
		t.Errorf("stored %d, limited %d; want 6 and 3", len(snap.Events), snap.Limited)
	}
}
