package relay

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeuserpilot"
)

const testSegment = 1338065

// syncJSON builds a segment.users.sync body for testSegment, as Heap's spec shows it, each call
// another page of the sync (the queue applies a page once).
func syncJSON(add, remove []string) string {
	pageSeq++
	return syncPage(add, remove, pageSeq)
}

var pageSeq int

// syncPage is syncJSON for page of the sync.
func syncPage(add, remove []string, page int) string {
	entries := func(ids []string) string {
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = `{"id":` + jsonString(id) + `}`
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return `{"id_token":"7a36ae58-c4b9-11eb-8529-0242ac130003","action_type":"segment.users.sync",` +
		`"customer_config":{"fields":[{"field_id":"workspace","value":{"id":"workspace_1"}}]},` +
		`"data":{"segment":{"id":` + strconv.Itoa(testSegment) + `,"name":"Free Customers"},` +
		`"sync_info":{"page_number":` + strconv.Itoa(page) + `,"total_pages":5,"sync_task_id":"afe74af0-496e-11ec-81d3-0242ac130003"},` +
		`"add":` + entries(add) + `,"remove":` + entries(remove) + `}}`
}

// unixTS is t as Heap-Hash's ts: unix seconds.
func unixTS(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// webhook posts body to POST /v1/heap/segments signed now with the rig's secret; headers (name,
// value, ...) are set after, so they can replace Heap-Hash.
func (rg *rig) webhook(body string, headers ...string) *httptest.ResponseRecorder {
	signed := []string{"Content-Type", "application/json", "Heap-Hash", HeapHash(testWebhookSecret, unixTS(rg.clock), []byte(body))}
	return rg.do(http.MethodPost, "/v1/heap/segments", body, append(signed, headers...)...)
}

// segmentsAnswer decodes a 200 answer of POST /v1/heap/segments, failing the test on anything else.
func segmentsAnswer(t *testing.T, rec *httptest.ResponseRecorder) SegmentsAnswer {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", rec.Code, rec.Body)
	}
	var a SegmentsAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Skipped == nil {
		t.Fatalf("answer %s: %v", rec.Body, err)
	}
	return a
}

// segmentUsers is what Userpilot should get for ids, all with one value.
func segmentUsers(value string, ids ...string) []fakeuserpilot.User {
	out := make([]fakeuserpilot.User, len(ids))
	for i, id := range ids {
		out[i] = fakeuserpilot.User{UserID: id, Metadata: map[string]any{"heap_segment_1338065": value}}
	}
	return out
}

// TestSegmentsHappyPath tests that a signed webhook becomes one Bulk Identify request with the
// contract's URL, headers and body, and the answer counts the users.
func TestSegmentsHappyPath(t *testing.T) {
	rg := newRig(t, nil)
	a := segmentsAnswer(t, rg.webhook(syncJSON([]string{"user1@email.com", "user2@email.com"}, []string{"user3@email.com"})))
	if a.Users != 3 || len(a.Skipped) != 0 {
		t.Fatalf("answer %+v", a)
	}
	if len(rg.upSent) != 1 {
		t.Fatalf("Userpilot got %d requests, want 1", len(rg.upSent))
	}
	req := rg.upSent[0]
	if req.Method != http.MethodPost || req.URL.String() != "http://userpilot.test/v1/users/bulk_identify" {
		t.Errorf("request %s %s", req.Method, req.URL)
	}
	if got := req.Header.Get("Authorization"); got != "Token "+testUserpilotKey {
		t.Errorf("Authorization %q", got)
	}
	if got := req.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
	want := `{"users":[{"user_id":"user1@email.com","metadata":{"heap_segment_1338065":"true"}},` +
		`{"user_id":"user2@email.com","metadata":{"heap_segment_1338065":"true"}},` +
		`{"user_id":"user3@email.com","metadata":{"heap_segment_1338065":"false"}}]}`
	if string(rg.upBodies[0]) != want {
		t.Errorf("Bulk Identify body\n%s\nwant\n%s", rg.upBodies[0], want)
	}
	snap := rg.userpilot.Snapshot()
	if len(snap.Requests) != 1 || snap.Requests[0].Status != 202 || len(snap.Users) != 3 {
		t.Errorf("fake Userpilot: %+v", snap)
	}
	if len(rg.sent) != 0 {
		t.Errorf("Heap got %d requests", len(rg.sent))
	}
}

// TestSegmentsOptionalParts tests Heap's spec examples, which leave out remove or add, and the
// optional parts of the body; a page with no users sends nothing and answers 200.
func TestSegmentsOptionalParts(t *testing.T) {
	tests := []struct {
		name, body string
		users      int
	}{
		{"add only", `{"action_type":"segment.users.sync","data":{"segment":{"id":7},"add":[{"id":"a"}]}}`, 1},
		{"remove only", `{"action_type":"segment.users.sync","data":{"segment":{"id":7},"remove":[{"id":"a"}]}}`, 1},
		{"nulls", `{"id_token":null,"action_type":"segment.users.sync","customer_config":null,"data":{"segment":{"id":7,"name":null},"sync_info":null,"add":null,"remove":[]}}`, 0},
		{"neither", `{"action_type":"segment.users.sync","data":{"segment":{"id":7}}}`, 0},
		{"empty customer_config", `{"action_type":"segment.users.sync","customer_config":{},"data":{"segment":{"id":7},"sync_info":{"page_number":2,"total_pages":2}}}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := newRig(t, nil)
			if a := segmentsAnswer(t, rg.webhook(tt.body)); a.Users != tt.users {
				t.Errorf("users %d, want %d", a.Users, tt.users)
			}
			if want := min(tt.users, 1); len(rg.upSent) != want {
				t.Errorf("Userpilot got %d requests, want %d", len(rg.upSent), want)
			}
		})
	}
}

// TestSegmentsSignature tests that only a Heap-Hash made with the secret over this body, at a ts
// within 300 s, is taken; everything else is 403 and nothing reaches Userpilot.
func TestSegmentsSignature(t *testing.T) {
	body := syncJSON([]string{"alice"}, nil)
	other := syncJSON([]string{"mallory"}, nil)
	sign := func(secret string, at time.Time, b string) string {
		return HeapHash(secret, unixTS(at), []byte(b))
	}
	mac := strings.TrimPrefix(sign(testWebhookSecret, testNow, body), "ts:"+unixTS(testNow)+",hmac:")
	tests := []struct {
		name    string
		headers []string // replacing the good Heap-Hash; nil deletes it
		status  int
		want    string // in the error
	}{
		{"good", []string{"Heap-Hash", sign(testWebhookSecret, testNow, body)}, 200, ""},
		{"300 s old", []string{"Heap-Hash", sign(testWebhookSecret, testNow.Add(-300*time.Second), body)}, 200, ""},
		{"300 s ahead", []string{"Heap-Hash", sign(testWebhookSecret, testNow.Add(300*time.Second), body)}, 200, ""},
		{"hmac first, spaces, upper-case hex", []string{"Heap-Hash", " hmac:" + strings.ToUpper(mac) + " , ts:" + unixTS(testNow)}, 200, ""},
		{"ts in milliseconds, as Heap's example code signs", []string{"Heap-Hash", HeapHash(testWebhookSecret, strconv.FormatInt(testNow.UnixMilli(), 10), []byte(body))}, 200, ""},
		{"missing", nil, 403, "missing"},
		{"stale", []string{"Heap-Hash", sign(testWebhookSecret, testNow.Add(-301*time.Second), body)}, 403, "5m1s"},
		{"from the future", []string{"Heap-Hash", sign(testWebhookSecret, testNow.Add(301*time.Second), body)}, 403, "-5m1s"},
		{"stale in milliseconds", []string{"Heap-Hash", HeapHash(testWebhookSecret, strconv.FormatInt(testNow.Add(-time.Hour).UnixMilli(), 10), []byte(body))}, 403, "1h0m0s"},
		{"wrong secret", []string{"Heap-Hash", sign("another secret", testNow, body)}, 403, "does not match"},
		{"tampered body", []string{"Heap-Hash", sign(testWebhookSecret, testNow, other)}, 403, "does not match"},
		{"ts changed", []string{"Heap-Hash", "ts:" + unixTS(testNow.Add(time.Second)) + ",hmac:" + mac}, 403, "does not match"},
		{"empty", []string{"Heap-Hash", ""}, 403, "malformed"},
		{"no hmac", []string{"Heap-Hash", "ts:" + unixTS(testNow)}, 403, "hmac is missing"},
		{"no ts", []string{"Heap-Hash", "hmac:" + mac}, 403, "ts is missing"},
		{"short hmac", []string{"Heap-Hash", "ts:" + unixTS(testNow) + ",hmac:" + mac[:62]}, 403, "64 hex digits"},
		{"hmac not hex", []string{"Heap-Hash", "ts:" + unixTS(testNow) + ",hmac:" + strings.Repeat("zz", 32)}, 403, "64 hex digits"},
		{"ts not a number", []string{"Heap-Hash", "ts:now,hmac:" + mac}, 403, "whole number"},
		{"negative ts", []string{"Heap-Hash", "ts:-" + unixTS(testNow) + ",hmac:" + mac}, 403, "whole number"},
		{"huge ts", []string{"Heap-Hash", "ts:99999999999999999999,hmac:" + mac}, 403, "out of range"},
		{"ts twice", []string{"Heap-Hash", sign(testWebhookSecret, testNow, body) + ",ts:1"}, 403, "twice"},
		{"unknown key", []string{"Heap-Hash", sign(testWebhookSecret, testNow, body) + ",v:1"}, 403, "unknown key"},
		{"not key:value", []string{"Heap-Hash", mac}, 403, "not key:value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := newRig(t, nil)
			req := httptest.NewRequest(http.MethodPost, "/v1/heap/segments", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if tt.headers != nil {
				req.Header.Set(tt.headers[0], tt.headers[1])
			}
			rec := serve(rg, req)
			if tt.status == 200 {
				segmentsAnswer(t, rec)
				return
			}
			if text := errorText(t, rec, tt.status); !strings.Contains(text, tt.want) || !strings.Contains(text, "Heap-Hash") {
				t.Errorf("error %q does not say %q about Heap-Hash", text, tt.want)
			}
			if len(rg.upSent) != 0 {
				t.Errorf("Userpilot got %d requests", len(rg.upSent))
			}
		})
	}
	t.Run("given twice", func(t *testing.T) {
		rg := newRig(t, nil)
		req := httptest.NewRequest(http.MethodPost, "/v1/heap/segments", strings.NewReader(body))
		req.Header.Add("Heap-Hash", sign(testWebhookSecret, testNow, body))
		req.Header.Add("Heap-Hash", sign(testWebhookSecret, testNow, body))
		if text := errorText(t, serve(rg, req), 403); !strings.Contains(text, "2 times") {
			t.Errorf("error %q", text)
		}
	})
}

// TestSegmentsSkipped tests that ids the identity guard refuses, and ids both added and removed,
// are skipped and listed once each with why, while the others go to Userpilot once.
func TestSegmentsSkipped(t *testing.T) {
	rg := newRig(t, nil)
	long := strings.Repeat("x", 256)
	add := []string{"guest", "alice", "", " NULL ", "nu\u00adll", long, "carol", "alice", "guest", "0"}
	remove := []string{"bob", "carol", "anonymous"}
	a := segmentsAnswer(t, rg.webhook(syncJSON(add, remove)))
	if a.Users != 2 {
		t.Errorf("users %d, want 2 (alice and bob)", a.Users)
	}
	want := [][2]string{{"guest", "invalid_identity"}, {"", "invalid_identity"}, {" NULL ", "invalid_identity"},
		{"nu\u00adll", "invalid_identity"}, {long, "invalid_identity"}, {"carol", "add_and_remove"}, {"0", "invalid_identity"},
		{"anonymous", "invalid_identity"}}
	var got [][2]string
	for _, s := range a.Skipped {
		code, detail, _ := strings.Cut(s.Reason, ": ")
		got = append(got, [2]string{s.ID, code})
		if detail == "" {
			t.Errorf("reason %q has no detail", s.Reason)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("skipped %q\nwant    %q", got, want)
	}
	if !strings.Contains(a.Skipped[0].Reason, "shared by many people") {
		t.Errorf("reason %q does not say why guest is refused", a.Skipped[0].Reason)
	}
	snap := rg.userpilot.Snapshot()
	wantUsers := append(segmentUsers("true", "alice"), segmentUsers("false", "bob")...)
	gotJSON, _ := json.Marshal(snap.Users)
	wantJSON, _ := json.Marshal(wantUsers)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("Userpilot got %s, want %s", gotJSON, wantJSON)
	}

	// Nothing left to send: 200, and Userpilot is not called.
	rg = newRig(t, nil)
	a = segmentsAnswer(t, rg.webhook(syncJSON([]string{"guest"}, []string{"unknown"})))
	if a.Users != 0 || len(a.Skipped) != 2 || len(rg.upSent) != 0 {
		t.Errorf("answer %+v, %d requests to Userpilot", a, len(rg.upSent))
	}
}

// TestSegmentsNotConfigured tests 404 naming what is missing, while /v1/events keeps working.
func TestSegmentsNotConfigured(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*Config)
		want, not string
	}{
		{"no secret", func(c *Config) { c.WebhookSecret = "" }, "HEAP_WEBHOOK_SECRET", "USERPILOT_API_KEY"},
		{"no key", func(c *Config) { c.UserpilotAPIKey = "" }, "USERPILOT_API_KEY", "HEAP_WEBHOOK_SECRET"},
		{"neither", func(c *Config) { c.WebhookSecret, c.UserpilotAPIKey = "", "" }, "HEAP_WEBHOOK_SECRET and USERPILOT_API_KEY", "\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := newRig(t, tt.edit)
			text := errorText(t, rg.webhook(syncJSON([]string{"alice"}, nil)), http.StatusNotFound)
			if !strings.Contains(text, tt.want) || strings.Contains(text, tt.not) {
				t.Errorf("error %q should name %q only", text, tt.want)
			}
			if len(rg.upSent) != 0 {
				t.Errorf("Userpilot got %d requests", len(rg.upSent))
			}
			if a := answer(t, rg.post(batch(ev("e1")))); len(a.Accepted) != 1 {
				t.Errorf("/v1/events: %+v", a)
			}
		})
	}
	cfg, err := ConfigFromEnv(env(map[string]string{"HEAP_APP_ID": testAppID}))
	if err != nil || cfg.WebhookSecret != "" || cfg.UserpilotAPIKey != "" {
		t.Errorf("a relay without the pair: %+v, %v", cfg, err)
	}
}

// TestSegmentsShape tests that a signed body not of the contract's shape is 400 naming what is
// wrong, with nothing sent; a field the contract does not name is skipped (TestSegmentsUnknownFields).
func TestSegmentsShape(t *testing.T) {
	seg := func(data string) string { return `{"action_type":"segment.users.sync","data":` + data + `}` }
	tests := []struct {
		name, body, want string
	}{
		{"not JSON", `action_type=segment.users.sync`, "invalid character"},
		{"empty", ``, "empty"},
		{"an array", `[` + syncJSON(nil, nil) + `]`, "not a JSON object"},
		{"trailing data", syncJSON(nil, nil) + `{}`, "after the JSON object"},
		{"field in another case", `{"Action_type":"segment.users.sync","data":{"segment":{"id":7}}}`, `case-sensitive`},
		{"duplicate key", `{"action_type":"segment.users.sync","action_type":"segment.users.sync","data":{"segment":{"id":7}}}`, "duplicate key"},
		{"duplicate key in an entry", seg(`{"segment":{"id":7},"add":[{"id":"a","id":"b"}]}`), `data.add[0]: duplicate key "id"`},
		{"no action_type", `{"data":{"segment":{"id":7}}}`, `"action_type" is required`},
		{"no data", `{"action_type":"segment.users.sync"}`, `"data" is required`},
		{"data not an object", seg(`[]`), `body: "data" is an array, not an object`},
		{"no segment", seg(`{"add":[{"id":"a"}]}`), `"segment" is required`},
		{"no segment id", seg(`{"segment":{"name":"x"}}`), `"id" is required`},
		{"segment id a string", seg(`{"segment":{"id":"7"}}`), `"id" is "7", not a whole number`},
		{"segment id a fraction", seg(`{"segment":{"id":7.5}}`), `"id" is 7.5, not a whole number`},
		{"segment id in exponent form", seg(`{"segment":{"id":7e3}}`), "not a whole number"},
		{"segment id 0", seg(`{"segment":{"id":0}}`), "above 0"},
		{"segment id negative", seg(`{"segment":{"id":-7}}`), "above 0"},
		{"segment id too big", seg(`{"segment":{"id":9223372036854775808}}`), "not a whole number"},
		{"page_number a string", seg(`{"segment":{"id":7},"sync_info":{"page_number":"1"}}`), `"page_number" is "1", not a whole number`},
		{"total_pages a fraction", seg(`{"segment":{"id":7},"sync_info":{"total_pages":1.5}}`), `"total_pages"`},
		{"customer_config a string", `{"action_type":"segment.users.sync","customer_config":"x","data":{"segment":{"id":7}}}`, `"customer_config" is a string`},
		{"add not an array", seg(`{"segment":{"id":7},"add":{"id":"a"}}`), `data: "add" is an object, not an array`},
		{"an entry a string", seg(`{"segment":{"id":7},"add":["a"]}`), `data.add[0]: is a string, not an object`},
		{"an entry null", seg(`{"segment":{"id":7},"remove":[{"id":"a"},null]}`), `data.remove[1]: is null, not an object`},
		{"an entry without id", seg(`{"segment":{"id":7},"add":[{}]}`), `data.add[0]: "id" is required`},
		{"a numeric id", seg(`{"segment":{"id":7},"add":[{"id":42}]}`), `data.add[0]: "id" is a number, not a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := newRig(t, nil)
			if text := errorText(t, rg.webhook(tt.body), http.StatusBadRequest); !strings.Contains(text, tt.want) {
				t.Errorf("error %q does not say %q", text, tt.want)
			}
			if len(rg.upSent) != 0 {
				t.Errorf("Userpilot got %d requests", len(rg.upSent))
			}
		})
	}
}

// TestSegmentsSizeAndMethod tests 413 over the cap (with and without Content-Length), 405 for
// other methods, and the route under a prefix.
func TestSegmentsSizeAndMethod(t *testing.T) {
	rg := newRig(t, func(c *Config) { c.SegmentsMaxBodyBytes = 1000 })
	var add []string
	for i := range 60 {
		add = append(add, fmt.Sprint("user-", i))
	}
	big := syncJSON(add, nil)
	if len(big) <= 1000 {
		t.Fatalf("body of %d bytes is not over the cap", len(big))
	}
	if text := errorText(t, rg.webhook(big), http.StatusRequestEntityTooLarge); !strings.Contains(text, "1000 bytes") {
		t.Errorf("error %q", text)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/heap/segments", strings.NewReader(big))
	req.ContentLength = -1 // chunked: the cap holds while reading
	req.Header.Set("Heap-Hash", HeapHash(testWebhookSecret, unixTS(testNow), []byte(big)))
	errorText(t, serve(rg, req), http.StatusRequestEntityTooLarge)
	if len(rg.upSent) != 0 {
		t.Errorf("Userpilot got %d requests", len(rg.upSent))
	}
	segmentsAnswer(t, rg.webhook(syncJSON(add[:5], nil))) // under the cap

	rec := rg.do(http.MethodGet, "/v1/heap/segments", "")
	errorText(t, rec, http.StatusMethodNotAllowed)
	if rec.Header().Get("Allow") != "POST" {
		t.Errorf("Allow %q", rec.Header().Get("Allow"))
	}

	body := syncJSON([]string{"alice"}, nil)
	rec = rg.do(http.MethodPost, "/heap-relay/v1/heap/segments", body, "Heap-Hash", HeapHash(testWebhookSecret, unixTS(testNow), []byte(body)))
	if a := segmentsAnswer(t, rec); a.Users != 1 {
		t.Errorf("under a route prefix: %+v", a)
	}
	if text := errorText(t, rg.do(http.MethodPost, "/v1/nothing", ""), 404); !strings.Contains(text, "/v1/heap/segments") {
		t.Errorf("404 text %q does not list the segments endpoint", text)
	}
}

// TestSegmentsConfig tests USERPILOT_API_URL's default and checks, and the key's.
func TestSegmentsConfig(t *testing.T) {
	base := map[string]string{"HEAP_APP_ID": "1", "HEAP_WEBHOOK_SECRET": " s ", "USERPILOT_API_KEY": " k "}
	cfg, err := ConfigFromEnv(env(base))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UserpilotAPIURL != "https://analytex.userpilot.io" || cfg.UserpilotAPIKey != "k" || cfg.WebhookSecret != " s " ||
		cfg.UserpilotDeadline != 8*time.Second || cfg.SegmentsMaxBodyBytes != 4<<20 {
		t.Errorf("got %+v", cfg)
	}
	base["USERPILOT_API_URL"] = "https://analytex-eu.userpilot.io/"
	if cfg, _ := ConfigFromEnv(env(base)); cfg.UserpilotAPIURL != "https://analytex-eu.userpilot.io" {
		t.Errorf("URL %q, want the trailing slash dropped", cfg.UserpilotAPIURL)
	}
	for _, tt := range []struct{ key, value, want string }{
		{"USERPILOT_API_URL", "analytex.userpilot.io", "USERPILOT_API_URL"},
		{"USERPILOT_API_URL", "https://analytex.userpilot.io/?x=1", "query"},
		{"USERPILOT_API_KEY", "k\r\nX-Evil: 1", "control character"},
	} {
		bad := maps.Clone(base)
		bad[tt.key] = tt.value
		if _, err := ConfigFromEnv(env(bad)); err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "X-Evil") {
			t.Errorf("%s=%q: error %v, want one naming %q without echoing the key", tt.key, tt.value, err, tt.want)
		}
	}
}
