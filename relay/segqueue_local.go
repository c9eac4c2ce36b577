package relay

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// SegmentQueueClient hands verified pages to the API key's queue.
type SegmentQueueClient interface {
	Page(ctx context.Context, now time.Time, p SegmentPage) (users int, duplicate bool, err error)
	Health(ctx context.Context, now time.Time) (SegmentHealth, error)
}

// ---- native: in memory ----

// localSegments is the native handler's queue, in memory: nothing survives a restart of the
// process. Jobs go by a timer (Deps.After), and before each page.
type localSegments struct {
	mu    sync.Mutex
	host  *SegmentHost
	q     *SegmentQueue
	api   upstream
	now   func() time.Time
	after func(time.Duration, func())
	timer bool
}

func newLocalSegments(cfg Config, deps Deps, api upstream) *localSegments {
	host := NewSegmentHost(cfg, deps.Log)
	return &localSegments{host: host, q: host.Open(newMemorySegmentStore()), api: api, now: deps.Now, after: deps.After}
}

func (l *localSegments) Page(ctx context.Context, now time.Time, p SegmentPage) (int, bool, error) {
	l.mu.Lock()
	step := l.host.Page(l.q, since(now), p.encode())
	l.mu.Unlock()
	users, dup, err := readPageAnswer([]byte(step.Answer))
	if err == nil {
		l.Pump(ctx)
	}
	return users, dup, err
}

// Pump sends the jobs whose time has come, one after the other, and sets a timer for the next.
func (l *localSegments) Pump(ctx context.Context) {
	for {
		l.mu.Lock()
		step := l.host.Due(l.q, since(l.now()))
		l.mu.Unlock()
		if step.Attempt == 0 {
			l.schedule(step.Alarm)
			return
		}
		a := l.api.post(ctx, []byte(step.Body), l.api.deadline)
		r := Reply{Status: a.status, RetryAfter: a.wait, Cause: a.detail}
		if a.err != "" || a.redirect != "" {
			r = Reply{Cause: a.err + a.redirect}
		}
		l.mu.Lock()
		l.host.Settle(step.Attempt, since(l.now()), r)
		l.mu.Unlock()
	}
}

func (l *localSegments) schedule(at int64) {
	if at == 0 || l.after == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer {
		return
	}
	l.timer = true
	l.after(time.Duration(max(0, at-since(l.now())))*time.Millisecond, func() {
		l.mu.Lock()
		l.timer = false
		l.mu.Unlock()
		l.Pump(context.Background())
	})
}

func (l *localSegments) Health(_ context.Context, now time.Time) (SegmentHealth, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.q.health(since(now)), nil
}

// memorySegmentStore is a SegmentStore in memory.
type memorySegmentStore struct {
	pages   map[string]int64
	members map[int64]map[string]bool
	order   map[int64][]string
	jobs    []Job
	seq     int64
	meta    map[string]int64
}

func newMemorySegmentStore() *memorySegmentStore {
	return &memorySegmentStore{pages: map[string]int64{}, members: map[int64]map[string]bool{}, order: map[int64][]string{}, meta: map[string]int64{}}
}

func (m *memorySegmentStore) PageSeen(key string) bool      { _, ok := m.pages[key]; return ok }
func (m *memorySegmentStore) MarkPage(key string, at int64) { m.pages[key] = at }
func (m *memorySegmentStore) AddMembers(seg int64, ids []string) {
	if m.members[seg] == nil {
		m.members[seg] = map[string]bool{}
	}
	for _, id := range ids {
		if !m.members[seg][id] {
			m.members[seg][id] = true
			m.order[seg] = append(m.order[seg], id)
		}
	}
}
func (m *memorySegmentStore) RemoveMembers(seg int64, ids []string) {
	for _, id := range ids {
		delete(m.members[seg], id)
	}
	kept := m.order[seg][:0]
	for _, id := range m.order[seg] {
		if m.members[seg][id] {
			kept = append(kept, id)
		}
	}
	m.order[seg] = kept
}
func (m *memorySegmentStore) Members(seg int64) []string {
	return append([]string(nil), m.order[seg]...)
}
func (m *memorySegmentStore) ForgetSegment(seg int64) {
	delete(m.members, seg)
	delete(m.order, seg)
}
func (m *memorySegmentStore) PushJob(j Job) {
	m.seq++
	j.Seq = m.seq
	m.jobs = append(m.jobs, j)
}
func (m *memorySegmentStore) FirstJob() (Job, bool) {
	if len(m.jobs) == 0 {
		return Job{}, false
	}
	return m.jobs[0], true
}
func (m *memorySegmentStore) DeleteJob(seq int64) {
	for i, j := range m.jobs {
		if j.Seq == seq {
			m.jobs = append(m.jobs[:i], m.jobs[i+1:]...)
			return
		}
	}
}
func (m *memorySegmentStore) SaveJob(j Job) {
	for i := range m.jobs {
		if m.jobs[i].Seq == j.Seq {
			m.jobs[i].NextAt, m.jobs[i].Attempts = j.NextAt, j.Attempts
		}
	}
}
func (m *memorySegmentStore) JobStats() (int, int64) {
	if len(m.jobs) == 0 {
		return 0, 0
	}
	return len(m.jobs), m.jobs[0].Enqueued
}
func (m *memorySegmentStore) Meta(key string) int64       { return m.meta[key] }
func (m *memorySegmentStore) SetMeta(key string, v int64) { m.meta[key] = v }

// ---- the Worker: one Durable Object per API key ----

// remoteSegments hands pages to the key's Durable Object (SEGMENTS namespace) through the Sender.
type remoteSegments struct {
	client Sender
	name   string
}

// NewRemoteSegments returns the queue client of a Worker with the SEGMENTS binding.
func NewRemoteSegments(client Sender, apiKey string) SegmentQueueClient {
	return remoteSegments{client: client, name: SegmentQueueName(apiKey)}
}

func (r remoteSegments) call(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, "do://SEGMENTS/"+r.name+"/"+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = errors.New(r.name + " answered HTTP " + strconv.Itoa(resp.StatusCode) + answerDetail(string(text)))
	}
	return text, err
}

func (r remoteSegments) Page(ctx context.Context, now time.Time, p SegmentPage) (int, bool, error) {
	text, err := r.call(ctx, http.MethodPost, "page", p.encode())
	if err != nil {
		return 0, false, err
	}
	return readPageAnswer(text)
}

func (r remoteSegments) Health(ctx context.Context, now time.Time) (SegmentHealth, error) {
	text, err := r.call(ctx, http.MethodGet, "health", nil)
	if err != nil {
		return SegmentHealth{}, err
	}
	return readSegmentHealth(text)
}
