//go:build js && wasm

package main

import (
	"syscall/js"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/worker/sqlstore"
)

// The shards' Durable Objects (EventsShard in relay/worker/entry.mjs) call this Go instance
// through binding.events, synchronously; each call returns a relay.Step as one Uint8Array
// (stepValue), and the glue does its I/O (post to Heap, answer, set the alarm):
//
//	offer(env, key, sql, body, now) → step   a request's client and events (relay.EncodeOffer)
//	due(env, key, sql, now)          → step   the alarm: the next delivery of stored events
//	settle(attempt, status, retryAfterMs, cause, now, location) → step   (cause, location: text or null)
//	health(env, key, sql, now)       → JSON text
//
// key names the object (its id); sql is its ctx.storage.sql. A shard is opened again when its
// object brings another sql (the object restarted).
type durable struct {
	env    js.Value
	host   *relay.ShardHost
	seg    *relay.SegmentHost
	err    string
	shards map[string]openShard
	queues map[string]openQueue
}

type openQueue struct {
	sql js.Value
	q   *relay.SegmentQueue
}

type openShard struct {
	sql   js.Value
	shard *relay.Shard
}

func installDurable(binding js.Value) {
	d := &durable{shards: map[string]openShard{}, queues: map[string]openQueue{}}
	fn := func(f func(args []js.Value) any) js.Func {
		return js.FuncOf(func(_ js.Value, args []js.Value) (out any) {
			defer func() {
				if p := recover(); p != nil {
					out = stepValue(relay.Step{Answer: `{"error":"the shard failed"}`})
				}
			}()
			return f(args)
		})
	}
	binding.Set("events", js.ValueOf(map[string]any{
		"offer": fn(func(a []js.Value) any {
			s, step := d.shard(a[0], a[1].String(), a[2])
			if s == nil {
				return stepValue(step)
			}
			body := make([]byte, a[3].Length())
			js.CopyBytesToGo(body, a[3])
			return stepValue(d.host.Offer(s, int64(a[4].Float()), body))
		}),
		"due": fn(func(a []js.Value) any {
			s, step := d.shard(a[0], a[1].String(), a[2])
			if s == nil {
				return stepValue(step)
			}
			return stepValue(d.host.Due(s, int64(a[3].Float())))
		}),
		"settle": fn(func(a []js.Value) any {
			if d.host == nil {
				return stepValue(relay.Step{Answer: `{"error":"the shard lost track of the delivery"}`})
			}
			return stepValue(d.host.Settle(a[0].Int(), int64(a[4].Float()), relay.Reply{
				Status: a[1].Int(), RetryAfter: time.Duration(a[2].Float()) * time.Millisecond, Cause: text(a[3]), Location: text(a[5])}))
		}),
		"health": fn(func(a []js.Value) any {
			s, step := d.shard(a[0], a[1].String(), a[2])
			if s == nil {
				return step.Answer
			}
			return d.host.Health(s, int64(a[3].Float()))
		}),
	}))
	// binding.segments: the same for the segment job queue (SegmentsQueue in entry.mjs):
	// page(env, key, sql, body, now), due(env, key, sql, now), settle(attempt, status,
	// retryAfterMs, cause, now), health(env, key, sql, now).
	binding.Set("segments", js.ValueOf(map[string]any{
		"page": fn(func(a []js.Value) any {
			q, step := d.queue(a[0], a[1].String(), a[2])
			if q == nil {
				return stepValue(step)
			}
			body := make([]byte, a[3].Length())
			js.CopyBytesToGo(body, a[3])
			return stepValue(d.seg.Page(q, int64(a[4].Float()), body))
		}),
		"due": fn(func(a []js.Value) any {
			q, step := d.queue(a[0], a[1].String(), a[2])
			if q == nil {
				return stepValue(step)
			}
			return stepValue(d.seg.Due(q, int64(a[3].Float())))
		}),
		"settle": fn(func(a []js.Value) any {
			if d.seg == nil {
				return stepValue(relay.Step{})
			}
			return stepValue(d.seg.Settle(a[0].Int(), int64(a[4].Float()), relay.Reply{
				Status: a[1].Int(), RetryAfter: time.Duration(a[2].Float()) * time.Millisecond, Cause: text(a[3])}))
		}),
		"health": fn(func(a []js.Value) any {
			q, step := d.queue(a[0], a[1].String(), a[2])
			if q == nil {
				return step.Answer
			}
			return d.seg.Health(q, int64(a[3].Float()))
		}),
	}))
}

// queue returns the open segment queue of key, as shard does for a shard.
func (d *durable) queue(env js.Value, key string, sql js.Value) (*relay.SegmentQueue, relay.Step) {
	if _, step := d.configure(env); d.err != "" {
		return nil, step
	}
	o, ok := d.queues[key]
	if !ok || !o.sql.Equal(sql) {
		o = openQueue{sql: sql, q: d.seg.Open(sqlstore.OpenSegments(sql))}
		d.queues[key] = o
	}
	return o.q, relay.Step{}
}

// text is v's string, or "" for null (the glue passes null for no text: each string handed to Go
// costs it a finalizer).
func text(v js.Value) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// stepValue is a step as the glue reads it: one Uint8Array in relay.StepFields' layout (stepOf in
// relay/worker/entry.mjs is generated from it).
func stepValue(s relay.Step) js.Value {
	b := relay.AppendStep(make([]byte, 0, relay.StepLen(s)), s)
	a := uint8Array.New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

var uint8Array = js.Global().Get("Uint8Array")

// shard returns the open shard of key, opening it over sql when needed; with a configuration
// error it returns nil and a step answering it.
func (d *durable) shard(env js.Value, key string, sql js.Value) (*relay.Shard, relay.Step) {
	if _, step := d.configure(env); d.err != "" {
		return nil, step
	}
	o, ok := d.shards[key]
	if !ok || !o.sql.Equal(sql) {
		o = openShard{sql: sql, shard: d.host.Open(key, sqlstore.Open(sql))}
		d.shards[key] = o
	}
	return o.shard, relay.Step{}
}

// configure reads env's configuration when env is another than last time; with an error it
// returns a step answering it.
func (d *durable) configure(env js.Value) (bool, relay.Step) {
	if !d.env.Equal(env) {
		d.env = env
		d.err = ""
		cfg, err := relay.ConfigFromEnv(getenv(env))
		if err != nil {
			d.err = err.Error()
		}
		d.host = relay.NewShardHost(cfg, logLine)
		d.seg = relay.NewSegmentHost(cfg, logLine)
		d.shards = map[string]openShard{}
		d.queues = map[string]openQueue{}
	}
	if d.err != "" {
		return false, relay.Step{Answer: `{"error":` + quote("relay is misconfigured: "+d.err) + `}`}
	}
	return true, relay.Step{}
}

// console is the runtime's console: its log lines are what wrangler tail and workerd's output show.
var console = js.Global().Get("console")

// logLine writes one JSON log line with console.log: one call, where writing to os.Stdout goes
// through wasm_exec.js's file system shim and a callback, which cost a tenth of a request's CPU.
func logLine(line []byte) { console.Call("log", string(line)) }

// quote writes s as a JSON string.
func quote(s string) string {
	j := jsontext.NewWriter(len(s) + 2)
	j.String(s)
	return string(j.Bytes())
}
