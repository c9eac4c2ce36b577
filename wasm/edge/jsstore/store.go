//go:build js && wasm

// Package jsstore lets the edge relay keep its rate-limit buckets in a JavaScript object that
// outlives one Go instance. syumai/workers starts a new Go program for every request, so the
// Worker's entry module (edge/entry.mjs) holds the buckets in module scope and hands this object
// to Go as the RELAY_LIMITS binding: {get(key) → {tokens, at} | undefined, put(key, {tokens, at})}.
//
// It is its own package, without syumai/workers, so that its tests run under go_js_wasm_exec.
package jsstore

import (
	"math"
	"syscall/js"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
)

// Store is a relay.Store over a JavaScript object with get and put methods.
type Store struct {
	obj js.Value
}

var _ relay.Store = Store{}

// New wraps v as a relay.Store, or returns false when v is not an object with get and put
// functions (an absent binding is undefined).
func New(v js.Value) (Store, bool) {
	if v.Type() != js.TypeObject && v.Type() != js.TypeFunction {
		return Store{}, false
	}
	if v.Get("get").Type() != js.TypeFunction || v.Get("put").Type() != js.TypeFunction {
		return Store{}, false
	}
	return Store{obj: v}, true
}

// Get returns the bucket saved under key. A missing key, a malformed entry or a throwing get
// all read as no bucket: the limiter then starts the key afresh, which errs on letting through.
func (s Store) Get(key string) (b relay.Bucket, ok bool) {
	defer func() {
		if recover() != nil {
			b, ok = relay.Bucket{}, false
		}
	}()
	v := s.obj.Call("get", key)
	if v.Type() != js.TypeObject {
		return relay.Bucket{}, false
	}
	tokens, at := v.Get("tokens"), v.Get("at")
	if tokens.Type() != js.TypeNumber || at.Type() != js.TypeNumber {
		return relay.Bucket{}, false
	}
	t, ms := tokens.Float(), at.Float()
	if math.IsNaN(t) || math.IsInf(t, 0) || math.IsNaN(ms) || math.IsInf(ms, 0) {
		return relay.Bucket{}, false
	}
	return relay.Bucket{Tokens: t, At: int64(ms)}, true
}

// Put saves b under key. A throwing put is ignored: rate limiting is best effort.
func (s Store) Put(key string, b relay.Bucket) {
	defer func() { _ = recover() }()
	entry := js.Global().Get("Object").New()
	entry.Set("tokens", b.Tokens)
	entry.Set("at", float64(b.At))
	s.obj.Call("put", key, entry)
}
