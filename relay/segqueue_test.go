package relay

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeuserpilot"
)

// TestSegmentJobs tests the native handler's segment queue on a fake clock: a 25,000-user page
// becomes three jobs of at most 10,000 users, each sent only once Userpilot has worked through the
// one before at USERPILOT_ROWS_PER_MINUTE (the fake Userpilot, at that pace, never answers 429);
// then the same page twice is applied once; a drain sets "false" for every remembered member.
func TestSegmentJobs(t *testing.T) {
	rg := newRig(t, func(c *Config) { c.UserpilotRowsPerMinute = 1200 })
	rg.userpilot.Now = func() time.Time { return rg.clock }
	rg.userpilot.SetRowsPerMinute(1200)
	var add []string
	for i := range 25000 {
		add = append(add, fmt.Sprint("user-", i))
	}
	body := syncJSON(add[:20000], add[20000:])
	if a := segmentsAnswer(t, rg.webhook(body)); a.Users != 25000 {
		t.Fatalf("answer %+v", a)
	}
	sentAt := []time.Duration{}
	seen := 0
	for range 60 {
		if n := len(rg.userpilot.Snapshot().Requests); n > seen {
			sentAt = append(sentAt, rg.clock.Sub(testNow))
			seen = n
		}
		rg.pump(30 * time.Second)
	}
	snap := rg.userpilot.Snapshot()
	var sizes []int
	for _, r := range snap.Requests {
		if r.Status != 202 {
			t.Errorf("Userpilot answered %d", r.Status)
		}
		sizes = append(sizes, len(r.Users))
	}
	if !slices.Equal(sizes, []int{10000, 10000, 5000}) || len(snap.Users) != 25000 {
		t.Fatalf("jobs of %v users, %d in all", sizes, len(snap.Users))
	}
	// 10,000 rows at 1,200 a minute take 8 min 20 s: the next job waits for that.
	if len(sentAt) != 3 || sentAt[1]-sentAt[0] < 500*time.Second || sentAt[2]-sentAt[1] < 500*time.Second {
		t.Errorf("jobs sent at %v, want 500 s or more apart", sentAt)
	}

	if a := segmentsAnswer(t, rg.webhook(body)); a.Users != 0 {
		t.Errorf("the same page again: %+v", a)
	}
	drain := `{"action_type":"segment.users.drain","data":{"segment":{"id":1338065}}}`
	if a := segmentsAnswer(t, rg.webhook(drain)); a.Users != 20000 {
		t.Errorf("drain answered %+v, want the 20,000 members", a)
	}
	for range 60 {
		rg.pump(30 * time.Second)
	}
	users := rg.userpilot.Snapshot().Users
	if len(users) != 45000 || users[25000].Metadata["heap_segment_1338065"] != "false" || users[25000].UserID != "user-0" {
		t.Errorf("after the drain Userpilot has %d users; first drained %+v", len(users), users[min(25000, len(users)-1)])
	}
	if h := health(t, rg).Segments; h.JobsQueued != 0 || h.JobsDelivered != 5 || h.DuplicatePages != 1 {
		t.Errorf("health %+v, want 5 jobs delivered, none queued, one duplicate page", h)
	}
}

// TestSegmentsOrderAndRetry tests that pages of a segment are applied in arrival order, a
// failing job holding back the later ones, and that Userpilot's 5xx is retried with backoff.
func TestSegmentsOrderAndRetry(t *testing.T) {
	rg := newRig(t, nil)
	rg.userpilot.Fail("", 503, 503)
	segmentsAnswer(t, rg.webhook(syncJSON([]string{"flip"}, nil)))
	segmentsAnswer(t, rg.webhook(syncJSON(nil, []string{"flip"})))
	for range 10 {
		rg.pump(2 * time.Second)
	}
	want := []fakeuserpilot.User{segmentUsers("true", "flip")[0], segmentUsers("false", "flip")[0]}
	got := rg.userpilot.Snapshot()
	if len(got.Users) != 2 || got.Users[0].Metadata["heap_segment_1338065"] != want[0].Metadata["heap_segment_1338065"] || got.Users[1].Metadata["heap_segment_1338065"] != "false" {
		t.Errorf("Userpilot got %+v", got.Users)
	}
	if len(got.Requests) != 4 {
		t.Errorf("%d requests, want 2 failed and 2 taken", len(got.Requests))
	}
}

// TestHeapHashCompactSecondTry tests that a Heap-Hash made over the body as Heap's reference verifier
// signs it (JSON.stringify(JSON.parse(body))) is taken for a body sent with white space or escapes,
// and that a wrong hmac is still refused.
func TestHeapHashCompactSecondTry(t *testing.T) {
	rg := newRig(t, nil)
	compact := syncJSON([]string{"spaced"}, nil)
	spaced := strings.ReplaceAll(compact, `,"`, `, "`)
	if spaced == compact {
		t.Fatal("no white space added")
	}
	ts := unixTS(rg.clock)
	rec := rg.do(http.MethodPost, "/v1/heap/segments", spaced, "Heap-Hash", HeapHash(testWebhookSecret, ts, []byte(compact)))
	if a := segmentsAnswer(t, rec); a.Users != 1 {
		t.Errorf("answer %+v", a)
	}
	rec = rg.do(http.MethodPost, "/v1/heap/segments", spaced, "Heap-Hash", HeapHash("another secret", ts, []byte(compact)))
	errorText(t, rec, http.StatusForbidden)

	// Escapes are what JSON.stringify writes again differently: a compact body sent with "\u00e9"
	// and "\/" is signed as "é" and "/".
	signed := syncJSON([]string{"café/x"}, nil)
	escaped := strings.NewReplacer("é", `\u00e9`, "/", `\/`).Replace(signed)
	if escaped == signed || string(jsReserialise([]byte(escaped))) != signed {
		t.Fatalf("%s is not written again as %s", escaped, signed)
	}
	rec = rg.do(http.MethodPost, "/v1/heap/segments", escaped, "Heap-Hash", HeapHash(testWebhookSecret, ts, []byte(signed)))
	if a := segmentsAnswer(t, rec); a.Users != 1 {
		t.Errorf("escaped body: answer %+v", a)
	}
}
