package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
)

// Heap segments to Userpilot in the demo (segments.html): a stand-in of Heap's servers sends the
// relay a signed segment.users.sync webhook, as Heap does about every 4 hours for a synced segment.
const (
	webhookSamplePath = "/heap-webhook-sample"                 // POST {"segment":{"id","name"},"add":[ids],"remove":[ids]}
	relayHost         = "relay.demo.invalid"                   // the relay, served in process to Heap's stand-in
	demoIDToken       = "7a36ae58-c4b9-11eb-8529-0242ac130003" // the customer id Heap's spec shows
	maxSampleBytes    = 1 << 20
)

// sampleRequest is what segments.html asks Heap's stand-in to send.
type sampleRequest struct {
	Segment heapSegment `json:"segment"`
	Add     []string    `json:"add"`
	Remove  []string    `json:"remove"`
}

// sampleAnswer shows the page the webhook as sent and the relay's answer to it.
type sampleAnswer struct {
	URL      string          `json:"url"`
	HeapHash string          `json:"heapHash"`
	Body     json.RawMessage `json:"body"`
	Status   int             `json:"status"`
	Answer   json.RawMessage `json:"answer"`
}

// webhookSample is Heap's stand-in: it signs the webhook with HEAP_WEBHOOK_SECRET and posts it to
// the relay through relay, an in-process client for relayHost.
type webhookSample struct{ relay *http.Client }

func (s webhookSample) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	var in sampleRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxSampleBytes)).Decode(&in); err != nil {
		http.Error(w, "bad sample request: "+err.Error(), http.StatusBadRequest)
		return
	}
	body, err := heapWebhookBody(in, time.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out := sampleAnswer{URL: relayPrefix + "v1/heap/segments", Body: body,
		HeapHash: relay.HeapHash(demoWebhookSecret, strconv.FormatInt(time.Now().Unix(), 10), body)}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://"+relayHost+out.URL, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Heap-Hash", out.HeapHash)
	resp, err := s.relay.Do(req)
	if err != nil {
		http.Error(w, "the relay did not answer: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	out.Status, out.Answer = resp.StatusCode, json.RawMessage(answer)
	if !json.Valid(answer) {
		out.Answer, _ = json.Marshal(string(answer))
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// heapWebhook is a segment.users.sync body as Heap's partner API spec shows it: one page.
type heapWebhook struct {
	IDToken        string         `json:"id_token"`
	ActionType     string         `json:"action_type"`
	CustomerConfig map[string]any `json:"customer_config"`
	Data           heapSyncData   `json:"data"`
}

type heapSyncData struct {
	Segment  heapSegment  `json:"segment"`
	SyncInfo heapSyncInfo `json:"sync_info"`
	Add      []heapUser   `json:"add"`
	Remove   []heapUser   `json:"remove"`
}

type heapSegment struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type heapSyncInfo struct {
	PageNumber int    `json:"page_number"`
	TotalPages int    `json:"total_pages"`
	SyncTaskID string `json:"sync_task_id"`
}

type heapUser struct {
	ID string `json:"id"`
}

// heapWebhookBody builds the one page of a sync that Heap's stand-in sends for in.
func heapWebhookBody(in sampleRequest, now time.Time) ([]byte, error) {
	users := func(ids []string) []heapUser {
		out := make([]heapUser, len(ids))
		for i, id := range ids {
			out[i] = heapUser{ID: id}
		}
		return out
	}
	return json.Marshal(heapWebhook{
		IDToken: demoIDToken, ActionType: relay.SegmentsAction, CustomerConfig: map[string]any{"fields": []any{}},
		Data: heapSyncData{
			Segment:  in.Segment,
			SyncInfo: heapSyncInfo{PageNumber: 1, TotalPages: 1, SyncTaskID: fmt.Sprintf("demo-sync-%d", now.UnixNano())},
			Add:      users(in.Add),
			Remove:   users(in.Remove),
		},
	})
}
