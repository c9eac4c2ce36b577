package relay

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestClientRateLimit tests the per-address request limit, its Retry-After and its refill.
func TestClientRateLimit(t *testing.T) {
	rg := newRig(t, func(c *Config) { c.ClientPerMinute = 2; c.TrustCFConnectingIP = true }) // as in the Worker
	for i := range 2 {
		answer(t, rg.post(batch(ev(fmt.Sprint("a", i)))))
	}
	rec := rg.post(batch(ev("a2")))
	if text := errorText(t, rec, 429); !strings.Contains(text, "client rate limit") || !strings.Contains(text, "2 requests per minute") {
		t.Errorf("error %q does not name the client limit", text)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "30" {
		t.Errorf("Retry-After %q, want 30 (one token at 2 per minute)", ra)
	}
	// Checked before the body is read: a request that would be refused later is counted and refused now.
	errorText(t, rg.post("not json", "Content-Type", "image/png"), 429)
	// Other addresses have their own buckets, from Cloudflare's header or the connection.
	answer(t, rg.post(batch(ev("b0")), "CF-Connecting-IP", "198.51.100.1"))
	req := newRequest(batch(ev("c0")))
	req.RemoteAddr = "198.51.100.2:4000"
	answer(t, serve(rg, req))
	// A refused origin is answered before the limit and costs nothing.
	errorText(t, rg.post(batch(ev("d0")), "Origin", "https://evil.example", "CF-Connecting-IP", "198.51.100.3"), 403)
	answer(t, rg.post(batch(ev("d1")), "CF-Connecting-IP", "198.51.100.3"))
	answer(t, rg.post(batch(ev("d2")), "CF-Connecting-IP", "198.51.100.3"))
	// Half a minute later one token is back.
	rg.clock = rg.clock.Add(30 * time.Second)
	answer(t, rg.post(batch(ev("a3"))))
	errorText(t, rg.post(batch(ev("a4"))), 429)
}

// TestIdentityRateLimit tests the per-identity event limit, counted by the identity's shard: the
// identities of one shard must all fit, or none pay.
func TestIdentityRateLimit(t *testing.T) {
	rg := newRig(t, func(c *Config) { c.IdentityEventsPerMinute = 3 })
	answer(t, rg.post(batch(ev("a1"), ev("a2"))))
	bob := fmt.Sprintf("%q", sameShard("user-42", "bob"))
	rec := rg.post(batch(ev("b1", "identity", bob), ev("a3"), ev("a4")))
	text := errorText(t, rec, 429)
	if !strings.Contains(text, "identity rate limit") || !strings.Contains(text, `"user-42"`) {
		t.Errorf("error %q does not name the identity limit and identity", text)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "20" {
		t.Errorf("Retry-After %q, want 20 (one token at 3 per minute)", ra)
	}
	// bob paid nothing for the refused batch.
	answer(t, rg.post(batch(ev("b2", "identity", bob), ev("b3", "identity", bob), ev("b4", "identity", bob))))
	// Refused events cost nothing either: user-42 has one token left.
	answer(t, rg.post(batch(ev("a5"), ev("bad", "name", `""`))))
	if snap := rg.heap.Snapshot(); snap.Requests != 3 || len(snap.Events) != 6 {
		t.Errorf("Heap %d requests %d events, want 3 and 6", snap.Requests, len(snap.Events))
	}
}

// sameShard returns an identity starting with prefix in the shard of identity.
func sameShard(identity, prefix string) string {
	for i := 0; ; i++ {
		if id := fmt.Sprint(prefix, "-", i); ShardOf(id) == ShardOf(identity) && id != identity {
			return id
		}
	}
}

// TestIdentityBatchOverLimit tests the answer when one batch alone exceeds an identity's limit.
func TestIdentityBatchOverLimit(t *testing.T) {
	rg := newRig(t, func(c *Config) { c.IdentityEventsPerMinute = 2 })
	text := errorText(t, rg.post(batch(ev("a"), ev("b"), ev("c"))), 429)
	if !strings.Contains(text, "smaller batches") {
		t.Errorf("error %q does not say to send smaller batches", text)
	}
}

// TestTokenBucket tests refill, the burst cap and a clock going back.
func TestTokenBucket(t *testing.T) {
	clock := time.UnixMilli(1_000_000)
	l := limiter{store: NewMemoryStore(), now: func() time.Time { return clock }}
	w := Want{Key: "k", N: 1, PerMinute: 60}
	steps := []struct {
		advance time.Duration
		n       float64
		ok      bool
		wait    time.Duration
	}{
		{0, 60, true, 0},           // a full burst
		{0, 1, false, time.Second}, // empty: one token per second
		{500 * time.Millisecond, 1, false, 500 * time.Millisecond},
		{500 * time.Millisecond, 1, true, 0},
		{time.Hour, 61, false, time.Second}, // refill stops at the burst
		{0, 60, true, 0},
		{-time.Minute, 1, false, time.Second}, // the clock went back: no tokens for it
		{time.Second, 1, true, 0},
	}
	for i, s := range steps {
		clock = clock.Add(s.advance)
		w.N = s.n
		got := l.take([]Want{w})
		if got.OK != s.ok || got.Wait != s.wait || got.Full {
			t.Errorf("step %d: %+v, want ok %v wait %v", i, got, s.ok, s.wait)
		}
	}
}

// TestMemoryStoreBound tests that the store stays within its key bound, forgets only buckets
// that are full again, and refuses new keys while none is.
func TestMemoryStoreBound(t *testing.T) {
	table := newMemoryTable(maxMemoryKeys)
	s := NewTableStore(table)
	at := time.UnixMilli(1_000_000)
	for i := range maxMemoryKeys {
		if got := s.Take(at, []Want{{Key: fmt.Sprint("k", i), N: 1, PerMinute: 60}}); !got.OK {
			t.Fatalf("key %d: %+v", i, got)
		}
	}
	// Each bucket spent one token, refilled in a second: until then a new key finds no room.
	got := s.Take(at.Add(500*time.Millisecond), []Want{{Key: "new", N: 1, PerMinute: 60}})
	if got.OK || !got.Full || got.Wait != 500*time.Millisecond {
		t.Errorf("a new key in a full table: %+v, want refused as full for 500ms", got)
	}
	if got := s.Take(at.Add(500*time.Millisecond), []Want{{Key: "k7", N: 1, PerMinute: 60}}); !got.OK {
		t.Errorf("a key the table holds: %+v", got)
	}
	if n := len(table.m); n != maxMemoryKeys {
		t.Errorf("table holds %d keys, want %d", n, maxMemoryKeys)
	}
	// A second on, every bucket but k7's is full again and may go.
	if got := s.Take(at.Add(time.Second), []Want{{Key: "new", N: 1, PerMinute: 60}}); !got.OK {
		t.Errorf("a new key once buckets are full again: %+v", got)
	}
	if _, ok := table.Get("k7"); !ok || len(table.m) != 2 {
		t.Errorf("after the sweep the table holds %d keys (k7 kept: %v), want k7 and new", len(table.m), ok)
	}
}

// TestTakeIsAllOrNothing tests that when one want does not fit, or a new key finds no room,
// no bucket pays.
func TestTakeIsAllOrNothing(t *testing.T) {
	table := newMemoryTable(3)
	s := NewTableStore(table)
	now := time.UnixMilli(1_000_000)
	s.Take(now, []Want{{Key: "a", N: 1, PerMinute: 10}, {Key: "b", N: 10, PerMinute: 10}})
	if got := s.Take(now, []Want{{Key: "a", N: 1, PerMinute: 10}, {Key: "b", N: 1, PerMinute: 10}}); got.OK || got.Blocked != 1 || got.Full {
		t.Errorf("b is empty: %+v", got)
	}
	if got := s.Take(now, []Want{{Key: "a", N: 1, PerMinute: 10}, {Key: "c", N: 1, PerMinute: 10}, {Key: "d", N: 1, PerMinute: 10}}); got.OK || !got.Full || got.Blocked != 1 {
		t.Errorf("two new keys, room for one: %+v", got)
	}
	if b, _ := table.Get("a"); b.Tokens != 9 {
		t.Errorf("a holds %v tokens, want 9: refused takes cost nothing", b.Tokens)
	}
	if len(table.m) != 2 {
		t.Errorf("refused takes left keys behind: %v", table.m)
	}
}

// TestLoweredLimit tests that a bucket saved under a higher limit is capped at the new one.
func TestLoweredLimit(t *testing.T) {
	table := newMemoryTable(maxMemoryKeys)
	table.Put("k", Bucket{Tokens: 100, At: 1000, FullAt: 1000})
	l := limiter{store: NewTableStore(table), now: func() time.Time { return time.UnixMilli(1000) }}
	if got := l.take([]Want{{Key: "k", N: 11, PerMinute: 10}}); got.OK {
		t.Error("took 11 tokens under a limit of 10")
	}
	if got := l.take([]Want{{Key: "k", N: 10, PerMinute: 10}}); !got.OK {
		t.Error("could not take the full burst of 10")
	}
}

// TestSpoofedClientAddress tests that CF-Connecting-IP, which anyone can send where Cloudflare
// does not set it, decides the client's bucket only when the configuration trusts it (the Worker
// does); otherwise the connection's address does.
func TestSpoofedClientAddress(t *testing.T) {
	for _, trust := range []bool{false, true} {
		t.Run(fmt.Sprint("trusted ", trust), func(t *testing.T) {
			rg := newRig(t, func(c *Config) { c.ClientPerMinute = 5; c.TrustCFConnectingIP = trust })
			ok := 0
			for i := range 50 {
				if rg.post(batch(ev(fmt.Sprint("s", i))), "CF-Connecting-IP", fmt.Sprintf("198.51.100.%d", i)).Code == 200 {
					ok++
				}
			}
			want := 5 // one connection address, one bucket
			if trust {
				want = 50 // the header names 50 addresses
			}
			if ok != want {
				t.Errorf("%d of 50 requests accepted, want %d", ok, want)
			}
		})
	}
}

// TestClientLimitsHoldAcrossIsolates tests two relays with a limit store each, as two isolates,
// over the same shards, as the Worker's isolates share the Durable Objects: the client limits
// hold for both together, since the shards count them.
func TestClientLimitsHoldAcrossIsolates(t *testing.T) {
	for _, limit := range []string{"client", "identity"} {
		t.Run(limit, func(t *testing.T) {
			rg := newRig(t, func(c *Config) {
				c.TrustCFConnectingIP = true
				if limit == "client" {
					c.ClientPerMinute = 4
				} else {
					c.IdentityEventsPerMinute = 4
				}
			})
			cfg := withDefaults(rg.cfg)
			deps := Deps{Client: noRedirects(&http.Client{Transport: recordingTransport{rg}}), Now: func() time.Time { return rg.clock }}
			shared := newLocalQueue(cfg, deps, newForwarder(cfg, deps).api)
			isolates := []http.Handler{NewHandler(cfg, Deps{Client: deps.Client, Now: deps.Now, Queue: shared}),
				NewHandler(cfg, Deps{Client: deps.Client, Now: deps.Now, Queue: shared})}
			codes := map[int]int{}
			for i := range 10 {
				req := newRequest(batch(ev(fmt.Sprint("x", i))))
				req.Header.Set("CF-Connecting-IP", "198.51.100.9")
				rec := httptestRecorderFor(isolates[i%2], req)
				codes[rec.Code]++
				if rec.Code == 429 && !strings.Contains(rec.Body.String(), limit+" rate limit") {
					t.Errorf("429 %s does not name the %s limit", rec.Body, limit)
				}
			}
			if codes[200] != 4 || codes[429] != 6 {
				t.Errorf("answers %v, want 4 × 200 and 6 × 429: each isolate alone allows 5", codes)
			}
			if n := len(rg.heap.Snapshot().Events); n != 4 {
				t.Errorf("Heap has %d events, want 4", n)
			}
		})
	}
}
