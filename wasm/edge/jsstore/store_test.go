//go:build js && wasm

package jsstore

import (
	"syscall/js"
	"testing"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
)

// jsEval returns the value of a JavaScript expression.
func jsEval(expr string) js.Value {
	return js.Global().Get("Function").New("return (" + expr + ");").Invoke()
}

// mapStore is the shape edge/entry.mjs binds as RELAY_LIMITS, over a Map the test can read.
const mapStore = `(() => { const m = new Map(); return { m,
	get(k) { const b = m.get(k); return b === undefined ? undefined : { tokens: b.tokens, at: b.at }; },
	put(k, b) { m.set(k, { tokens: b.tokens, at: b.at, keys: Object.keys(b).join(',') }); } }; })()`

func TestNewRefusesWhatIsNotAStore(t *testing.T) {
	for _, expr := range []string{"undefined", "null", "42", `"store"`, "({})", "({get() {}})", "({get() {}, put: 1})", "[]"} {
		if _, ok := New(jsEval(expr)); ok {
			t.Errorf("New(%s) took it for a store", expr)
		}
	}
	if _, ok := New(jsEval(mapStore)); !ok {
		t.Fatal("New refused an object with get and put")
	}
}

func TestRoundTrip(t *testing.T) {
	obj := jsEval(mapStore)
	s, _ := New(obj)
	if b, ok := s.Get("client:203.0.113.9"); ok {
		t.Fatalf("Get of a missing key = %+v, true", b)
	}
	want := relay.Bucket{Tokens: 3.25, At: 1767225600123}
	s.Put("client:203.0.113.9", want)
	if got, ok := s.Get("client:203.0.113.9"); !ok || got != want {
		t.Fatalf("Get after Put = %+v, %v; want %+v, true", got, ok, want)
	}
	saved := obj.Get("m").Call("get", "client:203.0.113.9")
	if keys := saved.Get("keys").String(); keys != "tokens,at" {
		t.Errorf("Put handed JavaScript an object with keys %q, want tokens,at", keys)
	}
	if saved.Get("tokens").Type() != js.TypeNumber || saved.Get("at").Type() != js.TypeNumber {
		t.Errorf("Put handed JavaScript tokens %v and at %v, want numbers", saved.Get("tokens").Type(), saved.Get("at").Type())
	}
	// A second store over the same object sees the same buckets: that is how they outlive a Go instance.
	again, _ := New(obj)
	if got, ok := again.Get("client:203.0.113.9"); !ok || got != want {
		t.Fatalf("a new Store over the same object reads %+v, %v", got, ok)
	}
}

func TestMalformedEntriesReadAsMissing(t *testing.T) {
	for _, entry := range []string{`5`, `"x"`, `null`, `({tokens: "1", at: 2})`, `({tokens: 1})`, `({tokens: NaN, at: 1})`, `({tokens: 1, at: Infinity})`} {
		s, _ := New(jsEval(`({get() { return ` + entry + `; }, put() {}})`))
		if b, ok := s.Get("k"); ok {
			t.Errorf("get returning %s read as %+v, true", entry, b)
		}
	}
}

func TestThrowingStoreIsBestEffort(t *testing.T) {
	s, ok := New(jsEval(`({get() { throw new Error("get broke"); }, put() { throw new Error("put broke"); }})`))
	if !ok {
		t.Fatal("New refused the store")
	}
	if _, ok := s.Get("k"); ok {
		t.Error("a throwing get read as a bucket")
	}
	s.Put("k", relay.Bucket{Tokens: 1, At: 2}) // must not panic
}
