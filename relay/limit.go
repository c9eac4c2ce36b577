package relay

import (
	"slices"
	"sync"
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
