package relay

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeuserpilot"
)

// segmentSeeds are bodies for the segments fuzzers: good ones, and near misses.
var segmentSeeds = []string{
	syncJSON([]string{"a", "b"}, []string{"c"}),
	syncJSON([]string{"guest", "a", "a", "b"}, []string{"b", "null", ""}),
	`{"action_type":"segment.users.sync","data":{"segment":{"id":7},"add":[{"id":"x"}]}}`,
	`{"action_type":"segment.users.sync","data":{"segment":{"id":"7"},"add":[{"id":1}]}}`,
	`{"action_type":"segment.users.sync","data":{"segment":{"id":7,"id":8}}}`,
	`{"action_type":"segment.users.sync","customer_config":{"a":{"a":1,"a":2}},"data":{"segment":{"id":7}}}`,
	`{"action_type":"segment.users.drain","data":{"segment":{"id":7}}}`,
	"{\"action_type\":\"segment.users.sync\",\"data\":{\"segment\":{\"id\":7},\"add\":[{\"id\":\"\xff\"},{\"id\":\"\\ud800\"}]}}",
	`{"data":{"sync_info":{"page_number":1e3},"remove":[null]}}`, `[]`, `null`, ``, `{}`,
}

// FuzzSegments tests that no signed body makes POST /v1/heap/segments fail: it answers 200 or 400
// with JSON, Userpilot takes every request the relay sends, and a 200 accounts for every distinct
// id of the page exactly once, as sent or as skipped.
func FuzzSegments(f *testing.F) {
	for _, seed := range segmentSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		up := fakeuserpilot.New(testUserpilotKey)
		h := NewHandler(Config{AppID: testAppID, WebhookSecret: testWebhookSecret, UserpilotAPIKey: testUserpilotKey, UserpilotAPIURL: "http://userpilot.test"}, Deps{
			Client: &http.Client{Transport: handlerTransport{up}},
			Now:    func() time.Time { return testNow },
			Sleep:  func(time.Duration) {},
		})
		req := newRequest(body)
		req.URL.Path = "/v1/heap/segments"
		req.Header.Set("Heap-Hash", HeapHash(testWebhookSecret, unixTS(testNow), []byte(body)))
		rec := httptestRecorderFor(h, req)
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %s", rec.Body)
		}
		snap := up.Snapshot()
		for _, r := range snap.Requests {
			if r.Status != 202 {
				t.Fatalf("Userpilot answered %d (%s) for %q", r.Status, r.Reason, body)
			}
		}
		if rec.Code != 200 {
			if len(snap.Requests) != 0 {
				t.Fatalf("a 400 sent %d requests to Userpilot", len(snap.Requests))
			}
			return
		}
		var page struct {
			Data struct{ Add, Remove []struct{ ID string } }
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatalf("a body answered 200 does not decode: %v", err)
		}
		var want []string
		for _, u := range append(page.Data.Add, page.Data.Remove...) {
			if !slices.Contains(want, u.ID) {
				want = append(want, u.ID)
			}
		}
		var a SegmentsAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Skipped == nil {
			t.Fatalf("answer %s: %v", rec.Body, err)
		}
		if a.Users != len(snap.Users) {
			t.Fatalf("answer says %d users, Userpilot took %d", a.Users, len(snap.Users))
		}
		var got []string
		for _, u := range snap.Users {
			got = append(got, u.UserID)
			if len(u.Metadata) != 1 {
				t.Fatalf("user %q has metadata %v", u.UserID, u.Metadata)
			}
			for k, v := range u.Metadata {
				if !strings.HasPrefix(k, SegmentPropertyPrefix) || (v != "true" && v != "false") {
					t.Fatalf("user %q has metadata %q: %v", u.UserID, k, v)
				}
			}
		}
		for _, s := range a.Skipped {
			got = append(got, s.ID)
			if code, detail, ok := strings.Cut(s.Reason, ": "); !ok || code == "" || detail == "" {
				t.Errorf("reason %q is not \"code: detail\"", s.Reason)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("sent and skipped %q, page ids %q", got, want)
		}
	})
}

// handlerTransport serves requests from a handler in process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return httptestRecorderFor(t.h, req).Result(), nil
}
