//go:build js && wasm

// Package sqlstore keeps a shard's queued events (relay.ShardStore) in a Durable Object's SQLite
// storage, the ctx.storage.sql object its glue (relay/worker/entry.mjs) hands to Go. Every call
// is synchronous: the object's writes within one event are committed together by the runtime.
package sqlstore

import (
	"syscall/js"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
)

const schema = `CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  identity TEXT NOT NULL,
  body TEXT NOT NULL,
  enqueued INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_next_at ON events (next_at)`

// Store is a relay.ShardStore over a SqlStorage object.
type Store struct{ sql js.Value }

var _ relay.ShardStore = Store{}

// Open creates the table when it is missing and returns the store.
func Open(sql js.Value) Store {
	sql.Call("exec", schema)
	return Store{sql: sql}
}

func (s Store) exec(query string, args ...any) js.Value {
	return s.sql.Call("exec", append([]any{query}, args...)...)
}

// Put implements relay.ShardStore.
func (s Store) Put(events []relay.Queued) int {
	added := 0
	for _, e := range events {
		c := s.exec("INSERT OR IGNORE INTO events (id, identity, body, enqueued, next_at, attempts) VALUES (?, ?, ?, ?, ?, ?)",
			e.ID, e.Identity, e.Body, float64(e.Enqueued), float64(e.NextAt), e.Attempts)
		c.Call("toArray") // a cursor runs its statement as it is read
		if c.Get("rowsWritten").Int() > 0 {
			added++
		}
	}
	return added
}

// Due implements relay.ShardStore.
func (s Store) Due(now int64, max int) []relay.Queued {
	rows := s.exec("SELECT id, identity, body, enqueued, next_at, attempts FROM events WHERE next_at <= ? ORDER BY seq LIMIT ?",
		float64(now), max).Call("raw").Call("toArray")
	out := make([]relay.Queued, rows.Length())
	for i := range out {
		r := rows.Index(i)
		out[i] = relay.Queued{ID: r.Index(0).String(), Identity: r.Index(1).String(), Body: r.Index(2).String(),
			Enqueued: int64(r.Index(3).Float()), NextAt: int64(r.Index(4).Float()), Attempts: r.Index(5).Int()}
	}
	return out
}

// Delete implements relay.ShardStore.
func (s Store) Delete(ids []string) {
	for _, id := range ids {
		s.exec("DELETE FROM events WHERE id = ?", id).Call("toArray")
	}
}

// Reschedule implements relay.ShardStore.
func (s Store) Reschedule(events []relay.Queued) {
	for _, e := range events {
		s.exec("UPDATE events SET next_at = ?, attempts = ? WHERE id = ?", float64(e.NextAt), e.Attempts, e.ID).Call("toArray")
	}
}

// Stats implements relay.ShardStore.
func (s Store) Stats() (count int, oldest, next int64) {
	r := s.exec("SELECT count(*), coalesce(min(enqueued), 0), coalesce(min(next_at), 0) FROM events").Call("raw").Call("toArray").Index(0)
	return r.Index(0).Int(), int64(r.Index(1).Float()), int64(r.Index(2).Float())
}
