package relay

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeheap"
)

// TestOverRealHTTP tests the relay and the fake Heap over loopback sockets, driven through the
// fake Heap's control endpoints as the browser tests drive it.
func TestOverRealHTTP(t *testing.T) {
	heap := httptest.NewServer(fakeheap.New(testAppID))
	defer heap.Close()
	cfg, err := ConfigFromEnv(env(map[string]string{"HEAP_APP_ID": testAppID, "HEAP_API_URL": heap.URL, "ALLOWED_ORIGINS": testOrigin}))
	if err != nil {
		t.Fatal(err)
	}
	clock := testNow
	relay := httptest.NewServer(NewHandler(cfg, Deps{Client: heap.Client(), Now: func() time.Time { return clock }, Sleep: func(time.Duration) {}}))
	defer relay.Close()

	mustPost(t, heap.URL+"/_fail", "application/json", `{"statuses":[503],"retryAfter":"1"}`, http.StatusNoContent)
	req, _ := http.NewRequest("POST", relay.URL+"/v1/events", strings.NewReader(batch(ev("a"), ev("b"))))
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	req.Header.Set("Origin", testOrigin)
	resp, err := relay.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a Answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 200 || len(a.Accepted) != 2 {
		t.Fatalf("status %d answer %+v %v", resp.StatusCode, a, err)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != testOrigin {
		t.Errorf("no CORS header over HTTP")
	}

	// Heap's 503 queued both; the next request, a second later, delivers them first.
	clock = clock.Add(time.Second)
	req, _ = http.NewRequest("POST", relay.URL+"/v1/events", strings.NewReader(batch(ev("c"))))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", testOrigin)
	if resp, err := relay.Client().Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("second post: %v", err)
	}
	var snap fakeheap.Snapshot
	getJSON(t, heap.URL+"/_events", &snap)
	if snap.Requests != 3 || len(snap.Events) != 3 || snap.Events[1].IdempotencyKey != "b" {
		t.Errorf("Heap %+v, want 3 requests (one 503) and 3 events", snap)
	}
	mustPost(t, heap.URL+"/_reset", "", "", http.StatusNoContent)
	getJSON(t, heap.URL+"/_events", &snap)
	if snap.Requests != 0 || len(snap.Events) != 0 {
		t.Errorf("after reset %+v", snap)
	}
}

// mustPost posts body and checks the status.
func mustPost(t *testing.T, url, contentType, body string, status int) {
	t.Helper()
	resp, err := http.Post(url, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("POST %s: status %d, want %d", url, resp.StatusCode, status)
	}
}

// getJSON decodes a GET answer into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
