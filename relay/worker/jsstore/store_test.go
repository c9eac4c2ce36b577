//go:build js && wasm

package jsstore

import (
	"syscall/js"
	"testing"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
)

// jsEval returns the value of a JavaScript expression.
func jsEval(expr string) js.Value {
	return js.Global().Get("Function").New("return (" + expr + ");").Invoke()
}

// mapStore has the shape relay/worker/entry.mjs binds as RELAY_LIMITS, over a Map the test can read, with
// room for max keys and no forgetting; calls records what put was handed.
const mapStore = `((max) => { const m = new Map(); const scratch = new Uint8Array(24); const out = new DataView(scratch.buffer);
	const calls = []; return { m, calls, scratch,
	get(k) { const b = m.get(k); if (b === undefined) return false;
		out.setFloat64(0, b.tokens, true); out.setFloat64(8, b.at, true); out.setFloat64(16, b.fullAt, true); return true; },
	put(k, tokens, at, fullAt) { calls.push([typeof k, typeof tokens, typeof at, typeof fullAt].join(',')); m.set(k, { tokens, at, fullAt }); },
	admit(n, now) { return m.size + n <= max ? true : now + 1500; } }; })`

// fixedGet is a store whose get writes the given three numbers (JavaScript expressions) and
// answers the given value.
func fixedGet(answer, tokens, at, fullAt string) js.Value {
	return jsEval(`(() => { const scratch = new Uint8Array(24); const out = new DataView(scratch.buffer); return { scratch,
		get() { out.setFloat64(0, ` + tokens + `, true); out.setFloat64(8, ` + at + `, true); out.setFloat64(16, ` + fullAt + `, true); return ` + answer + `; },
		put() {}, admit() { return true; } }; })()`)
}

func TestNewRefusesWhatIsNotAStore(t *testing.T) {
	for _, expr := range []string{"undefined", "null", "42", `"store"`, "({})", "({get() {}})", "({get() {}, put() {}})",
		"({get() {}, put: 1, admit() {}})", "[]", "({get() {}, put() {}, admit() {}})",
		"({get() {}, put() {}, admit() {}, scratch: new Uint8Array(16)})", "({get() {}, put() {}, admit() {}, scratch: new Float64Array(3)})"} {
		if _, ok := New(jsEval(expr)); ok {
			t.Errorf("New(%s) took it for a store", expr)
		}
	}
	if _, ok := New(jsEval(mapStore + "(10)")); !ok {
		t.Fatal("New refused an object with get, put, admit and scratch")
	}
}

func TestRoundTrip(t *testing.T) {
	obj := jsEval(mapStore + "(10)")
	tb, _ := newTable(obj)
	if b, ok := tb.Get("client:203.0.113.9"); ok {
		t.Fatalf("Get of a missing key = %+v, true", b)
	}
	want := relay.Bucket{Tokens: 3.25, At: 1767225600123, FullAt: 1767225660000}
	tb.Put("client:203.0.113.9", want)
	if got, ok := tb.Get("client:203.0.113.9"); !ok || got != want {
		t.Fatalf("Get after Put = %+v, %v; want %+v, true", got, ok, want)
	}
	if calls := obj.Get("calls"); calls.Length() != 1 || calls.Index(0).String() != "string,number,number,number" {
		t.Errorf("put was handed %s, want one call with a key and three numbers", js.Global().Get("JSON").Call("stringify", calls))
	}
	// A second table over the same object sees the same buckets: that is how they outlive a Go instance.
	second, _ := newTable(obj)
	if got, ok := second.Get("client:203.0.113.9"); !ok || got != want {
		t.Fatalf("a new Table over the same object reads %+v, %v", got, ok)
	}
}

// TestTakeThroughJavaScript tests a relay.Store over the JavaScript object: tokens are spent
// across Stores over one object, and a full object refuses a new key with its time.
func TestTakeThroughJavaScript(t *testing.T) {
	obj := jsEval(mapStore + "(2)")
	now := time.UnixMilli(1_000_000)
	first, _ := New(obj)
	if got := first.Take(now, []relay.Want{{Key: "a", N: 2, PerMinute: 2}}); !got.OK {
		t.Fatalf("take: %+v", got)
	}
	second, _ := New(obj)
	if got := second.Take(now, []relay.Want{{Key: "a", N: 1, PerMinute: 2}}); got.OK || got.Full {
		t.Errorf("a's tokens were spent through another Store: %+v", got)
	}
	second.Take(now, []relay.Want{{Key: "b", N: 1, PerMinute: 2}})
	if got := second.Take(now, []relay.Want{{Key: "c", N: 1, PerMinute: 2}}); got.OK || !got.Full || got.Wait != 1500*time.Millisecond {
		t.Errorf("a third key in room for two: %+v, want full for 1.5 s", got)
	}
}

func TestMalformedEntriesReadAsMissing(t *testing.T) {
	for _, c := range []struct{ answer, tokens, at, fullAt string }{
		{"false", "1", "2", "3"}, {"undefined", "1", "2", "3"}, {"1", "1", "2", "3"}, {`"true"`, "1", "2", "3"},
		{"true", "NaN", "1", "1"}, {"true", "1", "Infinity", "1"}, {"true", "1", "1", "-Infinity"},
	} {
		tb, ok := newTable(fixedGet(c.answer, c.tokens, c.at, c.fullAt))
		if !ok {
			t.Fatal("newTable refused the store")
		}
		if b, ok := tb.Get("k"); ok {
			t.Errorf("get answering %s with %s, %s, %s read as %+v, true", c.answer, c.tokens, c.at, c.fullAt, b)
		}
	}
	tb, _ := newTable(fixedGet("true", "2.5", "1767225600123", "1767225660000"))
	if b, ok := tb.Get("k"); !ok || b != (relay.Bucket{Tokens: 2.5, At: 1767225600123, FullAt: 1767225660000}) {
		t.Errorf("a well-formed entry read as %+v, %v", b, ok)
	}
}

func TestThrowingStoreIsBestEffort(t *testing.T) {
	s, ok := New(jsEval(`({scratch: new Uint8Array(24), get() { throw new Error("get broke"); }, put() { throw new Error("put broke"); }, admit() { throw new Error("admit broke"); }})`))
	if !ok {
		t.Fatal("New refused the store")
	}
	if got := s.Take(time.UnixMilli(1), []relay.Want{{Key: "k", N: 1, PerMinute: 1}}); !got.OK {
		t.Errorf("a throwing store refused: %+v", got)
	}
}
