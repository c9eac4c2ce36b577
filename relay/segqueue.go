package relay

import (
	"errors"
	"hash/fnv"
	"strconv"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
)

// The segment job queue (docs/contract.md §10): one queue per Userpilot API key, since Userpilot
// runs one bulk job at a time per account. A verified page is stored (its users split into jobs
// of at most MaxJobUsers) and answered; the queue then sends one job at a time, in the order the
// pages arrived, paced by USERPILOT_ROWS_PER_MINUTE, waiting out 429 and retrying 5xx. It
// remembers each segment's members, so that a drain sets "false" for each of them, and each page
// it applied, so that the same page twice is applied once. The Worker keeps the queue in one
// Durable Object per key (SEGMENTS, segments-<fnv32a of the key>); the native handler in memory.
const MaxJobUsers = 10000 // users per Bulk Identify request (docs/sdk-facts.md#up-bulk-identify)

// SegmentQueueName names the queue of a Userpilot API key without carrying the key.
func SegmentQueueName(apiKey string) string {
	h := fnv.New32a()
	h.Write([]byte(apiKey))
	return "segments-" + strconv.FormatUint(uint64(h.Sum32()), 16)
}

// Job is one Bulk Identify request waiting in the queue.
type Job struct {
	Seq      int64
	Body     string // Userpilot's body
	Rows     int
	Enqueued int64
	NextAt   int64
	Attempts int
}

// SegmentStore keeps a queue's pages, members and jobs. Each method is one statement or a few.
type SegmentStore interface {
	PageSeen(key string) bool
	MarkPage(key string, at int64)
	AddMembers(segment int64, ids []string)
	RemoveMembers(segment int64, ids []string)
	Members(segment int64) []string
	ForgetSegment(segment int64)
	PushJob(j Job)
	FirstJob() (Job, bool)
	DeleteJob(seq int64)
	SaveJob(j Job) // NextAt and Attempts
	JobStats() (count int, oldest int64)
	Meta(key string) int64
	SetMeta(key string, v int64)
}

// SegmentPage is a verified page as the Worker hands it to the queue.
type SegmentPage struct {
	Segment int64
	Drain   bool
	Key     string   // "<sync_task_id>:<page_number>", "" when the body gave neither
	Users   []string // for a sync: user ids
	Values  []string // "true" or "false", beside Users
}

// encode writes the page in length-prefixed fields.
func (p SegmentPage) encode() []byte {
	var b []byte
	field := func(s string) { b = appendField(b, s) }
	field(strconv.FormatInt(p.Segment, 10))
	field(strconv.FormatBool(p.Drain))
	field(p.Key)
	for i, u := range p.Users {
		field(u)
		field(p.Values[i])
	}
	return b
}

// decodeSegmentPage reads what encode wrote.
func decodeSegmentPage(b []byte) (p SegmentPage, err error) {
	r := fieldReader{rest: string(b)}
	field := r.next
	var seg, drain string
	if seg, err = field(); err == nil {
		if drain, err = field(); err == nil {
			p.Key, err = field()
		}
	}
	if err != nil {
		return p, err
	}
	if p.Segment, err = strconv.ParseInt(seg, 10, 64); err != nil {
		return p, err
	}
	p.Drain = drain == "true"
	for r.rest != "" {
		u, err := field()
		if err != nil {
			return p, err
		}
		v, err := field()
		if err != nil {
			return p, err
		}
		p.Users = append(p.Users, u)
		p.Values = append(p.Values, v)
	}
	return p, nil
}

// SegmentQueue is one API key's queue over its store, with its figures since it was opened.
type SegmentQueue struct {
	store  SegmentStore
	Counts SegmentCounts
}

// SegmentCounts are a queue's figures for GET /v1/health.
type SegmentCounts struct {
	Pages              int
	Duplicates         int
	JobsDelivered      int
	JobsRetried        int
	JobsRefused        int
	LastUserpilotError *LastError
}

// SegmentHost runs segment queues for whatever holds them, as ShardHost does for events.
type SegmentHost struct {
	cfg     Config
	log     func([]byte)
	pending map[int]pendingJob
	next    int
}

type pendingJob struct {
	q   *SegmentQueue
	job Job
	at  int64
}

// NewSegmentHost returns a host for cfg.
func NewSegmentHost(cfg Config, log func([]byte)) *SegmentHost {
	cfg = withDefaults(cfg)
	if log == nil {
		log = func([]byte) {}
	}
	return &SegmentHost{cfg: cfg, log: log, pending: map[int]pendingJob{}}
}

// Open returns the queue over store.
func (h *SegmentHost) Open(store SegmentStore) *SegmentQueue { return &SegmentQueue{store: store} }

const paceKey = "pace_until" // no job is sent before this unix ms: the last one is still running

// Page stores a page: its members, its jobs, and that it was seen. The answer is
// {"users": n, "duplicate": bool}.
func (h *SegmentHost) Page(q *SegmentQueue, now int64, wire []byte) Step {
	p, err := decodeSegmentPage(wire)
	if err != nil {
		return Step{Answer: `{"error":` + string(quoteJSON("the segment queue could not read the page: "+err.Error())) + `}`}
	}
	if p.Key != "" && q.store.PageSeen(p.Key) {
		q.Counts.Duplicates++
		return Step{Answer: `{"users":0,"duplicate":true}`}
	}
	q.Counts.Pages++
	key := SegmentPropertyPrefix + strconv.FormatInt(p.Segment, 10)
	var users, values []string
	if p.Drain {
		users = q.store.Members(p.Segment)
		for range users {
			values = append(values, "false")
		}
		q.store.ForgetSegment(p.Segment)
	} else {
		users, values = p.Users, p.Values
		var add, remove []string
		for i, u := range users {
			if values[i] == "true" {
				add = append(add, u)
			} else {
				remove = append(remove, u)
			}
		}
		q.store.AddMembers(p.Segment, add)
		q.store.RemoveMembers(p.Segment, remove)
	}
	for from := 0; from < len(users); from += MaxJobUsers {
		to := min(from+MaxJobUsers, len(users))
		chunk := make([]bulkUser, 0, to-from)
		for i := from; i < to; i++ {
			chunk = append(chunk, bulkUser{UserID: users[i], Metadata: map[string]string{key: values[i]}})
		}
		q.store.PushJob(Job{Body: string(bulkIdentify{Users: chunk}.json()), Rows: len(chunk), Enqueued: now, NextAt: now})
	}
	if p.Key != "" {
		q.store.MarkPage(p.Key, now)
	}
	return Step{Answer: `{"users":` + strconv.Itoa(len(users)) + `,"duplicate":false}`, Alarm: now}
}

// Due starts the next job, or says when to look again (0: nothing waits).
func (h *SegmentHost) Due(q *SegmentQueue, now int64) Step {
	for {
		j, ok := q.store.FirstJob()
		if !ok {
			return Step{}
		}
		if now-j.Enqueued > h.cfg.DeliveryMaxAge.Milliseconds() {
			q.store.DeleteJob(j.Seq)
			q.Counts.JobsRefused++
			continue
		}
		at := max(j.NextAt, q.store.Meta(paceKey))
		if at > now {
			return Step{Alarm: at}
		}
		h.next++
		h.pending[h.next] = pendingJob{q: q, job: j, at: now}
		return Step{Attempt: h.next, URL: h.cfg.UserpilotAPIURL + bulkIdentifyPath, Body: j.Body, Auth: "Token " + h.cfg.UserpilotAPIKey}
	}
}

// Settle takes Userpilot's reply to a job and asks for Due again (Alarm).
func (h *SegmentHost) Settle(id int, now int64, r Reply) Step {
	p, ok := h.pending[id]
	if !ok {
		return Step{}
	}
	delete(h.pending, id)
	q, j := p.q, p.job
	outcome := "delivered"
	switch {
	case r.Status/100 == 2:
		q.store.DeleteJob(j.Seq)
		q.Counts.JobsDelivered++
		// Userpilot works through the rows after answering: the next job waits until it is done.
		q.store.SetMeta(paceKey, now+int64(float64(j.Rows)/float64(h.cfg.UserpilotRowsPerMinute)*60000))
	case r.Status/100 == 4 && r.Status != 429:
		outcome = "refused"
		q.store.DeleteJob(j.Seq)
		q.Counts.JobsRefused++
		q.Counts.LastUserpilotError = &LastError{Cause: "HTTP " + strconv.Itoa(r.Status) + answerDetail(r.Cause), At: msTime(now)}
	default:
		outcome = "retried"
		cause := r.Cause
		if r.Status != 0 {
			cause = "HTTP " + strconv.Itoa(r.Status) + answerDetail(r.Cause)
		}
		q.Counts.LastUserpilotError = &LastError{Cause: cause, At: msTime(now)}
		q.Counts.JobsRetried++
		j.Attempts++
		j.NextAt = now + retryDelay(j.Attempts, r.RetryAfter).Milliseconds()
		q.store.SaveJob(j)
	}
	j2 := jsontext.NewWriter(200)
	j2.BeginObject()
	j2.Key("what")
	j2.String("userpilot bulk identify")
	j2.Key("rows")
	j2.Int(j.Rows)
	j2.Key("status")
	j2.Int(r.Status)
	j2.Key("outcome")
	j2.String(outcome)
	j2.Key("ms")
	j2.Int(int(now - p.at))
	if outcome != "delivered" {
		j2.Key("cause")
		j2.String(r.Cause)
	}
	j2.EndObject()
	h.log(j2.Bytes())
	return Step{Alarm: now}
}

// Health is the queue's figures as JSON.
func (h *SegmentHost) Health(q *SegmentQueue, now int64) string {
	j := jsontext.NewWriter(256)
	q.health(now).write(j)
	return string(j.Bytes())
}

// SegmentHealth is what a segment queue reports.
type SegmentHealth struct {
	JobsQueued  int
	OldestAgeMs int64
	SegmentCounts
}

func (q *SegmentQueue) health(now int64) SegmentHealth {
	count, oldest := q.store.JobStats()
	h := SegmentHealth{JobsQueued: count, SegmentCounts: q.Counts}
	if count > 0 {
		h.OldestAgeMs = now - oldest
	}
	return h
}

func (sh SegmentHealth) write(j *jsontext.Writer) {
	j.BeginObject()
	for _, f := range []struct {
		k string
		v int
	}{{"jobsQueued", sh.JobsQueued}, {"oldestAgeMs", int(sh.OldestAgeMs)}, {"pages", sh.Pages}, {"duplicatePages", sh.Duplicates},
		{"jobsDelivered", sh.JobsDelivered}, {"jobsRetried", sh.JobsRetried}, {"jobsRefused", sh.JobsRefused}} {
		j.Key(f.k)
		j.Int(f.v)
	}
	j.Key("lastUserpilotError")
	writeLastError(j, sh.LastUserpilotError)
	j.EndObject()
}

// readSegmentHealth reads what write wrote.
func readSegmentHealth(text []byte) (sh SegmentHealth, err error) {
	r := jsontext.NewReader(text)
	ints := map[string]*int{"jobsQueued": &sh.JobsQueued, "pages": &sh.Pages, "duplicatePages": &sh.Duplicates,
		"jobsDelivered": &sh.JobsDelivered, "jobsRetried": &sh.JobsRetried, "jobsRefused": &sh.JobsRefused}
	err = r.Object(func(key string) error {
		if p, ok := ints[key]; ok || key == "oldestAgeMs" {
			n, err := r.Number()
			if err != nil {
				return err
			}
			v, _ := strconv.ParseInt(string(n), 10, 64)
			if ok {
				*p = int(v)
			} else {
				sh.OldestAgeMs = v
			}
			return nil
		}
		if key == "lastUserpilotError" {
			if r.Null() {
				return nil
			}
			le, e := readLastError(r)
			sh.LastUserpilotError = le
			return e
		}
		return r.Skip()
	})
	return sh, err
}

// quoteJSON writes s as a JSON string.
func quoteJSON(s string) []byte {
	j := jsontext.NewWriter(len(s) + 2)
	j.String(s)
	return j.Bytes()
}

// segmentsAnswer reads a queue's answer to a page.
func readPageAnswer(text []byte) (users int, duplicate bool, err error) {
	r := jsontext.NewReader(text)
	var e string
	err = r.Object(func(key string) error {
		switch key {
		case "users":
			n, err := r.Number()
			users, _ = strconv.Atoi(string(n))
			return err
		case "duplicate":
			var err error
			duplicate, err = r.Bool()
			return err
		case "error":
			var err error
			e, err = r.String()
			return err
		}
		return r.Skip()
	})
	if err == nil && e != "" {
		err = errors.New(e)
	}
	return users, duplicate, err
}
