package relay

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeheap"
)

// roundTripFunc is an http.RoundTripper from a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// TestBulkBody tests the exact body sent to Heap.
func TestBulkBody(t *testing.T) {
	body, err := bulkBody("42", []valid{{id: "e1", name: "N", identity: "u", timestamp: "2025-06-01T12:00:00Z",
		properties: []property{{"b", true}, {"f", false}, {"n", 1.5}, {"s", "x"}}}, {id: "e2", name: "M", identity: "v", properties: []property{}}})
	want := `{"app_id":"42","events":[{"identity":"u","timestamp":"2025-06-01T12:00:00Z","event":"N","properties":{"b":"true","f":"false","n":1.5,"s":"x"},"idempotency_key":"e1"},` +
		`{"identity":"v","event":"M","idempotency_key":"e2"}]}`
	if err != nil || string(body) != want {
		t.Errorf("got %s, %v\nwant %s", body, err, want)
	}
}

// TestRedirectsFromHeap tests that an event counts as delivered only when Heap answered 2xx to the
// POST itself: a 307 or 308 to the same host is followed with the body, any other redirect is a
// failure (the events stay queued, the cause is Heap's last error), and a redirect is never
// turned into a GET.
func TestRedirectsFromHeap(t *testing.T) {
	tests := []struct {
		name     string
		location string
		statuses []int
		requests int    // track requests Heap got
		status   int    // the relay's answer
		mention  string // in a 503's error
	}{
		{"301 to a page that answers GET", "/_events", []int{301}, 1, 503, "HTTP 301"},
		{"302", "/_events", []int{302}, 1, 503, "HTTP 302"},
		{"303", "/_events", []int{303}, 1, 503, "HTTP 303"},
		{"300", "/_events", []int{300}, 1, 503, "HTTP 300"},
		{"304", "", []int{304}, 1, 503, "HTTP 304"},
		{"307 to the same path", "/api/track", []int{307}, 2, 200, ""},
		{"308 to the same host by full URL", "http://heap.test/api/track", []int{308}, 2, 200, ""},
		{"308 to the same host in other case", "http://HEAP.test/api/track", []int{308}, 2, 200, ""},
		{"307 then 308", "/api/track", []int{307, 308}, 3, 200, ""},
		{"308 to another host", "http://elsewhere.test/api/track", []int{308}, 1, 503, "elsewhere.test"},
		{"308 to another port", "http://heap.test:8443/api/track", []int{308}, 1, 503, "HTTP 308"},
		{"308 with user info", "http://user:pw@heap.test/api/track", []int{308}, 1, 503, "HTTP 308"},
		{"308 without a Location", "", []int{308}, 1, 503, "Location"},
		{"308 in a loop", "/api/track", repeat(308, 20), 4, 503, "redirects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := newRig(t, nil)
			rg.heap.Redirect(tt.location, tt.statuses...)
			rec := rg.post(batch(ev("a"), ev("b")))
			snap := rg.heap.Snapshot()
			if snap.Requests != tt.requests {
				t.Errorf("Heap got %d track requests, want %d", snap.Requests, tt.requests)
			}
			for _, body := range rg.sent {
				if len(body) == 0 {
					t.Errorf("a request to Heap went without the body (a redirect followed as GET)")
				}
			}
			if len(rg.sleeps) != 0 {
				t.Errorf("slept %v: a redirect is not worth retrying", rg.sleeps)
			}
			if a := answer(t, rec); !slices.Equal(a.Accepted, []string{"a", "b"}) {
				t.Errorf("answer %+v", a)
			}
			if tt.status == 200 {
				if len(snap.Events) != 2 {
					t.Errorf("Heap stored %d", len(snap.Events))
				}
				return
			}
			h := health(t, rg)
			if h.Events.Queued != 2 || len(snap.Events) != 0 || h.Events.LastHeapError == nil || !strings.Contains(h.Events.LastHeapError.Cause, tt.mention) {
				t.Errorf("health %+v, Heap stored %d; want 2 queued and a cause mentioning %q", h.Events, len(snap.Events), tt.mention)
			}
		})
	}
}

// TestCallersClientDoesNotFollow tests that a client handed in by the caller, which would follow
// redirects, is used without following them, and is itself left unchanged.
func TestCallersClientDoesNotFollow(t *testing.T) {
	heap := fakeheap.New(testAppID)
	client := &http.Client{Transport: handlerTransport{heap}}
	h := NewHandler(Config{AppID: testAppID, HeapAPIURL: "http://heap.test"}, Deps{Client: client, Now: func() time.Time { return testNow }, Sleep: func(time.Duration) {}})
	heap.Redirect("/_events", 301)
	if rec := serve(&rig{h: h}, newRequest(batch(ev("a")))); rec.Code != 200 || len(heap.Snapshot().Events) != 0 {
		t.Errorf("status %d, Heap stored %d; want 200 with the event queued; %s", rec.Code, len(heap.Snapshot().Events), rec.Body)
	}
	if client.CheckRedirect != nil {
		t.Errorf("the caller's client was changed")
	}
}

// TestBulkBodyIsHeapBulk tests that the body bulkBody writes is what encoding/json writes of Heap's
// bulk track body, booleans as text, empty fields left out, keys escaped.
func TestBulkBodyIsHeapBulk(t *testing.T) {
	type heapEvent struct {
		Identity       string         `json:"identity"`
		Timestamp      string         `json:"timestamp,omitempty"`
		Event          string         `json:"event"`
		Properties     map[string]any `json:"properties,omitempty"`
		IdempotencyKey string         `json:"idempotency_key"`
	}
	type heapBulk struct {
		AppID  string      `json:"app_id"`
		Events []heapEvent `json:"events"`
	}
	events := []valid{
		{id: "p-1", name: "Userpilot Experience (started)", identity: "alice", timestamp: "2024-01-02T03:04:05.000Z",
			properties: []property{{"b", true}, {"k\u2028", -3.0}, {"n", 1.5e21}, {"s", "x\"<é😀"}, {"z", 0.000001}}},
		{id: "p-2", name: "n", identity: "bob"},
	}
	got, err := bulkBody("42", events)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(heapBulk{AppID: "42", Events: []heapEvent{
		{Identity: "alice", Timestamp: "2024-01-02T03:04:05.000Z", Event: "Userpilot Experience (started)", IdempotencyKey: "p-1",
			Properties: map[string]any{"b": "true", "n": 1.5e21, "s": "x\"<é😀", "z": 0.000001, "k\u2028": -3.0}},
		{Identity: "bob", Event: "n", IdempotencyKey: "p-2"},
	}})
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	json.Unmarshal(want, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("body\n%s\nwant\n%s", got, want)
	}
	if _, err := bulkBody("42", []valid{{id: "x", properties: []property{{"bad", []int{1}}}}}); err == nil {
		t.Fatal("a property of another type was written")
	}
}
