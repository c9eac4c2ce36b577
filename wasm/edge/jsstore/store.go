//go:build js && wasm

// Package jsstore lets the edge relay keep its rate-limit buckets in a JavaScript object that
// outlives one Go instance. One Go instance serves an isolate, but the glue may replace it (after
// many requests, at a memory cap, or on a failure), so the Worker's entry module (edge/entry.mjs)
// holds the buckets in module scope and hands this object to Go as the RELAY_LIMITS binding:
//
//	get(key) → {tokens, at, fullAt} | undefined
//	put(key, {tokens, at, fullAt})          never forgets another key to make room
//	admit(n, now) → true | unix ms          room for n new keys, forgetting only buckets full again
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

// Table is a relay.Table over a JavaScript object with get, put and admit methods.
type Table struct {
	obj js.Value
}

var _ relay.Table = Table{}

// New returns a relay.Store over v, or false when v is not an object with get, put and admit
// functions (an absent binding is undefined).
func New(v js.Value) (relay.Store, bool) {
	if v.Type() != js.TypeObject && v.Type() != js.TypeFunction {
		return nil, false
	}
	for _, m := range []string{"get", "put", "admit"} {
		if v.Get(m).Type() != js.TypeFunction {
			return nil, false
		}
	}
	return relay.NewTableStore(Table{obj: v}), true
}

// Get returns the bucket saved under key. A missing key, a malformed entry or a throwing get
// all read as no bucket: the key then counts as new, and starts full if there is room for it.
func (t Table) Get(key string) (b relay.Bucket, ok bool) {
	defer func() {
		if recover() != nil {
			b, ok = relay.Bucket{}, false
		}
	}()
	v := t.obj.Call("get", key)
	if v.Type() != js.TypeObject {
		return relay.Bucket{}, false
	}
	var n [3]float64
	for i, name := range []string{"tokens", "at", "fullAt"} {
		f := v.Get(name)
		if f.Type() != js.TypeNumber || math.IsNaN(f.Float()) || math.IsInf(f.Float(), 0) {
			return relay.Bucket{}, false
		}
		n[i] = f.Float()
	}
	return relay.Bucket{Tokens: n[0], At: int64(n[1]), FullAt: int64(n[2])}, true
}

// Put saves b under key. A throwing put is ignored: rate limiting is best effort.
func (t Table) Put(key string, b relay.Bucket) {
	defer func() { _ = recover() }()
	entry := js.Global().Get("Object").New()
	entry.Set("tokens", b.Tokens)
	entry.Set("at", float64(b.At))
	entry.Set("fullAt", float64(b.FullAt))
	t.obj.Call("put", key, entry)
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
