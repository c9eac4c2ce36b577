package relay

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeheap"
)

// TestHappyPath tests that valid events reach Heap once, with Heap's field names and types.
func TestHappyPath(t *testing.T) {
	rg := newRig(t, nil)
	rec := rg.post(batch(
		ev("e1", "properties", `{"flow_id":"f1","step":3,"ratio":0.5,"done":true,"skipped":false}`, "timestamp", `"2025-06-01T11:59:00.123Z"`),
		ev("e2", "properties", "", "identity", `"user-7"`),
	))
	a := answer(t, rec)
	if !slices.Equal(a.Accepted, []string{"e1", "e2"}) || len(a.Refused) != 0 {
		t.Fatalf("answer %+v", a)
	}
	if !strings.Contains(rec.Body.String(), `"refused":[]`) {
		t.Errorf("refused must be an empty array, not null: %s", rec.Body)
	}
	snap := rg.heap.Snapshot()
	if snap.Requests != 2 || len(snap.Events) != 2 { // one request per shard: user-42 and user-7 fall in two
		t.Fatalf("Heap got %+v", snap)
	}
	got, _ := json.Marshal(snap.Events)
	want := `[{"identity":"user-42","event":"Userpilot Flow Completed","properties":{"done":"true","flow_id":"f1","ratio":0.5,"skipped":"false","step":3},"timestamp":"2025-06-01T11:59:00.123Z","idempotency_key":"e1"},` +
		`{"identity":"user-7","event":"Userpilot Flow Completed","timestamp":"2025-06-01T12:00:00.000Z","idempotency_key":"e2"}]`
	if string(got) != want {
		t.Errorf("Heap stored\n%s\nwant\n%s", got, want)
	}
}

// TestAppIDComesFromConfig tests that Heap always gets the configured app_id, and that a request
// trying to name one is refused as the wrong shape.
func TestAppIDComesFromConfig(t *testing.T) {
	rg := newRig(t, nil)
	answer(t, rg.post(batch(ev("e1"))))
	var sent struct {
		AppID string `json:"app_id"`
	}
	if len(rg.sent) != 1 || json.Unmarshal(rg.sent[0], &sent) != nil || sent.AppID != testAppID {
		t.Fatalf("Heap body %s, want app_id %q", rg.sent, testAppID)
	}
	smuggled := `{"app_id":"999","events":[` + ev("e2") + `]}`
	if text := errorText(t, rg.post(smuggled), 400); !strings.Contains(text, "app_id") {
		t.Errorf("error %q does not name app_id", text)
	}
	inEvent := batch(strings.Replace(ev("e3"), "{", `{"app_id":"999",`, 1))
	if text := errorText(t, rg.post(inEvent), 400); !strings.Contains(text, "app_id") {
		t.Errorf("error %q does not name app_id", text)
	}
	if len(rg.sent) != 1 {
		t.Errorf("Heap got %d requests, want only the first", len(rg.sent))
	}
}

// TestEventRefusals tests every per-event refusal and the limits just inside them.
func TestEventRefusals(t *testing.T) {
	props := func(n int) string {
		var kv []string
		for i := range n {
			kv = append(kv, fmt.Sprintf(`"p%d":%d`, i, i))
		}
		return "{" + strings.Join(kv, ",") + "}"
	}
	tests := []struct {
		name  string
		event string
		code  string // "" means accepted
	}{
		{"id with all allowed characters", ev("Ab9._:-"), ""},
		{"id of 128 characters", ev(strings.Repeat("i", 128)), ""},
		{"id missing", ev("", "id", ""), "invalid_id"},
		{"id empty", ev(""), "invalid_id"},
		{"id of 129 characters", ev(strings.Repeat("i", 129)), "invalid_id"},
		{"id with a space", ev("a b"), "invalid_id"},
		{"id with a slash", ev("a/b"), "invalid_id"},
		{"id with non-ASCII", ev("é"), "invalid_id"},
		{"name missing", ev("x", "name", ""), "invalid_name"},
		{"name blank", ev("x", "name", `"  "`), "invalid_name"},
		{"name of 255", ev("x", "name", jsonString(strings.Repeat("n", 255))), ""},
		{"name of 256", ev("x", "name", jsonString(strings.Repeat("n", 256))), "invalid_name"},
		{"properties null", ev("x", "properties", "null"), ""},
		{"properties empty", ev("x", "properties", "{}"), ""},
		{"101 properties", ev("x", "properties", props(101)), ""},
		{"102 properties", ev("x", "properties", props(102)), "invalid_properties"},
		{"reserved key", ev("x", "properties", `{"__proto__":"a"}`), "invalid_properties"},
		{"reserved key segment", ev("x", "properties", `{"a.constructor":"a"}`), "invalid_properties"},
		{"empty key", ev("x", "properties", `{"":"a"}`), "invalid_properties"},
		{"key of 512", ev("x", "properties", `{`+jsonString(strings.Repeat("k", 512))+`:"a"}`), "invalid_properties"},
		{"value of 1023", ev("x", "properties", `{"k":`+jsonString(strings.Repeat("v", 1023))+`}`), ""},
		{"value of 1024", ev("x", "properties", `{"k":`+jsonString(strings.Repeat("v", 1024))+`}`), "invalid_properties"},
		{"object value", ev("x", "properties", `{"k":{"a":1}}`), "invalid_properties"},
		{"array value", ev("x", "properties", `{"k":["a"]}`), "invalid_properties"},
		{"null value", ev("x", "properties", `{"k":null}`), "invalid_properties"},
		{"number out of range", ev("x", "properties", `{"k":1e400}`), "invalid_properties"},
		{"negative number out of range", ev("x", "properties", `{"k":-1e400}`), "invalid_properties"},
		{"tiny number", ev("x", "properties", `{"k":1e-400}`), ""},
		{"identity missing", ev("x", "identity", ""), "no_identity"},
		{"identity empty", ev("x", "identity", `""`), "no_identity"},
		{"identity guest", ev("x", "identity", `"guest"`), "invalid_identity"},
		{"identity undefined", ev("x", "identity", `"undefined"`), "invalid_identity"},
		{"identity blank", ev("x", "identity", `"   "`), "invalid_identity"},
		{"identity of 256", ev("x", "identity", jsonString(strings.Repeat("u", 256))), "invalid_identity"},
		{"timestamp with offset", ev("x", "timestamp", `"2025-06-01T14:00:00+02:00"`), ""},
		{"timestamp 4 minutes ahead", ev("x", "timestamp", `"2025-06-01T12:04:00Z"`), ""},
		{"timestamp 6 minutes ahead", ev("x", "timestamp", `"2025-06-01T12:06:00Z"`), "invalid_timestamp"},
		{"timestamp 6 days old", ev("x", "timestamp", `"2025-05-26T12:00:00Z"`), ""},
		{"timestamp 8 days old", ev("x", "timestamp", `"2025-05-24T12:00:00Z"`), "invalid_timestamp"},
		{"timestamp without zone", ev("x", "timestamp", `"2025-06-01T12:00:00"`), "invalid_timestamp"},
		{"timestamp as a date", ev("x", "timestamp", `"2025-06-01"`), "invalid_timestamp"},
		{"timestamp in words", ev("x", "timestamp", `"yesterday"`), "invalid_timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := newRig(t, nil)
			a := answer(t, rg.post(batch(tt.event)))
			stored := len(rg.heap.Snapshot().Events)
			if tt.code == "" {
				if len(a.Accepted) != 1 || len(a.Refused) != 0 || stored != 1 {
					t.Fatalf("want accepted and stored; answer %+v, Heap stored %d", a, stored)
				}
				return
			}
			if len(a.Accepted) != 0 || len(a.Refused) != 1 || !strings.HasPrefix(a.Refused[0].Reason, tt.code+": ") {
				t.Fatalf("want refused with %s; answer %+v", tt.code, a)
			}
			if len(a.Refused[0].Reason) <= len(tt.code)+2 {
				t.Errorf("reason %q has no detail", a.Refused[0].Reason)
			}
			if rg.heap.Snapshot().Requests != 0 {
				t.Errorf("a batch of only refused events must not reach Heap")
			}
		})
	}
}

// TestEveryIDAnsweredOnce tests that an id sent more than once in a batch is answered in exactly
// one list, once: identical copies are one event, different events under one id are all refused.
func TestEveryIDAnsweredOnce(t *testing.T) {
	tests := []struct {
		name     string
		events   []string
		accepted []string
		refused  map[string]string // id → reason code
		stored   []string          // idempotency keys Heap stored
	}{
		{"different events under one id", []string{ev("same"), ev("other"), ev("same", "name", `"Second"`)},
			[]string{"other"}, map[string]string{"same": CodeDuplicateID}, []string{"other"}},
		{"identical copies are one event", []string{ev("twin"), ev("other"), ev("twin")},
			[]string{"twin", "other"}, map[string]string{}, []string{"twin", "other"}},
		{"identical invalid copies are refused once", []string{ev("bad", "identity", `"guest"`), ev("bad", "identity", `"guest"`)},
			[]string{}, map[string]string{"bad": CodeInvalidIdentity}, nil},
		{"a valid and an invalid copy", []string{ev("mixed"), ev("mixed", "identity", `"guest"`)},
			[]string{}, map[string]string{"mixed": CodeDuplicateID}, nil},
		{"three copies, one different", []string{ev("x"), ev("x"), ev("x", "properties", `{"flow_id":"f2"}`)},
			[]string{}, map[string]string{"x": CodeDuplicateID}, nil},
		{"empty ids", []string{ev(""), ev("", "name", `"Other"`)},
			[]string{}, map[string]string{"": CodeInvalidID}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := newRig(t, nil)
			a := answer(t, rg.post(batch(tt.events...)))
			answeredOnce(t, a)
			if !slices.Equal(a.Accepted, tt.accepted) {
				t.Errorf("accepted %q, want %q", a.Accepted, tt.accepted)
			}
			refused := map[string]string{}
			for _, r := range a.Refused {
				code, _, _ := strings.Cut(r.Reason, ": ")
				refused[r.ID] = code
			}
			if !maps.Equal(refused, tt.refused) {
				t.Errorf("refused %+v, want codes %v", a.Refused, tt.refused)
			}
			var stored []string
			for _, e := range rg.heap.Snapshot().Events {
				stored = append(stored, e.IdempotencyKey)
			}
			if !slices.Equal(stored, tt.stored) {
				t.Errorf("Heap stored %q, want %q", stored, tt.stored)
			}
		})
	}
}

// answeredOnce fails the test when an id appears more than once across an answer's two lists.
func answeredOnce(t *testing.T, a Answer) {
	t.Helper()
	seen := map[string]bool{}
	ids := slices.Clone(a.Accepted)
	for _, r := range a.Refused {
		ids = append(ids, r.ID)
	}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("id %q is answered more than once: %+v", id, a)
		}
		seen[id] = true
	}
}

// TestSameBatchTwice tests that posting a batch again (the page retrying) stores nothing twice.
func TestSameBatchTwice(t *testing.T) {
	rg := newRig(t, nil)
	body := batch(ev("r1"), ev("r2"))
	for range 2 {
		if a := answer(t, rg.post(body)); len(a.Accepted) != 2 {
			t.Fatalf("answer %+v", a)
		}
	}
	snap := rg.heap.Snapshot()
	if snap.Requests != 2 || snap.Received != 4 || snap.Duplicates != 2 || len(snap.Events) != 2 {
		t.Errorf("Heap %+v, want 2 requests, 4 received, 2 duplicates, 2 stored", snap)
	}
}

// TestMixedBatch tests that accepted and refused events are answered in one 200.
func TestMixedBatch(t *testing.T) {
	rg := newRig(t, nil)
	a := answer(t, rg.post(batch(ev("ok1"), ev("bad", "identity", `"guest"`), ev("ok2"))))
	if !slices.Equal(a.Accepted, []string{"ok1", "ok2"}) || len(a.Refused) != 1 || a.Refused[0].ID != "bad" {
		t.Errorf("answer %+v", a)
	}
}

// TestBadBodies tests that bodies not of the contract's shape answer 400 naming the problem.
func TestBadBodies(t *testing.T) {
	many := make([]string, 1001)
	for i := range many {
		many[i] = `{"id":"` + fmt.Sprint(i) + `"}`
	}
	tests := []struct{ name, body, mention string }{
		{"empty", "", "empty"},
		{"not JSON", "events", "invalid"},
		{"not JSON but starting like null", "nope", "invalid"},
		{"truncated", `{"events":[`, "ends early"},
		{"array", `[]`, "array"},
		{"string", `"x"`, "string"},
		{"null", `null`, "null"},
		{"trailing data", batch(ev("a")) + `{}`, "after"},
		{"trailing garbage", batch(ev("a")) + `x`, "after"},
		{"no events", `{}`, "events"},
		{"events null", `{"events":null}`, "events"},
		{"events an object", `{"events":{}}`, "events"},
		{"no entries", `{"events":[]}`, "0 entries"},
		{"1001 entries", batch(many...), "1001"},
		{"unknown field", `{"events":[` + ev("a") + `],"extra":1}`, "extra"},
		{"unknown event field", batch(`{"id":"a","user_id":"7"}`), "user_id"},
		{"entry null", batch("null"), "events[0]"},
		{"entry a number", batch(ev("a"), "1"), "events[1]"},
		{"entry an array", batch("[]"), "events[0]"},
		{"id a number", batch(`{"id":7}`), "id"},
		{"properties an array", batch(`{"id":"a","properties":[]}`), "properties"},
		{"timestamp a number", batch(`{"id":"a","timestamp":1717243200}`), "timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkBadBody(t, tt.body, tt.mention) })
	}
}

// checkBadBody tests that body is answered 400 with an error that mentions mention, and that
// nothing reaches Heap.
func checkBadBody(t *testing.T, body, mention string) {
	t.Helper()
	rg := newRig(t, nil)
	text := errorText(t, rg.post(body), 400)
	if !strings.Contains(text, mention) {
		t.Errorf("error %q does not mention %q", text, mention)
	}
	if rg.heap.Snapshot().Requests != 0 {
		t.Errorf("a bad body reached Heap")
	}
}

// TestHTTPRefusals tests routing, content type, size and origin refusals, and the health check.
func TestHTTPRefusals(t *testing.T) {
	big := batch(ev("a", "properties", `{"k":"`+strings.Repeat("v", 300)+`"}`))
	tests := []struct {
		name, method, target, body string
		headers                    []string
		status                     int
		mention                    string
		header                     [2]string // a header the answer must carry
	}{
		{"unknown path", "POST", "/v1/event", batch(ev("a")), nil, 404, "/v1/event", [2]string{}},
		{"root", "GET", "/", "", nil, 404, "no such path", [2]string{}},
		{"GET events", "GET", "/v1/events", "", nil, 405, "GET", [2]string{"Allow", "POST, OPTIONS"}},
		{"PUT events", "PUT", "/v1/events", batch(ev("a")), nil, 405, "PUT", [2]string{"Allow", "POST, OPTIONS"}},
		{"POST health", "POST", "/v1/health", "", nil, 405, "POST", [2]string{"Allow", "GET"}},
		{"no content type", "POST", "/v1/events", batch(ev("a")), []string{"Content-Type", ""}, 415, "application/json", [2]string{}},
		{"form content type", "POST", "/v1/events", batch(ev("a")), []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "x-www-form", [2]string{}},
		{"bad media type", "POST", "/v1/events", batch(ev("a")), []string{"Content-Type", "application/json; charset"}, 415, "charset", [2]string{}},
		{"origin not allowed", "POST", "/v1/events", batch(ev("a")), []string{"Origin", "https://evil.example"}, 403, "origin https://evil.example is not allowed", [2]string{}},
		{"null origin", "POST", "/v1/events", batch(ev("a")), []string{"Origin", "null"}, 403, "origin null is not allowed", [2]string{}},
		{"preflight from another origin", "OPTIONS", "/v1/events", "", []string{"Origin", "https://evil.example"}, 403, "not allowed", [2]string{}},
		{"body over the cap", "POST", "/v1/events", big, nil, 413, "300 bytes", [2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := newRig(t, func(c *Config) { c.MaxBodyBytes = 300 })
			headers := append([]string{"Content-Type", "application/json"}, tt.headers...)
			rec := rg.do(tt.method, tt.target, tt.body, headers...)
			if text := errorText(t, rec, tt.status); !strings.Contains(text, tt.mention) {
				t.Errorf("error %q does not mention %q", text, tt.mention)
			}
			if tt.header[0] != "" && rec.Header().Get(tt.header[0]) != tt.header[1] {
				t.Errorf("%s: %q, want %q", tt.header[0], rec.Header().Get(tt.header[0]), tt.header[1])
			}
			if rec.Header().Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("a refused origin got CORS headers")
			}
			if rg.heap.Snapshot().Requests != 0 {
				t.Errorf("a refused request reached Heap")
			}
		})
	}
}

// TestBodyCapWithoutContentLength tests that a streamed body over the cap is cut off with 413.
func TestBodyCapWithoutContentLength(t *testing.T) {
	rg := newRig(t, func(c *Config) { c.MaxBodyBytes = 300 })
	req := newRequest(batch(ev("a", "properties", `{"k":"`+strings.Repeat("v", 300)+`"}`)))
	req.ContentLength = -1 // as for a chunked upload
	rec := serve(rg, req)
	errorText(t, rec, 413)
	// The same cap lets a body of exactly 300 bytes through.
	exact := batch(ev("a"))
	exact = strings.Replace(exact, `"f1"`, `"`+strings.Repeat("f", 300-len(exact)+2)+`"`, 1)
	if len(exact) != 300 {
		t.Fatalf("test body is %d bytes", len(exact))
	}
	answer(t, rg.post(exact))
}

// TestAcceptedContentTypes tests that JSON and sendBeacon's text/plain, with parameters, pass.
func TestAcceptedContentTypes(t *testing.T) {
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "text/plain;charset=UTF-8", "Text/Plain"} {
		rg := newRig(t, nil)
		if a := answer(t, rg.post(batch(ev("a")), "Content-Type", ct)); len(a.Accepted) != 1 {
			t.Errorf("%s: answer %+v", ct, a)
		}
	}
}

// TestCORS tests the headers on answers to an allowed origin, its preflight, and no origin.
func TestCORS(t *testing.T) {
	rg := newRig(t, nil)
	pre := rg.do("OPTIONS", "/v1/events", "", "Origin", testOrigin, "Access-Control-Request-Method", "POST")
	if pre.Code != http.StatusNoContent {
		t.Fatalf("preflight status %d", pre.Code)
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":   testOrigin,
		"Access-Control-Allow-Methods":  "POST, OPTIONS",
		"Access-Control-Allow-Headers":  "Content-Type, X-Bridge-Signature",
		"Access-Control-Max-Age":        "86400",
		"Vary":                          "Origin",
		"Access-Control-Expose-Headers": "Retry-After",
	} {
		if got := pre.Header().Get(k); got != v {
			t.Errorf("preflight %s: %q, want %q", k, got, v)
		}
	}
	for _, rec := range []*httptestRecorder{rg.post(batch(ev("a")), "Origin", testOrigin), rg.post("{}", "Origin", testOrigin)} {
		if rec.Header().Get("Access-Control-Allow-Origin") != testOrigin || rec.Header().Get("Vary") != "Origin" ||
			rec.Header().Get("Access-Control-Expose-Headers") != "Retry-After" {
			t.Errorf("status %d answer lacks CORS headers: %v", rec.Code, rec.Header())
		}
	}
	if rec := rg.post(batch(ev("b"))); rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("no Origin: status %d, CORS %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
	}
}

// TestHealth tests GET /v1/health.
func TestHealth(t *testing.T) {
	rec := newRig(t, nil).do("GET", "/v1/health", "")
	want := `{"ok":true,"events":{"queued":0,"oldestAgeMs":0,"delivered":0,"retried":0,"refused":{},"lastHeapError":null},` +
		`"segments":{"jobsQueued":0,"oldestAgeMs":0,"pages":0,"duplicatePages":0,"jobsDelivered":0,"jobsRetried":0,"jobsRefused":0,"lastUserpilotError":null}}`
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != want || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("health: %d %s %v", rec.Code, rec.Body, rec.Header())
	}
}

// TestPanicIsAnswered tests that a panic becomes a 500 JSON answer.
func TestPanicIsAnswered(t *testing.T) {
	h := NewHandler(Config{AppID: testAppID}, Deps{Store: panickyStore{}})
	rec := serve(&rig{h: h}, newRequest(batch(ev("a"))))
	if text := errorText(t, rec, 500); !strings.Contains(text, "store is down") {
		t.Errorf("error %q", text)
	}
}

// panickyStore fails every call, as a broken binding would.
type panickyStore struct{}

func (panickyStore) Take(time.Time, []Want) Taken { panic("store is down") }

// TestOtherAppIDAtHeap tests that a Heap refusing the app_id refuses the events, not the request.
func TestOtherAppIDAtHeap(t *testing.T) {
	rg := newRig(t, nil)
	rg.heap = fakeheap.New("another-app")
	a := answer(t, rg.post(batch(ev("a"), ev("b"))))
	if len(a.Accepted) != 0 || len(a.Refused) != 2 || a.Refused[1].Reason != "heap_rejected: Heap's API refused the batch with HTTP 400" {
		t.Errorf("answer %+v", a)
	}
	if len(rg.sleeps) != 0 {
		t.Errorf("a 400 from Heap was retried")
	}
}

// TestContentLengthRefusedUnread tests that a declared length over the cap is refused before
// any of the body is read.
func TestContentLengthRefusedUnread(t *testing.T) {
	rg := newRig(t, func(c *Config) { c.MaxBodyBytes = 300 })
	req := newRequest("")
	req.Body = unreadable{t}
	req.ContentLength = 301
	errorText(t, serve(rg, req), 413)
}

// unreadable fails the test when read.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("the body was read")
	return 0, io.EOF
}
func (unreadable) Close() error { return nil }

// TestRouteUnderPrefix tests that the relay answers under a first-party Worker route prefix.
func TestRouteUnderPrefix(t *testing.T) {
	rg := newRig(t, nil)
	rec := rg.do("POST", "/heap-relay/v1/events", batch(ev("p1")), "Content-Type", "application/json")
	if a := answer(t, rec); !slices.Equal(a.Accepted, []string{"p1"}) {
		t.Fatalf("answer %+v", a)
	}
	if rec := rg.do("GET", "/heap-relay/v1/health", ""); rec.Code != http.StatusOK {
		t.Fatalf("health under a prefix: %d", rec.Code)
	}
	if rec := rg.do("POST", "/heap-relay/v2/events", batch(ev("p2")), "Content-Type", "application/json"); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown path under a prefix: %d", rec.Code)
	}
}
