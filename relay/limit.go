package relay

import (
	"slices"
	"sync"
	"time"
)

// Bucket is one token bucket's saved state.
type Bucket struct {
	Tokens float64
	At     int64 // unix ms of the last refill
}

// Store keeps token buckets by key; the Worker may back it with something shared.
type Store interface {
	Get(key string) (Bucket, bool)
	Put(key string, b Bucket)
}

// maxMemoryKeys bounds MemoryStore so many clients cannot grow it without limit.
const maxMemoryKeys = 10000

// MemoryStore is an in-process Store, bounded to maxMemoryKeys keys.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]Bucket
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string]Bucket{}} }

// Get returns the bucket saved under key.
func (s *MemoryStore) Get(key string) (Bucket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[key]
	return b, ok
}

// Put saves b under key, evicting other keys when the store is full.
func (s *MemoryStore) Put(key string, b Bucket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]Bucket{}
	}
	if _, ok := s.m[key]; !ok && len(s.m) >= maxMemoryKeys {
		s.evict()
	}
	s.m[key] = b
}

// evict drops the oldest half of the keys; the caller holds the lock.
func (s *MemoryStore) evict() {
	var ats []int64
	for _, b := range s.m {
		ats = append(ats, b.At)
	}
	slices.Sort(ats)
	cut := ats[len(ats)/2]
	for k, b := range s.m {
		if b.At <= cut {
			delete(s.m, k)
		}
	}
}

// limiter applies token buckets kept in a Store.
type limiter struct {
	store Store
	now   func() time.Time
}

// want is a request for n tokens from the bucket key, refilled at perMinute with that burst.
type want struct {
	key       string
	n         float64
	perMinute int
}

// take consumes every want if all of them fit; otherwise it consumes nothing and returns the
// first want that does not fit and how long until it would.
func (l *limiter) take(wants []want) (want, time.Duration, bool) {
	now := l.now().UnixMilli()
	filled := make([]Bucket, len(wants))
	for i, w := range wants {
		b := l.refill(w, now)
		if b.Tokens < w.n {
			l.store.Put(w.key, b) // saves the refill, so a clock that went back is caught up with
			perMs := float64(w.perMinute) / 60000
			return w, time.Duration((w.n-b.Tokens)/perMs) * time.Millisecond, false
		}
		filled[i] = b
	}
	for i, w := range wants {
		l.store.Put(w.key, Bucket{Tokens: filled[i].Tokens - w.n, At: now})
	}
	return want{}, 0, true
}

// refill returns w's bucket topped up for the time since it was last saved.
func (l *limiter) refill(w want, now int64) Bucket {
	capacity := float64(w.perMinute)
	b, ok := l.store.Get(w.key)
	switch {
	case !ok: // a new key starts full
		return Bucket{Tokens: capacity, At: now}
	case b.At > now: // the clock went back: refill nothing rather than too much
		b.At = now
		return b
	}
	b.Tokens = min(capacity, b.Tokens+float64(now-b.At)*capacity/60000)
	b.At = now
	return b
}
