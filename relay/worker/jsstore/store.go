//go:build js && wasm

// Package jsstore lets the edge relay keep its rate-limit buckets in a JavaScript object that
// outlives one Go instance. One Go instance serves an isolate, but the glue may replace it (after
// many requests, at a memory cap, or on a failure), so the Worker's entry module (relay/worker/entry.mjs)
// holds the buckets in module scope and hands this object to Go as the RELAY_LIMITS binding:
//
//	get(key) → true, with tokens, at, fullAt written to scratch | false
//	put(key, tokens, at, fullAt)            never forgets another key to make room
//	admit(n, now) → true | unix ms          room for n new keys, forgetting only buckets full again
//	scratch                                 a Uint8Array of relay.BucketLen bytes (relay/bucketlayout.go)
//
// Each get or put is one call with numbers and a key: every crossing into JavaScript, and every
// object handed back to Go, costs more than the bucket arithmetic around it.
//
// Take is atomic within the isolate: relay.TableStore's lock orders the goroutines of this Go
// instance, and any other code in the isolate (a replacement Go instance included) runs only
// when this one yields to the JavaScript event loop, which a Take never does: its calls into
// JavaScript are synchronous and nothing in it blocks.
//
// It is its own package, without syumai/workers, so that its tests run under go_js_wasm_exec.
package jsstore

import (
	"math"
	"syscall/js"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
)

// Table is a relay.Table over a JavaScript object with get, put and admit methods and a scratch
// buffer. Its calls are serialised by relay.TableStore's lock, so one Go buffer serves them all.
type Table struct {
	obj     js.Value
	scratch js.Value
	buf     *[relay.BucketLen]byte
}

var _ relay.Table = Table{}

// New returns a relay.Store over v, or false when v is not an object with get, put and admit
// functions and a Uint8Array scratch of relay.BucketLen bytes (an absent binding is undefined).
func New(v js.Value) (relay.Store, bool) {
	t, ok := newTable(v)
	if !ok {
		return nil, false
	}
	return relay.NewTableStore(t), true
}

// newTable checks v's shape and returns a Table over it.
func newTable(v js.Value) (t Table, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if v.Type() != js.TypeObject && v.Type() != js.TypeFunction {
		return Table{}, false
	}
	for _, m := range []string{"get", "put", "admit"} {
		if v.Get(m).Type() != js.TypeFunction {
			return Table{}, false
		}
	}
	scratch := v.Get("scratch")
	if !scratch.InstanceOf(js.Global().Get("Uint8Array")) || scratch.Get("byteLength").Int() != relay.BucketLen {
		return Table{}, false
	}
	return Table{obj: v, scratch: scratch, buf: new([relay.BucketLen]byte)}, true
}

// Get returns the bucket saved under key. A missing key, a malformed entry or a throwing get
// all read as no bucket: the key then counts as new, and starts full if there is room for it.
func (t Table) Get(key string) (b relay.Bucket, ok bool) {
	defer func() {
		if recover() != nil {
			b, ok = relay.Bucket{}, false
		}
	}()
	if v := t.obj.Call("get", key); v.Type() != js.TypeBoolean || !v.Bool() {
		return relay.Bucket{}, false
	}
	js.CopyBytesToGo(t.buf[:], t.scratch)
	return relay.ReadBucket(t.buf[:])
}

// Put saves b under key. A throwing put is ignored: rate limiting is best effort.
func (t Table) Put(key string, b relay.Bucket) {
	defer func() { _ = recover() }()
	t.obj.Call("put", key, b.Tokens, float64(b.At), float64(b.FullAt))
}

// Admit asks for room for n new keys at now (unix ms): true, or the time a bucket is next full
// again. A throwing admit, or any other answer, admits: rate limiting is best effort.
func (t Table) Admit(n int, now int64) (ok bool, freeAt int64) {
	defer func() {
		if recover() != nil {
			ok, freeAt = true, 0
		}
	}()
	v := t.obj.Call("admit", n, float64(now))
	if v.Type() == js.TypeNumber && !math.IsNaN(v.Float()) && !math.IsInf(v.Float(), 0) {
		return false, max(int64(v.Float()), now)
	}
	return true, 0
}
