package relay

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeheap"
)

// FuzzEventsEndpoint tests that no body makes the relay fail, and that a 200 answer accounts for every
// event id exactly once.
func FuzzEventsEndpoint(f *testing.F) {
	for _, seed := range []string{
		batch(ev("a"), ev("b")),
		batch(ev("a"), ev("a"), ev("", "identity", `"guest"`)),
		batch(ev("x", "properties", `{"k":1e400,"b":true,"o":{"a":1}}`, "timestamp", `"2025-06-01T12:00:00Z"`)),
		`{"events":[{"id":"a","name":"n","identity":"u","properties":{"__proto__":1}}]}`,
		`{"events":[null]}`, `{"events":[]}`, `{"events":[1]}{}`, `[]`, `"x"`, ``, `{"app_id":"1","events":[]}`,
		"{\"events\":[{\"id\":\"\xff\",\"name\":\"\xfe\"}]}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		heap := fakeheap.New(testAppID)
		h := NewHandler(Config{AppID: testAppID, HeapAPIURL: "http://heap.test", ClientPerMinute: 1 << 30, IdentityEventsPerMinute: 1 << 30}, Deps{
			Client: &http.Client{Transport: handlerTransport{heap}},
			Now:    func() time.Time { return testNow },
			Sleep:  func(time.Duration) {},
		})
		rec := serve(&rig{h: h}, newRequest(body))
		switch rec.Code {
		case 200, 400, 413:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %s", rec.Body)
		}
		if rec.Code != 200 {
			return
		}
		var sent struct{ Events []struct{ ID string } }
		if err := json.Unmarshal([]byte(body), &sent); err != nil {
			t.Fatalf("a body answered 200 does not decode: %v", err)
		}
		var a Answer
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Accepted == nil || a.Refused == nil {
			t.Fatalf("answer %s: %v", rec.Body, err)
		}
		got := slices.Clone(a.Accepted)
		for _, r := range a.Refused {
			got = append(got, r.ID)
			if code, detail, ok := strings.Cut(r.Reason, ": "); !ok || code == "" || detail == "" {
				t.Errorf("reason %q is not \"code: detail\"", r.Reason)
			}
		}
		var want []string
		for _, e := range sent.Events {
			if !slices.Contains(want, e.ID) {
				want = append(want, e.ID)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("answer ids %q, events %q", got, want)
		}
		if stored := len(heap.Snapshot().Events); stored != len(a.Accepted) {
			t.Fatalf("Heap stored %d events, %d accepted", stored, len(a.Accepted))
		}
	})
}
