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

// mapStore has the shape edge/entry.mjs binds as RELAY_LIMITS, over a Map the test can read, with
// room for max keys and no forgetting.
const mapStore = `((max) => { const m = new Map(); return { m,
	get(k) { const b = m.get(k); return b === undefined ? undefined : { tokens: b.tokens, at: b.at, fullAt: b.fullAt }; },
	put(k, b) { m.set(k, { tokens: b.tokens, at: b.at, fullAt: b.fullAt, keys: Object.keys(b).join(',') }); },
	admit(n, now) { return m.size + n <= max ? true : now + 1500; } }; })`

func TestNewRefusesWhatIsNotAStore(t *testing.T) {
	for _, expr := range []string{"undefined", "null", "42", `"store"`, "({})", "({get() {}})", "({get() {}, put() {}})",
		"({get() {}, put: 1, admit() {}})", "[]"} {
		if _, ok := New(jsEval(expr)); ok {
			t.Errorf("New(%s) took it for a store", expr)
		}
	}
	if _, ok := New(jsEval(mapStore + "(10)")); !ok {
		t.Fatal("New refused an object with get, put and admit")
	}
}

func TestRoundTrip(t *testing.T) {
	obj := jsEval(mapStore + "(10)")
	tb := Table{obj: obj}
	if b, ok := tb.Get("client:203.0.113.9"); ok {
		t.Fatalf("Get of a missing key = %+v, true", b)
	}
	want := relay.Bucket{Tokens: 3.25, At: 1767225600123, FullAt: 1767225660000}
	tb.Put("client:203.0.113.9", want)
	if got, ok := tb.Get("client:203.0.113.9"); !ok || got != want {
		t.Fatalf("Get after Put = %+v, %v; want %+v, true", got, ok, want)
	}
	saved := obj.Get("m").Call("get", "client:203.0.113.9")
	if keys := saved.Get("keys").String(); keys != "tokens,at,fullAt" {
		t.Errorf("Put handed JavaScript an object with keys %q, want tokens,at,fullAt", keys)
	}
	// A second table over the same object sees the same buckets: that is how they outlive a Go instance.
	if got, ok := (Table{obj: obj}).Get("client:203.0.113.9"); !ok || got != want {
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
	for _, entry := range []string{`5`, `"x"`, `null`, `({tokens: "1", at: 2, fullAt: 3})`, `({tokens: 1, at: 2})`,
		`({tokens: NaN, at: 1, fullAt: 1})`, `({tokens: 1, at: Infinity, fullAt: 1})`} {
		tb := Table{obj: jsEval(`({get() { return ` + entry + `; }, put() {}, admit() { return true; }})`)}
		if b, ok := tb.Get("k"); ok {
			t.Errorf("get returning %s read as %+v, true", entry, b)
		}
	}
}

func TestThrowingStoreIsBestEffort(t *testing.T) {
	s, ok := New(jsEval(`({get() { throw new Error("get broke"); }, put() { throw new Error("put broke"); }, admit() { throw new Error("admit broke"); }})`))
	if !ok {
		t.Fatal("New refused the store")
	}
	if got := s.Take(time.UnixMilli(1), []relay.Want{{Key: "k", N: 1, PerMinute: 1}}); !got.OK {
		t.Errorf("a throwing store refused: %+v", got)
	}
}
