package relay

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Queue takes a request's valid events and delivers them to Heap, now or later
// (docs/contract.md §10). Accept returns once every event is delivered or stored: refused lists
// those Heap refused with a 4xx when sent at once; an error means neither, and the page must send
// them again. The shards count the client limits (shardlimit.go) of client, the request's address:
// over one, the error is a *Limited.
type Queue interface {
	Accept(ctx context.Context, now time.Time, client string, events []Queued) (refused []Refusal, err error)
	Health(ctx context.Context, now time.Time) (ShardHealth, error)
}

// groupByShard splits events by ShardOf(identity), in the order shards first appear.
func groupByShard(events []Queued) (order []int, groups map[int][]Queued) {
	groups = map[int][]Queued{}
	for _, e := range events {
		n := ShardOf(e.Identity)
		if _, ok := groups[n]; !ok {
			order = append(order, n)
		}
		groups[n] = append(groups[n], e)
	}
	return order, groups
}

// clientIn is the client address to count in the i-th shard of a request: only the first counts
// the request, so a request over several shards costs its client one token.
func clientIn(i int, client string) string {
	if i == 0 {
		return client
	}
	return ""
}

// error is the answer's failure: a *Limited over a client limit, the shard's own error (named
// by prefix), or nil.
func (o offerAnswer) error(prefix string) error {
	switch {
	case o.err != "":
		return errors.New(prefix + o.err)
	case o.limitedMs > 0:
		return &Limited{Wait: time.Duration(o.limitedMs) * time.Millisecond, Why: o.detail}
	}
	return nil
}

// refusedBy turns a shard's rejection into refusals of its events.
func refusedBy(events []Queued, status int) []Refusal {
	out := make([]Refusal, len(events))
	for i, e := range events {
		out[i] = Refusal{ID: e.ID, Reason: CodeHeapRejected + ": Heap's API refused the batch with HTTP " + strconv.Itoa(status)}
	}
	return out
}

// ---- localQueue: the native handler's shards, in memory ----

// localQueue keeps the shards in this process's memory: nothing survives a restart of the
// process, unlike the Worker's Durable Objects. Stored events are delivered by a timer (After),
// and before each request's own.
type localQueue struct {
	mu     sync.Mutex
	host   *ShardHost
	shards [EventShards]*Shard
	api    upstream
	now    func() time.Time
	after  func(time.Duration, func())
	timer  bool // a timer is set
}

func newLocalQueue(cfg Config, deps Deps, api upstream) *localQueue {
	q := &localQueue{host: NewShardHost(cfg, deps.Log), api: api, now: deps.Now, after: deps.After}
	for i := range q.shards {
		q.shards[i] = q.host.Open(ShardName(i), newMemoryShardStore())
	}
	return q
}

// Accept implements Queue.
func (q *localQueue) Accept(ctx context.Context, now time.Time, client string, events []Queued) ([]Refusal, error) {
	q.Pump(ctx)
	order, groups := groupByShard(events)
	var refused []Refusal
	for i, n := range order {
		q.mu.Lock()
		step := q.host.Offer(q.shards[n], since(now), EncodeOffer(clientIn(i, client), groups[n]))
		q.mu.Unlock()
		step = q.run(ctx, step)
		o, err := readOfferAnswer([]byte(step.Answer))
		if err == nil {
			err = o.error("")
		}
		if err != nil {
			return nil, err
		}
		if o.rejected != 0 {
			refused = append(refused, refusedBy(groups[n], o.rejected)...)
		}
	}
	q.schedule()
	return refused, nil
}

// run sends step's attempt, if any, and returns the step after it.
func (q *localQueue) run(ctx context.Context, step Step) Step {
	if step.Attempt > 0 {
		r := q.post(ctx, []byte(step.Body))
		q.mu.Lock()
		step = q.host.Settle(step.Attempt, since(q.now()), r)
		q.mu.Unlock()
	}
	return step
}

// post makes one request to Heap.
func (q *localQueue) post(ctx context.Context, body []byte) Reply {
	a := q.api.post(ctx, body, q.api.deadline)
	switch {
	case a.redirect != "":
		return Reply{Cause: a.redirect}
	case a.err != "":
		return Reply{Cause: a.err}
	}
	return Reply{Status: a.status, RetryAfter: a.wait, Cause: a.detail}
}

// Pump delivers every stored event whose time has come, as the limits allow.
func (q *localQueue) Pump(ctx context.Context) {
	for i := range q.shards {
		for {
			q.mu.Lock()
			step := q.host.Due(q.shards[i], since(q.now()))
			q.mu.Unlock()
			if step.Attempt == 0 {
				break
			}
			q.run(ctx, step)
		}
	}
}

// schedule sets a timer for the earliest stored event, when the queue has an After.
func (q *localQueue) schedule() {
	if q.after == nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.timer {
		return
	}
	next := int64(0)
	for _, s := range q.shards {
		if count, _, at := s.store.Stats(); count > 0 && (next == 0 || at < next) {
			next = at
		}
	}
	if next == 0 {
		return
	}
	q.timer = true
	q.after(time.Duration(max(0, next-since(q.now())))*time.Millisecond, func() {
		q.mu.Lock()
		q.timer = false
		q.mu.Unlock()
		q.Pump(context.Background())
		q.schedule()
	})
}

// Health implements Queue.
func (q *localQueue) Health(_ context.Context, now time.Time) (ShardHealth, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var all []ShardHealth
	for _, s := range q.shards {
		all = append(all, s.Health(since(now)))
	}
	return sumHealth(all), nil
}

// sumHealth adds up the shards' figures; the last errors are the latest.
func sumHealth(all []ShardHealth) ShardHealth {
	out := ShardHealth{ShardCounts: ShardCounts{Refused: map[string]int{}}}
	for _, h := range all {
		out.Queued += h.Queued
		out.OldestAgeMs = max(out.OldestAgeMs, h.OldestAgeMs)
		out.Delivered += h.Delivered
		out.Retried += h.Retried
		for k, v := range h.Refused {
			out.Refused[k] += v
		}
		if h.LastHeapError != nil && (out.LastHeapError == nil || h.LastHeapError.At > out.LastHeapError.At) {
			out.LastHeapError = h.LastHeapError
		}
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ---- memoryShardStore ----

// memoryShardStore is a ShardStore in memory.
type memoryShardStore struct {
	seq    []string // ids in arrival order
	events map[string]Queued
}

func newMemoryShardStore() *memoryShardStore {
	return &memoryShardStore{events: map[string]Queued{}}
}

func (m *memoryShardStore) Put(events []Queued) int {
	added := 0
	for _, e := range events {
		if _, ok := m.events[e.ID]; ok {
			continue
		}
		m.events[e.ID] = e
		m.seq = append(m.seq, e.ID)
		added++
	}
	return added
}

func (m *memoryShardStore) Due(now int64, limit int) []Queued {
	var out []Queued
	for _, id := range m.seq {
		if e := m.events[id]; e.NextAt <= now {
			out = append(out, e)
			if len(out) == limit {
				break
			}
		}
	}
	return out
}

func (m *memoryShardStore) Delete(ids []string) {
	for _, id := range ids {
		delete(m.events, id)
	}
	kept := m.seq[:0]
	for _, id := range m.seq {
		if _, ok := m.events[id]; ok {
			kept = append(kept, id)
		}
	}
	m.seq = kept
}

func (m *memoryShardStore) Reschedule(events []Queued) {
	for _, e := range events {
		if old, ok := m.events[e.ID]; ok {
			old.NextAt, old.Attempts = e.NextAt, e.Attempts
			m.events[e.ID] = old
		}
	}
}

func (m *memoryShardStore) Stats() (count int, oldest, next int64) {
	for _, e := range m.events {
		if count == 0 || e.Enqueued < oldest {
			oldest = e.Enqueued
		}
		if count == 0 || e.NextAt < next {
			next = e.NextAt
		}
		count++
	}
	return count, oldest, next
}

// ---- remoteQueue: the Worker's shards, in Durable Objects ----

// remoteQueue sends each shard's events to its Durable Object (events-<n>, in the namespace the
// Worker binds as EVENTS), through the Sender: the Worker's glue (relay/worker/serve.mjs) turns a
// request to do://<binding>/<name>/<path> into a call on that object.
type remoteQueue struct {
	client Sender
}

// NewRemoteQueue returns the Queue of a Worker with the EVENTS binding.
func NewRemoteQueue(client Sender) Queue { return remoteQueue{client: client} }

// calls sends one request per shard (method, path, bodies[i] or none) at once and returns each
// shard's answer text or error.
func (q remoteQueue) calls(ctx context.Context, method string, shards []int, path string, bodies [][]byte) ([][]byte, []error) {
	texts := make([][]byte, len(shards))
	errs := make([]error, len(shards))
	reqs := make([]*http.Request, len(shards))
	for i, n := range shards {
		var body io.Reader
		if bodies != nil {
			body = bytes.NewReader(bodies[i])
		}
		reqs[i], errs[i] = http.NewRequestWithContext(ctx, method, "do://EVENTS/"+ShardName(n)+"/"+path, body)
	}
	resps := make([]*http.Response, len(shards))
	if b, ok := q.client.(BatchSender); ok && len(shards) > 1 && errors.Join(errs...) == nil {
		resps, errs = b.DoAll(reqs)
	} else {
		var wg sync.WaitGroup
		for i := range shards {
			if errs[i] != nil {
				continue
			}
			if len(shards) == 1 {
				resps[i], errs[i] = q.client.Do(reqs[i])
				continue
			}
			wg.Add(1)
			go func() { defer wg.Done(); resps[i], errs[i] = q.client.Do(reqs[i]) }()
		}
		wg.Wait()
	}
	for i, resp := range resps {
		if errs[i] != nil {
			continue
		}
		texts[i], errs[i] = io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
		resp.Body.Close()
		if errs[i] == nil && resp.StatusCode != http.StatusOK {
			errs[i] = errors.New(ShardName(shards[i]) + " answered HTTP " + strconv.Itoa(resp.StatusCode) + answerDetail(string(texts[i])))
		}
	}
	return texts, errs
}

// Accept implements Queue: one call per shard the events fall in, at once.
func (q remoteQueue) Accept(ctx context.Context, now time.Time, client string, events []Queued) ([]Refusal, error) {
	order, groups := groupByShard(events)
	bodies := make([][]byte, len(order))
	for i, n := range order {
		bodies[i] = EncodeOffer(clientIn(i, client), groups[n])
	}
	texts, errs := q.calls(ctx, http.MethodPost, order, "offer", bodies)
	var refused []Refusal
	for i, n := range order {
		err := errs[i]
		var o offerAnswer
		if err == nil {
			o, err = readOfferAnswer(texts[i])
		}
		if err == nil {
			err = o.error(ShardName(n) + ": ")
		}
		if err != nil {
			return nil, err
		}
		if o.rejected != 0 {
			refused = append(refused, refusedBy(groups[n], o.rejected)...)
		}
	}
	return refused, nil
}

// Health implements Queue: every shard's figures, added up.
func (q remoteQueue) Health(ctx context.Context, now time.Time) (ShardHealth, error) {
	shards := make([]int, EventShards)
	for i := range shards {
		shards[i] = i
	}
	texts, errs := q.calls(ctx, http.MethodGet, shards, "health", nil)
	all := make([]ShardHealth, EventShards)
	for i := range shards {
		if errs[i] == nil {
			all[i], errs[i] = readShardHealth(texts[i])
		}
	}
	if err := errors.Join(errs...); err != nil {
		return ShardHealth{}, err
	}
	return sumHealth(all), nil
}
