package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeuserpilot"
)

// userpilotRequests reads what the demo's fake Userpilot API received.
func userpilotRequests(t *testing.T, url string) fakeuserpilot.Snapshot {
	t.Helper()
	resp, body := get(t, url+"/userpilot-api/_requests")
	var snap fakeuserpilot.Snapshot
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &snap) != nil {
		t.Fatalf("GET /userpilot-api/_requests = %d %s", resp.StatusCode, body)
	}
	return snap
}

// Heap's stand-in (segments.html's button) signs a webhook that the relay takes, and the fake
// Userpilot API gets the Bulk Identify with the demo key.
func TestWebhookSample(t *testing.T) {
	srv := startDemo(t, t.TempDir())
	if resp, page := get(t, srv.URL+"/segments.html"); resp.StatusCode != 200 || !strings.Contains(page, `src="/segments.js"`) {
		t.Fatalf("GET /segments.html = %d", resp.StatusCode)
	}
	if resp, _ := get(t, srv.URL+"/segments.js"); resp.StatusCode != 200 {
		t.Fatalf("GET /segments.js = %d", resp.StatusCode)
	}
	resp, body := post(t, srv.URL+"/heap-webhook-sample", "", `{"segment":{"id":42,"name":"Power users"},"add":["alice","guest"],"remove":["bob"]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("POST /heap-webhook-sample = %d %s", resp.StatusCode, body)
	}
	var out struct {
		URL, HeapHash string
		Body          heapWebhook
		Status        int
		Answer        relay.SegmentsAnswer
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	if out.URL != "/heap-relay/v1/heap/segments" || !regexp.MustCompile(`^ts:\d{10},hmac:[0-9a-f]{64}$`).MatchString(out.HeapHash) ||
		out.Body.ActionType != "segment.users.sync" || out.Body.Data.Segment.ID != 42 {
		t.Errorf("webhook sent: %s", body)
	}
	if out.Status != 200 || out.Answer.Users != 2 || len(out.Answer.Skipped) != 1 || out.Answer.Skipped[0].ID != "guest" {
		t.Errorf("relay answered %d %+v", out.Status, out.Answer)
	}
	snap := userpilotRequests(t, srv.URL)
	want := []fakeuserpilot.User{{UserID: "alice", Metadata: map[string]any{"heap_segment_42": "true"}}, {UserID: "bob", Metadata: map[string]any{"heap_segment_42": "false"}}}
	if len(snap.Requests) != 1 || snap.Requests[0].Authorization != "Token "+demoUserpilotKey || mustJSON(t, snap.Users) != mustJSON(t, want) {
		t.Errorf("fake Userpilot API got %s", mustJSON(t, snap))
	}

	// Straight to the relay: unsigned is refused, and the fake Userpilot API can be cleared.
	if resp, body := post(t, srv.URL+"/heap-relay/v1/heap/segments", "", mustJSON(t, out.Body)); resp.StatusCode != 403 {
		t.Errorf("unsigned webhook = %d %s, want 403", resp.StatusCode, body)
	}
	if resp, _ := post(t, srv.URL+"/userpilot-api/_reset", "", ""); resp.StatusCode != 204 {
		t.Errorf("POST /userpilot-api/_reset = %d", resp.StatusCode)
	}
	if snap := userpilotRequests(t, srv.URL); len(snap.Requests) != 0 {
		t.Errorf("after _reset: %d requests", len(snap.Requests))
	}
	if resp, _ := get(t, srv.URL+"/heap-webhook-sample"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /heap-webhook-sample = %d", resp.StatusCode)
	}
}

// The shell lines of docs/relay.md ("Try it in the demo") sign a webhook the demo's
// relay takes.
func TestReadmeCurlLines(t *testing.T) {
	for _, tool := range []string{"bash", "openssl", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	readme, err := os.ReadFile("../../docs/relay.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```sh\n(body=[^`]*?heap-relay/v1/heap/segments[^`]*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("docs/relay.md has no sh block that signs a webhook for the demo")
	}
	srv := startDemo(t, t.TempDir())
	script := strings.ReplaceAll(string(m[1]), "http://127.0.0.1:8080", srv.URL)
	out, err := exec.Command("bash", "-euo", "pipefail", "-c", script).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != `{"users":1,"skipped":[]}` {
		t.Fatalf("the README's lines: %v, output %s", err, out)
	}
	snap := userpilotRequests(t, srv.URL)
	if len(snap.Users) != 1 || snap.Users[0].UserID != "dave" || snap.Users[0].Metadata["heap_segment_1338065"] != "true" {
		t.Errorf("fake Userpilot API got %s", mustJSON(t, snap))
	}
}
