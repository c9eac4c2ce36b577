package relay

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeheap"
)

// senderFunc is a Sender that is not an *http.Client, as the Worker's fetch sender is not.
type senderFunc func(*http.Request) (*http.Response, error)

func (f senderFunc) Do(req *http.Request) (*http.Response, error) { return f(req) }

// TestAnySenderForwards tests that Deps.Client takes any Sender, not only an *http.Client: the
// relay's Heap request goes through it, with the request's context.
func TestAnySenderForwards(t *testing.T) {
	heap := fakeheap.New(testAppID)
	var sent []*http.Request
	send := senderFunc(func(req *http.Request) (*http.Response, error) {
		if req.Context().Err() != nil {
			t.Errorf("the sender got a request whose context is done: %v", req.Context().Err())
		}
		sent = append(sent, req)
		rec := httptest.NewRecorder()
		heap.ServeHTTP(rec, req)
		return rec.Result(), nil
	})
	h := NewHandler(Config{AppID: testAppID, HeapAPIURL: "http://heap.test"}, Deps{Client: send, Now: func() time.Time { return testNow }})
	rec := httptestRecorderFor(h, newRequest(batch(ev("a"), ev("b"))))
	if a := answer(t, rec); len(a.Accepted) != 2 {
		t.Fatalf("answer %+v", a)
	}
	if len(sent) != 1 || sent[0].URL.String() != "http://heap.test/api/track" {
		t.Fatalf("the sender got %d requests: %v", len(sent), sent)
	}
	if n := len(heap.Snapshot().Events); n != 2 {
		t.Errorf("Heap stored %d events, want 2", n)
	}
}

// TestNilClientIsDefaultClient tests that native callers without a Sender keep net/http's default client.
func TestNilClientIsDefaultClient(t *testing.T) {
	if defaultSender() != Sender(http.DefaultClient) {
		t.Errorf("defaultSender() = %T, want http.DefaultClient", defaultSender())
	}
}
