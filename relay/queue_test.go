package relay

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// healthAnswer is GET /v1/health's answer.
type healthAnswer struct {
	OK       bool        `json:"ok"`
	Events   ShardHealth `json:"events"`
	Segments struct {
		JobsQueued     int `json:"jobsQueued"`
		JobsDelivered  int `json:"jobsDelivered"`
		DuplicatePages int `json:"duplicatePages"`
	} `json:"segments"`
}

// health reads the rig's GET /v1/health.
func health(t *testing.T, rg *rig) healthAnswer {
	t.Helper()
	rec := rg.do("GET", "/v1/health", "")
	var h healthAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil || rec.Code != 200 {
		t.Fatalf("health %d %s: %v", rec.Code, rec.Body, err)
	}
	return h
}

// TestQueueRetries tests that events Heap does not take at once are accepted, kept, and delivered
// later with backoff (doubling from 1 s, or Heap's Retry-After, at most 60 s), once each; and that
// a 4xx other than 429 refuses them without a retry.
func TestQueueRetries(t *testing.T) {
	s := time.Second
	tests := []struct {
		name       string
		retryAfter string
		statuses   []int
		waits      []time.Duration // the gaps between Heap's requests
		refused    string
	}{
		{name: "accepted at once"},
		{name: "503 twice", statuses: []int{503, 503}, waits: []time.Duration{s, 2 * s}},
		{name: "500 502 504", statuses: []int{500, 502, 504}, waits: []time.Duration{s, 2 * s, 4 * s}},
		{name: "429 with Retry-After", retryAfter: "7", statuses: []int{429}, waits: []time.Duration{7 * s}},
		{name: "Retry-After over a minute", retryAfter: "600", statuses: []int{429}, waits: []time.Duration{60 * s}},
		{name: "many failures", statuses: repeat(503, 9), waits: []time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 60 * s, 60 * s, 60 * s}},
		{name: "400 is not retried", statuses: []int{400}, refused: "heap_rejected: Heap's API refused the batch with HTTP 400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := newRig(t, nil)
			rg.heap.Fail(tt.retryAfter, tt.statuses...)
			a := answer(t, rg.post(batch(ev("a"), ev("b"))))
			if tt.refused != "" {
				if len(a.Accepted) != 0 || len(a.Refused) != 2 || a.Refused[0].Reason != tt.refused {
					t.Fatalf("answer %+v", a)
				}
				if n := rg.heap.Snapshot().Requests; n != 1 {
					t.Errorf("Heap got %d requests", n)
				}
				return
			}
			if !slices.Equal(a.Accepted, []string{"a", "b"}) {
				t.Fatalf("answer %+v", a)
			}
			for i, wait := range tt.waits {
				rg.pump(wait - time.Millisecond)
				if n := rg.heap.Snapshot().Requests; n != i+1 {
					t.Fatalf("after %v: Heap got %d requests, want %d (too early)", wait-time.Millisecond, n, i+1)
				}
				rg.pump(time.Millisecond)
				if n := rg.heap.Snapshot().Requests; n != i+2 {
					t.Fatalf("after %v: Heap got %d requests, want %d", wait, n, i+2)
				}
			}
			snap := rg.heap.Snapshot()
			if len(snap.Events) != 2 || snap.Duplicates != 0 {
				t.Errorf("Heap stored %d, duplicates %d", len(snap.Events), snap.Duplicates)
			}
			h := health(t, rg)
			if h.Events.Queued != 0 || h.Events.Delivered != 2 || h.Events.Retried != 2*len(tt.statuses) {
				t.Errorf("health %+v", h.Events)
			}
			if len(tt.statuses) > 0 && (h.Events.LastHeapError == nil || !strings.Contains(h.Events.LastHeapError.Cause, "HTTP ")) {
				t.Errorf("last Heap error %+v", h.Events.LastHeapError)
			}
		})
	}
}

// TestQueueExpires tests that an event still undelivered after DELIVERY_MAX_HOURS is dropped and
// counted as expired.
func TestQueueExpires(t *testing.T) {
	rg := newRig(t, func(c *Config) { c.DeliveryMaxAge = time.Hour })
	rg.heap.Fail("", repeat(503, 200)...)
	answer(t, rg.post(batch(ev("a"))))
	for range 62 {
		rg.pump(time.Minute)
	}
	h := health(t, rg)
	if h.Events.Queued != 0 || h.Events.Refused[CodeExpired] != 1 {
		t.Errorf("health %+v", h.Events)
	}
}

// TestQueueLimits tests that the relay's own sending stays under HEAP_EVENTS_PER_MINUTE (split
// among the shards) and HEAP_IDENTITY_EVENTS_PER_MINUTE in every sliding minute, and that what is
// over waits and arrives later.
func TestQueueLimits(t *testing.T) {
	rg := newRig(t, func(c *Config) { c.HeapEventsPerMinute = 16 * 5; c.HeapIdentityEventsPerMinute = 3 })
	sentAt := map[string][]time.Time{} // identity → when its events reached Heap
	var all []time.Time
	seen := 0
	record := func() {
		snap := rg.heap.Snapshot()
		for _, e := range snap.Events[seen:] {
			sentAt[e.Identity] = append(sentAt[e.Identity], rg.clock)
			all = append(all, rg.clock)
		}
		seen = len(snap.Events)
	}
	n := 0
	for range 4 {
		var evs []string
		for range 5 {
			n++
			evs = append(evs, ev(strings.Repeat("x", n), "identity", `"user-1"`))
		}
		if a := answer(t, rg.post(batch(evs...))); len(a.Accepted) != 5 {
			t.Fatalf("answer %+v", a)
		}
		record()
	}
	for range 50 { // 20 events at 3 a minute take 7 minutes
		rg.pump(10 * time.Second)
		record()
	}
	if seen != 20 {
		t.Fatalf("Heap stored %d of 20", seen)
	}
	times := sentAt["user-1"]
	for i := range times {
		in := 0
		for _, u := range times[i:] {
			if u.Sub(times[i]) < time.Minute {
				in++
			}
		}
		if in > 3 {
			t.Fatalf("%d events of one identity within a minute from %v, limit 3", in, times[i].Sub(testNow))
		}
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
