package relay

import (
	"fmt"
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

// TestIdentityRateLimit tests the per-identity event limit: all identities must fit, or none pay.
func TestIdentityRateLimit(t *testing.T) {
	rg := newRig(t, func(c *Config) { c.IdentityEventsPerMinute = 3 })
	answer(t, rg.post(batch(ev("a1"), ev("a2"))))
	bob := `"bob-1"`
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
	w := want{key: "k", n: 1, perMinute: 60}
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
		w.n = s.n
		_, wait, ok := l.take([]want{w})
		if ok != s.ok || wait != s.wait {
			t.Errorf("step %d: ok %v wait %v, want %v %v", i, ok, wait, s.ok, s.wait)
		}
	}
}

// TestMemoryStoreBound tests that the store stays within its key bound and keeps recent keys.
func TestMemoryStoreBound(t *testing.T) {
	s := NewMemoryStore()
	for i := range maxMemoryKeys + 5 {
		s.Put(fmt.Sprint("k", i), Bucket{Tokens: 1, At: int64(i)})
	}
	if n := len(s.m); n > maxMemoryKeys {
		t.Errorf("store holds %d keys, bound %d", n, maxMemoryKeys)
	}
	if _, ok := s.Get(fmt.Sprint("k", maxMemoryKeys+4)); !ok {
		t.Errorf("the newest key was evicted")
	}
	if b, ok := s.Get(fmt.Sprint("k", maxMemoryKeys-1)); !ok || b.At != maxMemoryKeys-1 {
		t.Errorf("a recent key was evicted")
	}
}

// TestLoweredLimit tests that a bucket saved under a higher limit is capped at the new one.
func TestLoweredLimit(t *testing.T) {
	store := NewMemoryStore()
	store.Put("k", Bucket{Tokens: 100, At: 1000})
	l := limiter{store: store, now: func() time.Time { return time.UnixMilli(1000) }}
	if _, _, ok := l.take([]want{{key: "k", n: 11, perMinute: 10}}); ok {
		t.Error("took 11 tokens under a limit of 10")
	}
	if _, _, ok := l.take([]want{{key: "k", n: 10, perMinute: 10}}); !ok {
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
