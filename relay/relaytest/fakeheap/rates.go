package fakeheap

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Rates are Heap's documented server-side limits (docs/sdk-facts.md#heap-server-track) as the
// fake applies them: events per app and per identity in any sliding minute, across every scope.
// Zero turns a limit off. A request that would go over is answered 429 with Retry-After, and
// none of its events are stored.
type Rates struct {
	AppPerMinute      int `json:"appPerMinute"`
	IdentityPerMinute int `json:"identityPerMinute"`
}

// rates is the fake's limits and what it stored in the last minute.
type rates struct {
	mu    sync.Mutex
	set   Rates
	now   func() time.Time
	taken []taken // oldest first
}

type taken struct {
	at       time.Time
	identity string
}

// SetRates sets the limits (both zero: off, the default).
func (s *Server) SetRates(r Rates) {
	s.rates.mu.Lock()
	defer s.rates.mu.Unlock()
	s.rates.set = r
	s.rates.taken = nil
}

// admit takes events under the limits at now, or says how long until they would fit (> 0).
func (r *rates) admit(events []Event) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set.AppPerMinute == 0 && r.set.IdentityPerMinute == 0 {
		return 0
	}
	now := r.now()
	for len(r.taken) > 0 && now.Sub(r.taken[0].at) >= time.Minute {
		r.taken = r.taken[1:]
	}
	per := map[string]int{}
	for _, t := range r.taken {
		per[t.identity]++
	}
	over := r.set.AppPerMinute > 0 && len(r.taken)+len(events) > r.set.AppPerMinute
	for _, e := range events {
		per[e.Identity]++
		over = over || (r.set.IdentityPerMinute > 0 && per[e.Identity] > r.set.IdentityPerMinute)
	}
	if over {
		wait := time.Second
		if len(r.taken) > 0 {
			wait = max(wait, time.Minute-now.Sub(r.taken[0].at))
		}
		return wait
	}
	for _, e := range events {
		r.taken = append(r.taken, taken{at: now, identity: e.Identity})
	}
	return 0
}

// limited answers a request over the limits, as Heap does: 429 with Retry-After.
func limited(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
}
