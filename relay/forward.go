package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry timing for Heap's API.
const (
	firstBackoff          = 200 * time.Millisecond
	defaultPageRetryAfter = 30 * time.Second // told to the page when Heap gave no Retry-After
	maxHeapAnswerBytes    = 64 << 10         // Heap answers with an empty body; read at most this much
)

// heapBulk is the body of Heap's bulk track request (research/heap.md §4.1).
type heapBulk struct {
	AppID  string      `json:"app_id"`
	Events []heapEvent `json:"events"`
}

// heapEvent is one event in heapBulk.
type heapEvent struct {
	Identity       string         `json:"identity"`
	Timestamp      string         `json:"timestamp,omitempty"`
	Event          string         `json:"event"`
	Properties     map[string]any `json:"properties,omitempty"`
	IdempotencyKey string         `json:"idempotency_key"`
}

// outcome is how Heap took a batch.
type outcome struct {
	accepted   bool          // Heap answered 2xx
	rejected   int           // Heap answered this 4xx status other than 429
	failure    string        // retries ran out: the last status or error
	retryAfter time.Duration // when failure is set, when the page may try again
}

// Sender sends one HTTP request and returns the answer, as *http.Client does. The Worker passes
// one over the runtime's fetch, so that its build links no http.Transport, TLS or http2.
type Sender interface {
	Do(*http.Request) (*http.Response, error)
}

// forwarder posts batches to Heap, retrying within a deadline.
type forwarder struct {
	cfg    Config
	client Sender
	now    func() time.Time
	sleep  func(time.Duration)
}

// bulkBody builds Heap's body; app_id always comes from the configuration, never the request.
func bulkBody(appID string, events []valid) ([]byte, error) {
	body := heapBulk{AppID: appID, Events: make([]heapEvent, len(events))}
	for i, e := range events {
		props := make(map[string]any, len(e.properties))
		for k, v := range e.properties {
			if b, ok := v.(bool); ok {
				v = strconv.FormatBool(b) // Heap's server API takes only strings and numbers
			}
			props[k] = v
		}
		body.Events[i] = heapEvent{Identity: e.identity, Timestamp: e.timestamp, Event: e.name, Properties: props, IdempotencyKey: e.id}
	}
	return json.Marshal(body)
}

// forward sends events to Heap, retrying 429, 5xx and transport errors with exponential backoff
// (or Heap's Retry-After) until cfg.HeapDeadline after start.
func (f *forwarder) forward(ctx context.Context, start time.Time, events []valid) outcome {
	body, err := bulkBody(f.cfg.AppID, events)
	if err != nil {
		return outcome{failure: "cannot encode the events: " + err.Error(), retryAfter: defaultPageRetryAfter}
	}
	var slept time.Duration
	backoff := firstBackoff
	for {
		// Count both the clock and our own sleeps, so a fake sleep with a fixed clock still ends.
		elapsed := max(f.now().Sub(start), slept)
		remaining := f.cfg.HeapDeadline - elapsed
		status, heapWait, last := f.post(ctx, body, remaining)
		switch {
		case last == "" && status/100 == 2:
			return outcome{accepted: true}
		case last == "" && status/100 == 4 && status != http.StatusTooManyRequests:
			return outcome{rejected: status}
		case last == "":
			last = "HTTP " + strconv.Itoa(status)
		}
		wait := backoff
		if heapWait > 0 {
			wait = heapWait
		}
		elapsed = max(f.now().Sub(start), slept)
		if ctx.Err() != nil || elapsed+wait >= f.cfg.HeapDeadline {
			pageWait := defaultPageRetryAfter
			if heapWait > 0 {
				pageWait = heapWait
			}
			return outcome{failure: last, retryAfter: pageWait}
		}
		f.sleep(wait)
		slept += wait
		backoff *= 2
	}
}

// post makes one request to Heap within remaining, returning its status and Retry-After, or a
// transport error as text.
func (f *forwarder) post(ctx context.Context, body []byte, remaining time.Duration) (int, time.Duration, string) {
	if remaining <= 0 {
		return 0, 0, "no time left before the deadline"
	}
	ctx, cancel := context.WithTimeout(ctx, remaining)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.cfg.HeapAPIURL+"/api/track", bytes.NewReader(body))
	if err != nil {
		return 0, 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, 0, err.Error()
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxHeapAnswerBytes)) // lets the connection be reused
	return resp.StatusCode, retryAfterSeconds(resp.Header.Get("Retry-After")), ""
}

// retryAfterSeconds reads a Retry-After header given in seconds; dates and junk give 0.
func retryAfterSeconds(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n <= 0 || n > 24*60*60 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// seconds renders d as a Retry-After value: whole seconds, rounded up, at least 1.
func seconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return fmt.Sprint(max(s, 1))
}
