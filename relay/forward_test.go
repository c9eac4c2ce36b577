package relay

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeheap"
)

// TestForwardRetries tests how Heap's failures are retried, given up on, or passed to the events.
func TestForwardRetries(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name       string
		retryAfter string // Heap's Retry-After on failures
		statuses   []int  // Heap's answers before it accepts
		requests   int    // Heap requests the relay should make
		sleeps     []time.Duration
		status     int    // the relay's answer
		pageWait   string // Retry-After told to the page on 503
		reason     string // the events' refusal reason, if refused
		mention    string // in a 503's error
	}{
		{name: "accepted at once", requests: 1, status: 200},
		{name: "503 twice then accepted", statuses: []int{503, 503}, requests: 3, sleeps: []time.Duration{200 * ms, 400 * ms}, status: 200},
		{name: "500 502 504 then accepted", statuses: []int{500, 502, 504}, requests: 4, sleeps: []time.Duration{200 * ms, 400 * ms, 800 * ms}, status: 200},
		{name: "429 with Retry-After", retryAfter: "2", statuses: []int{429}, requests: 2, sleeps: []time.Duration{2 * time.Second}, status: 200},
		{name: "Retry-After as a date is ignored", retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", statuses: []int{429}, requests: 2, sleeps: []time.Duration{200 * ms}, status: 200},
		{name: "all fail", statuses: repeat(503, 20), requests: 6, sleeps: []time.Duration{200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms}, status: 503, pageWait: "30", mention: "HTTP 503"},
		{name: "Retry-After past the deadline", retryAfter: "60", statuses: []int{429}, requests: 1, status: 503, pageWait: "60", mention: "HTTP 429"},
		{name: "Retry-After fits once", retryAfter: "5", statuses: []int{503, 503}, requests: 2, sleeps: []time.Duration{5 * time.Second}, status: 503, pageWait: "5", mention: "HTTP 503"},
		{name: "400 is not retried", statuses: []int{400}, requests: 1, status: 200, reason: "heap_rejected: Heap's API refused the batch with HTTP 400"},
		{name: "413 is not retried", statuses: []int{413}, requests: 1, status: 200, reason: "heap_rejected: Heap's API refused the batch with HTTP 413"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := newRig(t, nil)
			rg.heap.Fail(tt.retryAfter, tt.statuses...)
			rec := rg.post(batch(ev("a"), ev("b")))
			if n := rg.heap.Snapshot().Requests; n != tt.requests {
				t.Errorf("Heap got %d requests, want %d", n, tt.requests)
			}
			if !slices.Equal(rg.sleeps, tt.sleeps) {
				t.Errorf("slept %v, want %v", rg.sleeps, tt.sleeps)
			}
			if tt.status == 503 {
				if text := errorText(t, rec, 503); !strings.HasPrefix(text, "Heap's API did not accept the events: ") || !strings.Contains(text, tt.mention) {
					t.Errorf("error %q", text)
				}
				if ra := rec.Header().Get("Retry-After"); ra != tt.pageWait {
					t.Errorf("Retry-After %q, want %q", ra, tt.pageWait)
				}
				return
			}
			a := answer(t, rec)
			if tt.reason == "" {
				if !slices.Equal(a.Accepted, []string{"a", "b"}) || len(rg.heap.Snapshot().Events) != 2 {
					t.Errorf("answer %+v, Heap stored %d", a, len(rg.heap.Snapshot().Events))
				}
				return
			}
			if len(a.Accepted) != 0 || len(a.Refused) != 2 || a.Refused[0].Reason != tt.reason || a.Refused[1].ID != "b" {
				t.Errorf("answer %+v, want both refused with %q", a, tt.reason)
			}
		})
	}
}

// repeat returns n copies of status.
func repeat(status, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = status
	}
	return out
}

// TestForwardTransportErrors tests that network failures are retried, then answered with 503.
func TestForwardTransportErrors(t *testing.T) {
	var calls int
	fails := func(n int) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			calls++
			if calls <= n {
				return nil, errors.New("connection refused")
			}
			return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}}, nil
		})
	}
	tests := []struct {
		name   string
		fail   int
		calls  int
		status int
	}{
		{"recovers", 2, 3, 200},
		{"never recovers", 100, 6, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls = 0
			var slept []time.Duration
			h := NewHandler(Config{AppID: testAppID}, Deps{
				Client: &http.Client{Transport: fails(tt.fail)},
				Now:    func() time.Time { return testNow },
				Sleep:  func(d time.Duration) { slept = append(slept, d) },
			})
			rec := serve(&rig{h: h}, newRequest(batch(ev("a"))))
			if calls != tt.calls || rec.Code != tt.status {
				t.Fatalf("calls %d status %d, want %d %d; body %s", calls, rec.Code, tt.calls, tt.status, rec.Body)
			}
			if tt.status == 503 {
				if text := errorText(t, rec, 503); !strings.Contains(text, "connection refused") {
					t.Errorf("error %q does not carry the transport error", text)
				}
				if rec.Header().Get("Retry-After") == "" {
					t.Errorf("503 without Retry-After")
				}
			}
		})
	}
}

// TestForwardDeadlineUsesClock tests that time spent in Heap requests counts against the deadline.
func TestForwardDeadlineUsesClock(t *testing.T) {
	clock := testNow
	var calls int
	slow := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		calls++
		clock = clock.Add(3 * time.Second) // each attempt takes 3 s
		return &http.Response{StatusCode: 502, Body: http.NoBody, Header: http.Header{}}, nil
	})
	h := NewHandler(Config{AppID: testAppID}, Deps{
		Client: &http.Client{Transport: slow},
		Now:    func() time.Time { return clock },
		Sleep:  func(d time.Duration) { clock = clock.Add(d) },
	})
	rec := serve(&rig{h: h}, newRequest(batch(ev("a"))))
	// 3 s, sleep 0.2 s, 3 s, sleep 0.4 s: the third attempt starts at 6.6 s and ends past 8 s.
	if rec.Code != 503 || calls != 3 {
		t.Errorf("status %d after %d calls, want 503 after 3", rec.Code, calls)
	}
}

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

// TestRedirectsFromHeap tests that an event counts as accepted only when Heap answered 2xx to the
// POST itself: a 307 or 308 to the same host is followed with the body, any other redirect is a
// failure (503, nothing stored, no retry), and a redirect is never turned into a GET.
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
			if tt.status == 200 {
				if a := answer(t, rec); !slices.Equal(a.Accepted, []string{"a", "b"}) || len(snap.Events) != 2 {
					t.Errorf("answer %+v, Heap stored %d", a, len(snap.Events))
				}
				return
			}
			if text := errorText(t, rec, 503); !strings.Contains(text, tt.mention) {
				t.Errorf("error %q does not mention %q", text, tt.mention)
			}
			if rec.Header().Get("Retry-After") == "" || len(snap.Events) != 0 {
				t.Errorf("Retry-After %q, Heap stored %d", rec.Header().Get("Retry-After"), len(snap.Events))
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
	if rec := serve(&rig{h: h}, newRequest(batch(ev("a")))); rec.Code != 503 {
		t.Errorf("status %d, want 503; %s", rec.Code, rec.Body)
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
