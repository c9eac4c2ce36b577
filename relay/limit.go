package relay

import (
	"math"
	"sync"
	"time"
)

// Bucket is one token bucket's saved state.
type Bucket struct {
	Tokens float64
	At     int64 // unix ms of the last refill
	FullAt int64 // unix ms from which the bucket is full again: forgetting it then gives nothing away
}

// Want asks for N tokens from the bucket Key, which refills at PerMinute tokens a minute up to a
// burst of PerMinute.
type Want struct {
	Key       string
	N         float64
	PerMinute int
}

// Taken is how a Store.Take went.
type Taken struct {
	OK      bool
	Blocked int           // when not OK, the index of the first want refused
	Wait    time.Duration // when not OK, how long until it could be taken
	Full    bool          // refused because the store has no room for a new key
}

// Store keeps the limiter's token buckets. Take is its one operation and it must be atomic: it
// refills each wanted bucket to now and takes every want if all of them fit, else takes nothing,
// and no other Take reads or writes a bucket in between, so concurrent requests never spend the
// same tokens twice. A store bounded in keys may forget a bucket only once it is full again
// (FullAt has passed); when it has no room for a new key it refuses the Take (Full) rather than
// forget a bucket that is still spending.
type Store interface {
	Take(now time.Time, wants []Want) Taken
}

// Table is bucket storage with no atomicity of its own; TableStore makes a Store of one.
type Table interface {
	Get(key string) (Bucket, bool)
	// Put saves b under key; it never makes room for a key by forgetting another.
	Put(key string, b Bucket)
	// Admit makes room for n keys the table does not hold, forgetting only buckets whose FullAt
	// is at most now (unix ms). When it cannot, it returns false and the unix ms at which a
	// bucket will next be full again.
	Admit(n int, now int64) (bool, int64)
}

// TableStore is a Store over a Table: a lock makes each Take atomic within this process. Over a
// table shared beyond the process it is atomic only if nothing else writes the table during a
// Take (jsstore explains why that holds in a Worker isolate).
type TableStore struct {
	mu    sync.Mutex
	table Table
}

// NewTableStore returns a Store over t.
func NewTableStore(t Table) *TableStore { return &TableStore{table: t} }

// Take implements Store.
func (s *TableStore) Take(now time.Time, wants []Want) Taken {
	s.mu.Lock()
	defer s.mu.Unlock()
	return take(s.table, now.UnixMilli(), wants)
}

// take is Store.Take over t, for a caller that holds t alone.
func take(t Table, now int64, wants []Want) Taken {
	filled := make([]Bucket, len(wants))
	fresh, firstFresh := 0, -1
	for i, w := range wants {
		b, ok := t.Get(w.Key)
		filled[i] = refill(b, ok, w, now)
		if !ok {
			fresh++
			if firstFresh < 0 {
				firstFresh = i
			}
		}
		if filled[i].Tokens < w.N {
			if ok {
				t.Put(w.Key, filled[i]) // saves the refill, so a clock that went back is caught up with
			}
			return Taken{Blocked: i, Wait: time.Duration((w.N-filled[i].Tokens)/perMs(w)) * time.Millisecond}
		}
	}
	if fresh > 0 {
		if ok, freeAt := t.Admit(fresh, now); !ok {
			return Taken{Blocked: firstFresh, Wait: time.Duration(freeAt-now) * time.Millisecond, Full: true}
		}
	}
	for i, w := range wants {
		b := filled[i]
		b.Tokens -= w.N
		b.FullAt = fullAt(b, w)
		t.Put(w.Key, b)
	}
	return Taken{OK: true}
}

// refill returns w's saved bucket b (ok false when there is none) topped up for the time since it
// was saved.
func refill(b Bucket, ok bool, w Want, now int64) Bucket {
	capacity := float64(w.PerMinute)
	switch {
	case !ok: // a new key starts full
		return Bucket{Tokens: capacity, At: now, FullAt: now}
	case b.At > now: // the clock went back: refill nothing rather than too much
		b.At = now
	default:
		b.Tokens = min(capacity, b.Tokens+float64(now-b.At)*perMs(w))
		b.At = now
	}
	b.FullAt = fullAt(b, w)
	return b
}

// perMs is w's refill rate in tokens per millisecond.
func perMs(w Want) float64 { return float64(w.PerMinute) / 60000 }

// fullAt is when b, refilled at w's rate, holds w's burst again.
func fullAt(b Bucket, w Want) int64 {
	return b.At + int64(math.Ceil(max(0, float64(w.PerMinute)-b.Tokens)/perMs(w)))
}

// maxMemoryKeys bounds MemoryStore so many clients cannot grow it without limit.
const maxMemoryKeys = 10000

// NewMemoryStore returns an in-process Store of at most maxMemoryKeys buckets.
func NewMemoryStore() *TableStore { return NewTableStore(newMemoryTable(maxMemoryKeys)) }

// memoryTable is a Table in a map of at most max keys.
type memoryTable struct {
	m        map[string]Bucket
	max      int
	nextFull int64 // when the table is full: the earliest FullAt in it, before which no sweep frees a key
}

func newMemoryTable(max int) *memoryTable {
	return &memoryTable{m: map[string]Bucket{}, max: max}
}

func (t *memoryTable) Get(key string) (Bucket, bool) {
	b, ok := t.m[key]
	return b, ok
}

func (t *memoryTable) Put(key string, b Bucket) {
	if _, ok := t.m[key]; !ok && len(t.m) >= t.max {
		return // Admit said there was no room
	}
	t.m[key] = b
	t.nextFull = min(t.nextFull, b.FullAt)
}

func (t *memoryTable) Admit(n int, now int64) (bool, int64) {
	if len(t.m)+n <= t.max {
		return true, 0
	}
	if now < t.nextFull {
		return false, t.nextFull
	}
	t.nextFull = math.MaxInt64
	for k, b := range t.m {
		if b.FullAt <= now {
			delete(t.m, k)
		} else {
			t.nextFull = min(t.nextFull, b.FullAt)
		}
	}
	return len(t.m)+n <= t.max, t.nextFull
}

// limiter applies token buckets kept in a Store.
type limiter struct {
	store Store
	now   func() time.Time
}

// take asks the store for every want at once.
func (l *limiter) take(wants []Want) Taken { return l.store.Take(l.now(), wants) }
