package relay

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFloodDoesNotFreeALimitedKey tests that new identities, however many, never hand a fresh
// budget to an identity over its limit: a full table refuses the new ones (429) instead. The
// flood's identities fall in the victim's shard, whose table counts them.
func TestFloodDoesNotFreeALimitedKey(t *testing.T) {
	rg := newRig(t, func(c *Config) { c.IdentityEventsPerMinute = 5; c.ClientPerMinute = 1 << 20 })
	victim := func(id string) string { return ev(id, "identity", `"victim"`) }
	answer(t, rg.post(batch(victim("v1"), victim("v2"), victim("v3"), victim("v4"), victim("v5"))))
	errorText(t, rg.post(batch(victim("v6"))), 429)
	var full int
	next := 0
	for b := range 11 {
		events := make([]string, MaxBatchEvents)
		for i := range events {
			id := sameShard("victim", fmt.Sprint("flood-", next))
			next++
			events[i] = fmt.Sprintf(`{"id":"f%d-%d","name":"n","identity":%q}`, b, i, id)
		}
		switch rec := rg.post(batch(events...)); rec.Code {
		case 200:
		case 429:
			full++
			if text := errorText(t, rec, 429); !strings.Contains(text, "full") {
				t.Errorf("batch %d refused with %q, want a full table named", b, text)
			}
		default:
			t.Fatalf("batch %d: status %d %s", b, rec.Code, rec.Body)
		}
		rg.clock = rg.clock.Add(time.Second) // the flood takes its time, within the same minute
	}
	if full == 0 {
		t.Errorf("11,000 new identities were all taken into a table of %d keys", maxMemoryKeys)
	}
	errorText(t, rg.post(batch(victim("v7"))), 429)
	rg.clock = rg.clock.Add(time.Minute) // a minute on, every bucket is full again and may be forgotten
	answer(t, rg.post(batch(victim("v8"))))
	events := make([]string, MaxBatchEvents)
	for i := range events {
		events[i] = fmt.Sprintf(`{"id":"g%d","name":"n","identity":"later-%d"}`, i, i)
	}
	answer(t, rg.post(batch(events...)))
}

// TestConcurrentRequestsShareALimit tests that 100 requests at once pass a limit of 20 exactly 20
// times: the client's first brake takes atomically from a store whose reads take 2 ms, and the
// shards count both limits one request at a time.
func TestConcurrentRequestsShareALimit(t *testing.T) {
	for _, limit := range []string{"client", "identity"} {
		t.Run(limit, func(t *testing.T) {
			cfg := Config{AppID: testAppID, HeapAPIURL: "http://heap.test", ClientPerMinute: 1 << 20, IdentityEventsPerMinute: 1 << 20}
			if limit == "client" {
				cfg.ClientPerMinute = 20
			} else {
				cfg.IdentityEventsPerMinute = 20
			}
			h := NewHandler(cfg, Deps{
				Client: &http.Client{Transport: okTransport{}},
				Store:  slowStore(2 * time.Millisecond),
				Now:    func() time.Time { return testNow },
			})
			var wg sync.WaitGroup
			codes := make([]int, 100)
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = serve(&rig{h: h}, newRequest(batch(ev(fmt.Sprint("c", i))))).Code
				}()
			}
			wg.Wait()
			count := map[int]int{}
			for _, c := range codes {
				count[c]++
			}
			if count[200] != 20 || count[429] != 80 {
				t.Errorf("answers %v, want 20 × 200 and 80 × 429", count)
			}
		})
	}
}

// okTransport answers every request 200, safe for concurrent use.
type okTransport struct{}

func (okTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

// slowStore is an in-process store whose reads take d to answer, as a store across a network would.
func slowStore(d time.Duration) Store {
	return NewTableStore(slowReads{newMemoryTable(maxMemoryKeys), d})
}

type slowReads struct {
	*memoryTable
	d time.Duration
}

func (s slowReads) Get(key string) (Bucket, bool) {
	b, ok := s.memoryTable.Get(key)
	time.Sleep(s.d)
	return b, ok
}
