//go:build js && wasm

package sqlstore

import (
	"encoding/json"
	"syscall/js"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
)

const segmentSchema = `CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS members (seq INTEGER PRIMARY KEY AUTOINCREMENT, segment INTEGER NOT NULL, user TEXT NOT NULL, UNIQUE (segment, user));
CREATE TABLE IF NOT EXISTS jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, rows INTEGER NOT NULL,
  enqueued INTEGER NOT NULL, next_at INTEGER NOT NULL, attempts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`

// Segments is a relay.SegmentStore over a SqlStorage object: the pages applied, each segment's
// members, the jobs in the order they were queued.
type Segments struct{ Store }

var _ relay.SegmentStore = Segments{}

// OpenSegments creates the tables when they are missing and returns the store.
func OpenSegments(sql js.Value) Segments {
	sql.Call("exec", segmentSchema)
	return Segments{Store{sql: sql}}
}

func (s Segments) run(query string, args ...any) js.Value {
	return s.exec(query, args...).Call("raw").Call("toArray")
}

func (s Segments) PageSeen(key string) bool {
	return s.run("SELECT 1 FROM pages WHERE key = ?", key).Length() > 0
}

func (s Segments) MarkPage(key string, at int64) {
	s.run("INSERT OR IGNORE INTO pages (key, at) VALUES (?, ?)", key, float64(at))
}

// AddMembers inserts ids in one statement: the ids cross into JavaScript as one JSON array.
func (s Segments) AddMembers(segment int64, ids []string) {
	if len(ids) > 0 {
		s.run("INSERT OR IGNORE INTO members (segment, user) SELECT ?, value FROM json_each(?) ORDER BY key", float64(segment), jsonArray(ids))
	}
}

func (s Segments) RemoveMembers(segment int64, ids []string) {
	if len(ids) > 0 {
		s.run("DELETE FROM members WHERE segment = ? AND user IN (SELECT value FROM json_each(?))", float64(segment), jsonArray(ids))
	}
}

func jsonArray(ids []string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

func (s Segments) Members(segment int64) []string {
	rows := s.run("SELECT user FROM members WHERE segment = ? ORDER BY seq", float64(segment))
	out := make([]string, rows.Length())
	for i := range out {
		out[i] = rows.Index(i).Index(0).String()
	}
	return out
}

func (s Segments) ForgetSegment(segment int64) {
	s.run("DELETE FROM members WHERE segment = ?", float64(segment))
}

func (s Segments) PushJob(j relay.Job) {
	s.run("INSERT INTO jobs (body, rows, enqueued, next_at, attempts) VALUES (?, ?, ?, ?, ?)",
		j.Body, j.Rows, float64(j.Enqueued), float64(j.NextAt), j.Attempts)
}

func (s Segments) FirstJob() (relay.Job, bool) {
	rows := s.run("SELECT seq, body, rows, enqueued, next_at, attempts FROM jobs ORDER BY seq LIMIT 1")
	if rows.Length() == 0 {
		return relay.Job{}, false
	}
	r := rows.Index(0)
	return relay.Job{Seq: int64(r.Index(0).Float()), Body: r.Index(1).String(), Rows: r.Index(2).Int(),
		Enqueued: int64(r.Index(3).Float()), NextAt: int64(r.Index(4).Float()), Attempts: r.Index(5).Int()}, true
}

func (s Segments) DeleteJob(seq int64) { s.run("DELETE FROM jobs WHERE seq = ?", float64(seq)) }

func (s Segments) SaveJob(j relay.Job) {
	s.run("UPDATE jobs SET next_at = ?, attempts = ? WHERE seq = ?", float64(j.NextAt), j.Attempts, float64(j.Seq))
}

func (s Segments) JobStats() (int, int64) {
	r := s.run("SELECT count(*), coalesce(min(enqueued), 0) FROM jobs").Index(0)
	return r.Index(0).Int(), int64(r.Index(1).Float())
}

func (s Segments) Meta(key string) int64 {
	rows := s.run("SELECT value FROM meta WHERE key = ?", key)
	if rows.Length() == 0 {
		return 0
	}
	return int64(rows.Index(0).Index(0).Float())
}

func (s Segments) SetMeta(key string, v int64) {
	s.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, float64(v))
}
