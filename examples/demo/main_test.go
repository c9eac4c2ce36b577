package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeheap"
)

// startDemo serves newHandler on a free loopback port, with the relay allowing that port's origins.
func startDemo(t *testing.T, dist string) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	handler, err := newHandler(dist, pageOrigins(srv.Listener.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = handler
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// do sends req and returns the answer with its body read.
func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestHandler(t *testing.T) {
	dist := t.TempDir()
	wasm := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	if err := os.WriteFile(filepath.Join(dist, "userpilot-heap-bridge.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startDemo(t, dist)

	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != 200 || !strings.Contains(body, `src="/dist/userpilot-heap-bridge.js"`) {
		t.Fatalf("GET / = %d, page without the bridge tag", resp.StatusCode)
	}

	for _, path := range []string{
		"/standins/userpilot/latest.js",
		"/standins/userpilot/version/1.788/app.js",
		"/standins/heap/classic-snippet.js",
		"/standins/heap/cdn/js/heap-1234567890.js",
		"/standins/heap/cdn/config/1234567890/heap_config.js",
	} {
		resp, body := get(t, srv.URL+path)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || len(body) == 0 {
			t.Errorf("GET %s = %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}

	resp, body = get(t, srv.URL+"/dist/userpilot-heap-bridge.wasm")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/wasm" || body != string(wasm) {
		t.Fatalf("GET wasm = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	for _, path := range []string{"/nope.html", "/dist/missing.js", "/standins/"} {
		if resp, _ := get(t, srv.URL+path); resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestListenFallsBackWhenBusy(t *testing.T) {
	busy, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	ln, err := listen(busy.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if ln.Addr().String() == busy.Addr().String() {
		t.Fatal("expected a different port")
	}
}

// post sends body to url with origin as the Origin header (none when empty).
func post(t *testing.T, url, origin, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return do(t, req)
}

func heapAPIEvents(t *testing.T, srv *httptest.Server) fakeheap.Snapshot {
	t.Helper()
	resp, body := get(t, srv.URL+"/heap-server-api/_events")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /heap-server-api/_events = %d %s", resp.StatusCode, body)
	}
	var snap fakeheap.Snapshot
	if err := json.Unmarshal([]byte(body), &snap); err != nil {
		t.Fatalf("GET /heap-server-api/_events: %v in %s", err, body)
	}
	return snap
}

// The page's relayUrl, /heap-relay/v1/events, reaches the fake Heap API in process, once per event.
func TestRelayReachesFakeHeapAPI(t *testing.T) {
	srv := startDemo(t, t.TempDir())
	batch := `{"events":[{"id":"demo-test.1","name":"Userpilot Experience (started)",` +
		`"properties":{"experience_id":"42","step":1,"dismissible":true},"identity":"alice","timestamp":""}]}`

	if snap := heapAPIEvents(t, srv); len(snap.Events) != 0 {
		t.Fatalf("fake Heap API starts with %d events", len(snap.Events))
	}
	for i := 0; i < 2; i++ { // the second is a retry with the same id: Heap keeps one
		resp, answer := post(t, srv.URL+"/heap-relay/v1/events", srv.URL, batch)
		if resp.StatusCode != 200 || !strings.Contains(answer, `"accepted":["demo-test.1"]`) {
			t.Fatalf("POST /heap-relay/v1/events = %d %s", resp.StatusCode, answer)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != srv.URL {
			t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, srv.URL)
		}
	}
	snap := heapAPIEvents(t, srv)
	want := fakeheap.Event{Identity: "alice", Event: "Userpilot Experience (started)", IdempotencyKey: "demo-test.1",
		Properties: map[string]any{"experience_id": "42", "step": float64(1), "dismissible": "true"}}
	if len(snap.Events) != 1 || snap.Duplicates != 1 {
		t.Fatalf("fake Heap API holds %d events, %d duplicates, want 1 and 1: %+v", len(snap.Events), snap.Duplicates, snap)
	}
	got := snap.Events[0]
	got.Timestamp = "" // set by the relay from its clock
	if gotJSON, wantJSON := mustJSON(t, got), mustJSON(t, want); gotJSON != wantJSON {
		t.Fatalf("fake Heap API stored %s, want %s", gotJSON, wantJSON)
	}

	// The relay's ALLOWED_ORIGINS is the demo's own origin: another page's origin is refused.
	if resp, answer := post(t, srv.URL+"/heap-relay/v1/events", "http://evil.example", batch); resp.StatusCode != 403 {
		t.Errorf("POST from another origin = %d %s, want 403", resp.StatusCode, answer)
	}
	if resp, body := get(t, srv.URL+"/heap-relay/v1/health"); resp.StatusCode != 200 || !strings.Contains(body, `"ok":true`) {
		t.Errorf("GET /heap-relay/v1/health = %d %s", resp.StatusCode, body)
	}

	if resp, body := post(t, srv.URL+"/heap-server-api/_reset", "", ""); resp.StatusCode != 204 {
		t.Fatalf("POST /heap-server-api/_reset = %d %s", resp.StatusCode, body)
	}
	if snap := heapAPIEvents(t, srv); len(snap.Events) != 0 {
		t.Fatalf("after _reset the fake Heap API holds %d events", len(snap.Events))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// index.html?heap=blocked points the Heap snippet at a CDN path that fails and the bridge at the relay.
func TestBlockedHeapPage(t *testing.T) {
	srv := startDemo(t, t.TempDir())
	resp, page := get(t, srv.URL+"/?heap=blocked")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /?heap=blocked = %d", resp.StatusCode)
	}
	for _, want := range []string{
		`get("heap") === "blocked"`,
		`window.heapStandInCdn = heapBlocked ? "/ad-blocked/heap-cdn"`,
		`relayUrl: "/heap-relay/v1/events", relayAfter: 1500`,
		`href="/?heap=blocked"`,
		`id="heap-api-events"`,
		`src="/dist/userpilot-heap-bridge.js"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	// The blocked CDN fails where the working one serves the SDK.
	for path, status := range map[string]int{
		"/ad-blocked/heap-cdn/js/heap-" + demoAppID + ".js":            404,
		"/standins/heap/cdn/js/heap-" + demoAppID + ".js":              200,
		"/ad-blocked/heap-cdn/config/" + demoAppID + "/heap_config.js": 404,
	} {
		if resp, _ := get(t, srv.URL+path); resp.StatusCode != status {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, status)
		}
	}
	if resp, body := get(t, srv.URL+"/standins/heap/classic-snippet.js"); resp.StatusCode != 200 || !strings.Contains(body, `heap.load("`+demoAppID+`")`) {
		t.Errorf("the classic snippet does not load app id %s, the relay's HEAP_APP_ID", demoAppID)
	}
}

func TestPageOrigins(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080,http://localhost:8080",
		"[::1]:8080":     "http://[::1]:8080,http://localhost:8080",
		"0.0.0.0:8080":   "http://127.0.0.1:8080,http://localhost:8080",
		"10.1.2.3:8080":  "http://10.1.2.3:8080",
	} {
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(pageOrigins(tcp), ","); got != want {
			t.Errorf("pageOrigins(%s) = %s, want %s", addr, got, want)
		}
	}
}

// The relay mounted in the demo is not behind Cloudflare: a CF-Connecting-IP header sent by the
// caller does not give it a fresh client budget.
func TestRelaySpoofedAddressIsLimited(t *testing.T) {
	srv := startDemo(t, t.TempDir())
	limit := relay.DefaultClientPerMinute
	for i := 0; i <= limit; i++ {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/heap-relay/v1/events", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("CF-Connecting-IP", fmt.Sprintf("198.51.%d.%d", i/250, i%250))
		resp, body := do(t, req)
		want := http.StatusBadRequest // past the limit check, refused for its empty body
		if i == limit {
			want = http.StatusTooManyRequests
		}
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d %s, want %d", i+1, resp.StatusCode, body, want)
		}
	}
}
