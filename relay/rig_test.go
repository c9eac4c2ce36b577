package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeheap"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeuserpilot"
)

const (
	testAppID         = "1234567890"
	testOrigin        = "https://app.example.com"
	testWebhookSecret = "heap-webhook-secret"
	testUserpilotKey  = "userpilot-api-key"
)

// testNow is the fixed clock of every test; no test reads the wall clock.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// rig is a relay wired to an in-process fake Heap and fake Userpilot, a fake clock and a
// recording sleep.
type rig struct {
	heap      *fakeheap.Server
	userpilot *fakeuserpilot.Server
	h         http.Handler
	cfg       Config // what h was built with
	clock     time.Time
	sleeps    []time.Duration
	sent      [][]byte        // bodies the relay posted to Heap
	upSent    []*http.Request // requests the relay sent Userpilot, bodies read into upBodies
	upBodies  [][]byte
	upErrs    int      // transport errors to give Userpilot's next requests
	timers    []func() // the queue's pending deliveries (Deps.After)
	logs      []string // the relay's JSON log lines
}

// pump moves the clock on by d and runs the queue's pending deliveries.
func (rg *rig) pump(d time.Duration) {
	rg.clock = rg.clock.Add(d)
	timers := rg.timers
	rg.timers = nil
	for _, f := range timers {
		f()
	}
}

// newRig builds a rig; edit adjusts the configuration first.
func newRig(t testing.TB, edit func(*Config)) *rig {
	t.Helper()
	cfg, err := ConfigFromEnv(env(map[string]string{"HEAP_APP_ID": testAppID, "HEAP_API_URL": "http://heap.test", "ALLOWED_ORIGINS": testOrigin,
		"HEAP_WEBHOOK_SECRET": testWebhookSecret, "USERPILOT_API_KEY": testUserpilotKey, "USERPILOT_API_URL": "http://userpilot.test"}))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&cfg)
	}
	rg := &rig{heap: fakeheap.New(testAppID), userpilot: fakeuserpilot.New(testUserpilotKey), cfg: cfg, clock: testNow}
	rg.h = NewHandler(cfg, Deps{
		Client: &http.Client{Transport: recordingTransport{rg}},
		Store:  NewMemoryStore(),
		Now:    func() time.Time { return rg.clock },
		Sleep:  func(d time.Duration) { rg.sleeps = append(rg.sleeps, d) }, // the clock stays put
		After:  func(_ time.Duration, f func()) { rg.timers = append(rg.timers, f) },
		Log:    func(line []byte) { rg.logs = append(rg.logs, string(line)) },
	})
	return rg
}

// env turns a map into a getenv function.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// recordingTransport serves the relay's Heap and Userpilot requests from the rig's fakes, in process.
type recordingTransport struct{ rg *rig }

func (t recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := readAll(req)
	rec := httptest.NewRecorder()
	switch { // host names are case-insensitive
	case strings.EqualFold(req.URL.Host, "heap.test"):
		t.rg.sent = append(t.rg.sent, body)
		t.rg.heap.ServeHTTP(rec, req)
	case strings.EqualFold(req.URL.Host, "userpilot.test"):
		t.rg.upSent = append(t.rg.upSent, req)
		t.rg.upBodies = append(t.rg.upBodies, body)
		if t.rg.upErrs > 0 {
			t.rg.upErrs--
			return nil, errors.New("connection reset by peer")
		}
		t.rg.userpilot.ServeHTTP(rec, req)
	default:
		return nil, errors.New("unexpected host " + req.URL.Host)
	}
	return rec.Result(), nil
}

// readAll reads a request body and puts it back for the next reader.
func readAll(req *http.Request) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	return body, err
}

// post sends body to POST /v1/events with JSON content type, plus headers (name, value, ...).
func (rg *rig) post(body string, headers ...string) *httptest.ResponseRecorder {
	return rg.do(http.MethodPost, "/v1/events", body, append([]string{"Content-Type", "application/json"}, headers...)...)
}

// do sends any request to the relay.
func (rg *rig) do(method, target, body string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.RemoteAddr = "203.0.113.7:51000"
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	rg.h.ServeHTTP(rec, req)
	return rec
}

// batch builds a request body from event objects written as JSON.
func batch(events ...string) string {
	return `{"events":[` + strings.Join(events, ",") + `]}`
}

// ev builds one valid event as JSON, with extra fields replacing or adding to the defaults.
func ev(id string, extra ...string) string {
	fields := map[string]string{
		"id":         jsonString(id),
		"name":       `"Userpilot Flow Completed"`,
		"identity":   `"user-42"`,
		"properties": `{"flow_id":"f1"}`,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		fields[extra[i]] = extra[i+1]
	}
	var parts []string
	for _, k := range []string{"id", "name", "identity", "properties", "timestamp"} {
		if v, ok := fields[k]; ok && v != "" {
			parts = append(parts, jsonString(k)+":"+v)
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// jsonString encodes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// answer decodes a 200 answer, failing the test on anything else.
func answer(t *testing.T, rec *httptest.ResponseRecorder) Answer {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", rec.Code, rec.Body)
	}
	var a Answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %s: %v", rec.Body, err)
	}
	return a
}

// errorText decodes an error answer, checking its status and content type.
func errorText(t *testing.T, rec *httptest.ResponseRecorder, status int) string {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var e struct{ Error string }
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
		t.Fatalf("error body %s is not {\"error\": text}: %v", rec.Body, err)
	}
	return e.Error
}

// httptestRecorder shortens httptest.ResponseRecorder in tables.
type httptestRecorder = httptest.ResponseRecorder

// newRequest builds a POST /v1/events with a JSON body.
func newRequest(body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/v1/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "203.0.113.7:51000"
	return req
}

// serve sends req to the rig's relay.
func serve(rg *rig, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	rg.h.ServeHTTP(rec, req)
	return rec
}

// httptestRecorderFor serves req with h and returns the recording.
func httptestRecorderFor(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
