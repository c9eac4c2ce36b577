package relay

import (
	"hash/fnv"
	"strconv"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// The event queue (docs/contract.md §10): events are kept in Shards, each identity in one of
// EventShards by fnv32a, so that one identity's limit is counted in one place and no single
// shard carries the whole app. A shard delivers a request's events to Heap at once when it holds
// nothing older and the limits allow it; otherwise it stores them and delivers them later, with
// backoff. The Worker keeps each shard in a Durable Object over SQLite (relay/worker); the native
// handler keeps them in memory (localQueue).
const (
	EventShards    = 16
	maxBackoff     = 60 * time.Second
	firstRetry     = time.Second
	maxDeliverable = 1000 // events in one Heap bulk request (docs/sdk-facts.md#heap-server-track)
	limitWindow    = time.Minute
)

// ShardOf is the shard an identity's events are kept in.
func ShardOf(identity string) int {
	h := fnv.New32a()
	h.Write([]byte(identity))
	return int(h.Sum32() % EventShards)
}

// ShardName is the name of shard n's Durable Object.
func ShardName(n int) string { return "events-" + strconv.Itoa(n) }

// Queued is one event in a shard: its id, identity, and its object in Heap's bulk body.
type Queued struct {
	ID       string
	Identity string
	Body     string // {"identity", "timestamp", "event", "properties", "idempotency_key"}
	Enqueued int64  // unix ms, when it was first stored
	NextAt   int64  // unix ms, when it may be tried next
	Attempts int
}

// ShardStore keeps a shard's queued events durably (or, natively, in memory). Each method is one
// transaction.
type ShardStore interface {
	Put(events []Queued) (added int)        // inserts; an id already held is kept as it is
	Due(now int64, max int) []Queued        // events with NextAt ≤ now, oldest first
	Delete(ids []string)                    // drops delivered or given-up events
	Reschedule(events []Queued)             // saves NextAt and Attempts
	Stats() (count int, oldest, next int64) // oldest Enqueued and earliest NextAt, 0 when empty
}

// ShardLimits are Heap's limits as one shard applies them.
type ShardLimits struct {
	AppPerMinute      float64 // this shard's share of HEAP_EVENTS_PER_MINUTE
	IdentityPerMinute int     // HEAP_IDENTITY_EVENTS_PER_MINUTE
	MaxAge            time.Duration
	Requests          RequestLimits // the client limits of the requests offered (shardlimit.go)
}

// limitsFor splits cfg's app limit evenly among the shards, so together they never exceed it.
func limitsFor(cfg Config) ShardLimits {
	return ShardLimits{
		AppPerMinute:      float64(cfg.HeapEventsPerMinute) / EventShards,
		IdentityPerMinute: cfg.HeapIdentityEventsPerMinute,
		MaxAge:            cfg.DeliveryMaxAge,
		Requests:          RequestLimits{ClientPerMinute: cfg.ClientPerMinute, IdentityPerMinute: cfg.IdentityEventsPerMinute},
	}
}

// Shard is one shard's delivery state. It is not safe for concurrent use: a Durable Object runs
// one event at a time, and localQueue holds a lock.
type Shard struct {
	Name   string
	store  ShardStore
	limits ShardLimits
	queued int // events in store, kept beside it so the healthy path reads nothing
	// limitedUntil: stored events wait for the limits until then, and new ones queue behind them
	// rather than take the room first.
	limitedUntil int64
	app          window
	ids          map[string]*window
	buckets      Table // the client limits' token buckets (shardlimit.go)
	Counts       ShardCounts
}

// ShardCounts are a shard's figures since it was opened, for GET /v1/health.
type ShardCounts struct {
	Delivered     int            `json:"delivered"`
	Retried       int            `json:"retried"`
	Refused       map[string]int `json:"refused"`
	LastHeapError *LastError     `json:"lastHeapError"`
}

// LastError is an upstream's last failure: its status or cause, and when.
type LastError struct {
	Cause string `json:"cause"`
	At    string `json:"at"`
}

// readLastError reads a LastError object as its health answer writes it; other members are skipped.
func readLastError(r *jsontext.Reader) (*LastError, error) {
	le := &LastError{}
	err := r.Object(func(k string) (e error) {
		switch k {
		case "cause":
			le.Cause, e = r.String()
		case "at":
			le.At, e = r.String()
		default:
			e = r.Skip()
		}
		return e
	})
	return le, err
}

// OpenShard returns the shard over store; its limit windows and buckets start empty.
func OpenShard(name string, store ShardStore, limits ShardLimits) *Shard {
	count, _, _ := store.Stats()
	return &Shard{Name: name, store: store, limits: limits, queued: count, ids: map[string]*window{},
		buckets: newMemoryTable(maxMemoryKeys),
		Counts:  ShardCounts{Refused: map[string]int{}}}
}

// window counts what was sent in the last limitWindow, in five-second slots so that its size is
// bounded whatever the rate. A slot counts until a whole limitWindow has passed since its end, so
// the count never falls short of any sliding minute's.
type window struct {
	slot []int64 // the slots' starts, unix ms, oldest first
	n    []int
	in   int
}

const slotMs = 5000 // at most 13 slots a window

func (w *window) prune(now int64) {
	i := 0
	for i < len(w.slot) && w.slot[i]+slotMs+limitWindow.Milliseconds() <= now {
		w.in -= w.n[i]
		i++
	}
	if i > 0 {
		w.slot = append(w.slot[:0], w.slot[i:]...)
		w.n = append(w.n[:0], w.n[i:]...)
	}
}

func (w *window) add(now int64, n int) {
	slot := now - now%slotMs
	if k := len(w.slot) - 1; k >= 0 && w.slot[k] == slot {
		w.n[k] += n
	} else {
		w.slot = append(w.slot, slot)
		w.n = append(w.n, n)
	}
	w.in += n
}

// freeAt is when n more fit under limit, given what the window holds (now when they fit, -1
// never).
func (w *window) freeAt(now int64, n int, limit float64) int64 {
	over := float64(w.in+n) - limit
	if over <= 0 {
		return now
	}
	for i := range w.slot {
		over -= float64(w.n[i])
		if over <= 0 {
			return w.slot[i] + slotMs + limitWindow.Milliseconds()
		}
	}
	return -1 // n alone is over the limit
}

// Attempt is one bulk request to Heap: the events it carries, ready to send.
type Attempt struct {
	Events []Queued
	Direct bool // from the request, not yet stored
}

// Body is Heap's bulk track body for the attempt's events.
func (a *Attempt) Body(appID string) []byte {
	size := 32 + len(appID)
	for _, e := range a.Events {
		size += len(e.Body) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, `{"app_id":`...)
	b = appendQuoted(b, appID)
	b = append(b, `,"events":[`...)
	for i, e := range a.Events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.Body...)
	}
	return append(b, "]}"...)
}

// Reply is how Heap answered an attempt.
type Reply struct {
	Status     int           // 0: no answer
	RetryAfter time.Duration // Heap's Retry-After
	Cause      string        // the transport error, or the start of Heap's answer
	Location   string        // a redirect's Location
}

// Offer takes a request's events. It returns an attempt to send now when the limits allow all of
// them and no stored event is waiting for the limits; else it stores them (returning nil), to be
// delivered by Due. Stored events that only wait to be tried again do not hold new ones back:
// a request's events go at once, so a healed Heap gets them without waiting for a backoff.
func (s *Shard) Offer(now int64, events []Queued) *Attempt {
	if now >= s.limitedUntil && s.fits(now, events) {
		s.spend(now, events)
		return &Attempt{Events: events, Direct: true}
	}
	if s.queued == 0 || s.limitedUntil < now+1 {
		s.limitedUntil = now + 1 // until the next Due has looked at the limits
	}
	for i := range events {
		events[i].Enqueued, events[i].NextAt = now, now
	}
	s.queued += s.store.Put(events)
	return nil
}

// fits reports whether the limits allow sending events now.
func (s *Shard) fits(now int64, events []Queued) bool {
	s.app.prune(now)
	if float64(s.app.in+len(events)) > s.limits.AppPerMinute {
		return false
	}
	per := map[string]int{}
	for _, e := range events {
		per[e.Identity]++
	}
	for id, n := range per {
		w := s.ids[id]
		if w == nil {
			if n > s.limits.IdentityPerMinute {
				return false
			}
			continue
		}
		w.prune(now)
		if w.in+n > s.limits.IdentityPerMinute {
			return false
		}
	}
	return true
}

// spend counts events as sent now.
func (s *Shard) spend(now int64, events []Queued) {
	s.app.add(now, len(events))
	per := map[string]int{}
	for _, e := range events {
		per[e.Identity]++
	}
	for id, n := range per {
		w := s.ids[id]
		if w == nil {
			w = &window{}
			s.ids[id] = w
		}
		w.add(now, n)
	}
	if len(s.ids) > 4096 { // forget identities whose minute is over
		for id, w := range s.ids {
			if w.prune(now); w.in == 0 {
				delete(s.ids, id)
			}
		}
	}
}

// Due returns the next attempt from the store (events whose time has come, oldest first, as many
// as the limits allow now) and when to look again: 0 when nothing waits.
func (s *Shard) Due(now int64) (*Attempt, int64) {
	// Read from the store, not s.queued: a Go instance that replaced this one may have stored
	// events through its own Shard over the same object.
	if s.queued, _, _ = s.store.Stats(); s.queued == 0 {
		return nil, 0
	}
	due := s.store.Due(now, maxDeliverable)
	var expired []string
	var take []Queued
	s.app.prune(now)
	room := int(s.limits.AppPerMinute) - s.app.in
	per := map[string]int{}
	later := int64(0)
	for _, e := range due {
		if s.limits.MaxAge > 0 && now-e.Enqueued > s.limits.MaxAge.Milliseconds() {
			expired = append(expired, e.ID)
			continue
		}
		if len(take) >= room {
			later = s.app.freeAt(now, 1, s.limits.AppPerMinute)
			break
		}
		w := s.ids[e.Identity]
		used := per[e.Identity]
		if w != nil {
			w.prune(now)
			used += w.in
		}
		if used+1 > s.limits.IdentityPerMinute {
			at := now + limitWindow.Milliseconds()
			if w != nil {
				at = w.freeAt(now, per[e.Identity]+1, float64(s.limits.IdentityPerMinute))
			}
			if later == 0 || (at > 0 && at < later) {
				later = at
			}
			continue
		}
		per[e.Identity]++
		take = append(take, e)
	}
	if len(expired) > 0 {
		s.store.Delete(expired)
		s.queued -= len(expired)
		s.Counts.Refused[CodeExpired] += len(expired)
	}
	if later > 0 {
		s.limitedUntil = later
	} else {
		s.limitedUntil = 0
	}
	if len(take) > 0 {
		s.spend(now, take)
		return &Attempt{Events: take}, 0
	}
	return nil, s.wake(now, later)
}

// wake is when Due should run next: the earliest of a limit freeing up and a stored event's time.
func (s *Shard) wake(now, limit int64) int64 {
	count, _, next := s.store.Stats()
	s.queued = count
	if count == 0 {
		return 0
	}
	if limit > 0 && limit < next {
		next = limit
	}
	return max(next, now+1)
}

// Settle records how Heap answered a. It returns the events' outcome: delivered, rejected by
// Heap with a 4xx (not retried: the same body would be refused again), or kept for later.
func (s *Shard) Settle(now int64, a *Attempt, r Reply) (outcome SettleOutcome) {
	ids := make([]string, len(a.Events))
	for i, e := range a.Events {
		ids[i] = e.ID
	}
	switch {
	case r.Status/100 == 2:
		s.Counts.Delivered += len(a.Events)
		if !a.Direct {
			s.store.Delete(ids)
			s.queued -= len(ids)
		}
		return SettleDelivered
	case r.Status/100 == 4 && r.Status != 429:
		s.Counts.Refused[CodeHeapRejected] += len(a.Events)
		s.Counts.LastHeapError = &LastError{Cause: "HTTP " + strconv.Itoa(r.Status) + answerDetail(r.Cause), At: msTime(now)}
		if !a.Direct {
			s.store.Delete(ids)
			s.queued -= len(ids)
		}
		return SettleRejected
	}
	cause := r.Cause
	if r.Status != 0 {
		cause = "HTTP " + strconv.Itoa(r.Status) + answerDetail(r.Cause)
	}
	s.Counts.LastHeapError = &LastError{Cause: cause, At: msTime(now)}
	s.Counts.Retried += len(a.Events)
	for i := range a.Events {
		e := &a.Events[i]
		if a.Direct {
			e.Enqueued = now
		}
		e.Attempts++
		e.NextAt = now + retryDelay(e.Attempts, r.RetryAfter).Milliseconds()
	}
	if a.Direct {
		s.queued += s.store.Put(a.Events)
	} else {
		s.store.Reschedule(a.Events)
	}
	return SettleQueued
}

// SettleOutcome is what became of an attempt's events.
type SettleOutcome int

const (
	SettleDelivered SettleOutcome = iota
	SettleRejected
	SettleQueued
)

// retryDelay is the backoff before attempt n+1: 1 s doubling, or Heap's Retry-After, at most 60 s.
func retryDelay(attempts int, retryAfter time.Duration) time.Duration {
	d := firstRetry << min(attempts-1, 6)
	if retryAfter > 0 {
		d = retryAfter
	}
	return min(d, maxBackoff)
}

// Health is a shard's figures for GET /v1/health.
func (s *Shard) Health(now int64) ShardHealth {
	count, oldest, _ := s.store.Stats()
	s.queued = count
	h := ShardHealth{Queued: count, ShardCounts: s.Counts}
	if count > 0 {
		h.OldestAgeMs = now - oldest
	}
	return h
}

// ShardHealth is what a shard reports.
type ShardHealth struct {
	Queued      int   `json:"queued"`
	OldestAgeMs int64 `json:"oldestAgeMs"`
	ShardCounts
}

// msTime writes unix ms as RFC 3339 in UTC, always with milliseconds, so that texts sort as times.
func msTime(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// appendQuoted appends s as a JSON string.
func appendQuoted(b []byte, s string) []byte {
	j := jsontext.NewWriter(len(s) + 2)
	j.String(s)
	return append(b, j.Bytes()...)
}
