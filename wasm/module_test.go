//go:build js && wasm

package wasm

import (
	"strings"
	"syscall/js"
	"testing"
	"time"
)

// fakePage is a window with a recording heap, a recording console and a loader handoff.
type fakePage struct {
	window, heap, console, boot, api js.Value
	calls                            []string
	logs                             []string
	ready, failed                    string
	queued                           []js.Value
	funcs                            []js.Func
}

func (p *fakePage) fn(f func(this js.Value, args []js.Value) any) js.Func {
	jf := js.FuncOf(f)
	p.funcs = append(p.funcs, jf)
	return jf
}

func newFakePage(t *testing.T, settings map[string]any, queued ...map[string]any) *fakePage {
	p := &fakePage{window: js.Global().Get("Object").New(), console: js.Global().Get("Object").New(), boot: js.Global().Get("Object").New()}
	p.heap = p.newHeap("")
	p.window.Set("heap", p.heap)
	for _, level := range []string{"warn", "info", "debug", "error"} {
		level := level
		p.console.Set(level, p.fn(func(_ js.Value, args []js.Value) any {
			p.logs = append(p.logs, level+": "+args[0].String())
			return nil
		}))
	}
	if settings != nil {
		p.boot.Set("settings", js.ValueOf(settings))
	}
	p.boot.Set("overflow", 0)
	for _, q := range queued {
		p.queued = append(p.queued, js.ValueOf(q))
	}
	p.boot.Set("attach", p.fn(func(_ js.Value, args []js.Value) any {
		p.api = args[0]
		for _, q := range p.queued {
			p.api.Call("receive", q)
		}
		return nil
	}))
	p.boot.Set("ready", p.fn(func(js.Value, []js.Value) any { p.ready = "ready"; return nil }))
	p.boot.Set("fail", p.fn(func(_ js.Value, args []js.Value) any { p.failed = args[0].String(); return nil }))
	t.Cleanup(func() {
		for _, f := range p.funcs {
			f.Release()
		}
	})
	return p
}

// newHeap returns a heap object whose methods record "tag method args".
func (p *fakePage) newHeap(tag string) js.Value {
	heap := js.Global().Get("Object").New()
	for _, m := range []string{"track", "identify", "resetIdentity"} {
		m := m
		heap.Set(m, p.fn(func(_ js.Value, args []js.Value) any {
			parts := []string{tag + m}
			for _, a := range args {
				parts = append(parts, js.Global().Get("JSON").Call("stringify", a).String())
			}
			p.calls = append(p.calls, strings.Join(parts, " "))
			return nil
		}))
	}
	return heap
}

func (p *fakePage) start(t *testing.T) *Module {
	t.Helper()
	m, err := Start(Env{Window: p.window, Console: p.console, Object: js.Global().Get("Object"), Boot: p.boot})
	if err != nil {
		t.Fatalf("Start: %v (fail %q)", err, p.failed)
	}
	return m
}

func event(name string, payload map[string]any) map[string]any {
	return map[string]any{"k": "event", "n": name, "a": []any{payload}, "r": 0, "t": 0}
}

func object(pairs ...any) map[string]any {
	keys, vals := []any{}, []any{}
	for i := 0; i+1 < len(pairs); i += 2 {
		keys = append(keys, pairs[i])
		vals = append(vals, pairs[i+1])
	}
	return map[string]any{"t": "o", "k": keys, "v": vals}
}

func str(s string) map[string]any  { return map[string]any{"t": "s", "s": s} }
func num(f float64) map[string]any { return map[string]any{"t": "n", "n": f} }

var flow = object("id", num(7), "token", str("tok7"))

// TestStartDrainsQueueInOrder tests that queued entries are processed before ready, in order.
func TestStartDrainsQueueInOrder(t *testing.T) {
	p := newFakePage(t, nil,
		map[string]any{"k": "identify", "a": []any{str("alice")}},
		event("started", flow),
		event("step", object("id", num(7), "token", str("tok7"), "step", num(1), "totalSteps", num(3))),
	)
	p.start(t)
	want := []string{
		`identify "alice"`,
		`track "Userpilot Experience (started)" {"experience_id":7,"experience_token":"tok7","userpilot_user_id":"alice"}`,
		`track "Userpilot Experience (step)" {"experience_id":7,"experience_token":"tok7","step":1,"total_steps":3,"userpilot_user_id":"alice"}`,
	}
	if p.ready != "ready" || strings.Join(p.calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ready=%q calls:\n%s", p.ready, strings.Join(p.calls, "\n"))
	}
}

// TestHeapReadAtEveryCall tests that a replaced window.heap receives the later calls.
func TestHeapReadAtEveryCall(t *testing.T) {
	p := newFakePage(t, nil)
	p.start(t)
	p.api.Call("receive", js.ValueOf(event("started", flow)))
	p.window.Set("heap", p.newHeap("loaded."))
	p.api.Call("receive", js.ValueOf(event("completed", flow)))
	if len(p.calls) != 2 || !strings.HasPrefix(p.calls[0], "track") || !strings.HasPrefix(p.calls[1], "loaded.track") {
		t.Fatalf("calls %q", p.calls)
	}
}

// TestHeldUntilHeapAppears tests that events wait for window.heap and then arrive in order.
func TestHeldUntilHeapAppears(t *testing.T) {
	p := newFakePage(t, nil)
	p.window.Delete("heap")
	p.start(t)
	p.api.Call("receive", js.ValueOf(map[string]any{"k": "identify", "a": []any{str("alice")}}))
	p.api.Call("receive", js.ValueOf(event("started", flow)))
	if s := p.api.Call("stats"); s.Get("pending").Int() != 1 || len(p.calls) != 0 {
		t.Fatalf("pending %d, calls %q", s.Get("pending").Int(), p.calls)
	}
	p.window.Set("heap", p.heap)
	deadline := time.Now().Add(5 * time.Second)
	for len(p.calls) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if len(p.calls) != 2 || p.calls[0] != `identify "alice"` {
		t.Fatalf("calls %q", p.calls)
	}
	if s := p.api.Call("stats"); s.Get("pending").Int() != 0 || s.Get("forwarded").Int() != 1 {
		t.Fatalf("stats pending %d forwarded %d", s.Get("pending").Int(), s.Get("forwarded").Int())
	}
}

// TestThrowingHeapIsCounted tests that heap.track throwing becomes a counted drop.
func TestThrowingHeapIsCounted(t *testing.T) {
	p := newFakePage(t, nil)
	// A plain JS function, as the page's heap.track is; a JS throw must not cross a Go func.
	p.heap.Set("track", js.Global().Get("Function").New("throw new Error('heap broke')"))
	p.start(t)
	p.api.Call("receive", js.ValueOf(event("started", flow)))
	s := p.api.Call("stats")
	if s.Get("dropReasons").Get("heap_error").Int() != 1 || s.Get("forwarded").Int() != 0 {
		t.Fatalf("stats %s", js.Global().Get("JSON").Call("stringify", s))
	}
	if !strings.Contains(strings.Join(p.logs, "\n"), "heap broke") {
		t.Fatalf("logs %q", p.logs)
	}
}

// TestBadEntriesAndSettings tests that malformed loader entries and settings are reported, not fatal.
func TestBadEntriesAndSettings(t *testing.T) {
	p := newFakePage(t, map[string]any{"t": "o", "k": []any{"debug", "colour"}, "v": []any{str("yes"), str("red")}})
	p.start(t)
	p.api.Call("receive", js.ValueOf(map[string]any{"k": "event", "n": "started", "a": "not an array"}))
	p.api.Call("receive", js.ValueOf(event("started", flow)))
	logs := strings.Join(p.logs, "\n")
	if !strings.Contains(logs, `unknown setting "colour"`) || !strings.Contains(logs, `setting "debug" is a string`) {
		t.Fatalf("logs %q", logs)
	}
	s := p.api.Call("stats")
	if s.Get("received").Int() != 2 || s.Get("forwarded").Int() != 1 || s.Get("dropReasons").Get("internal_error").Int() != 1 {
		t.Fatalf("stats %s", js.Global().Get("JSON").Call("stringify", s))
	}
}

// TestQueueOverflowCounted tests that the loader's overflow is counted as received and dropped.
func TestQueueOverflowCounted(t *testing.T) {
	p := newFakePage(t, nil)
	p.boot.Set("overflow", 3)
	p.start(t)
	s := p.api.Call("stats")
	if s.Get("received").Int() != 3 || s.Get("dropReasons").Get("queue_full").Int() != 3 {
		t.Fatalf("stats %s", js.Global().Get("JSON").Call("stringify", s))
	}
}

// TestStartFailureReported tests that an unusable handoff rejects through fail(), not a crash.
func TestStartFailureReported(t *testing.T) {
	p := newFakePage(t, nil)
	p.boot.Set("attach", "not a function")
	if _, err := Start(Env{Window: p.window, Console: p.console, Object: js.Global().Get("Object"), Boot: p.boot}); err == nil || p.failed == "" {
		t.Fatalf("err %v failed %q", err, p.failed)
	}
}

// TestDeliveredCallsReported tests that each call made is reported to the loader with its arguments.
func TestDeliveredCallsReported(t *testing.T) {
	p := newFakePage(t, nil)
	var reported []string
	p.boot.Set("delivered", p.fn(func(_ js.Value, args []js.Value) any {
		parts := []string{args[0].String()}
		for _, a := range args[1:] {
			parts = append(parts, js.Global().Get("JSON").Call("stringify", a).String())
		}
		reported = append(reported, strings.Join(parts, " "))
		return nil
	}))
	p.start(t)
	p.api.Call("receive", js.ValueOf(map[string]any{"k": "identify", "a": []any{str("alice")}}))
	p.api.Call("receive", js.ValueOf(event("started", flow)))
	want := []string{`identify "alice"`, `track "Userpilot Experience (started)" {"experience_id":7,"experience_token":"tok7","userpilot_user_id":"alice"}`}
	if strings.Join(reported, "\n") != strings.Join(want, "\n") {
		t.Fatalf("reported:\n%s", strings.Join(reported, "\n"))
	}
}

// TestPinnedHeapTarget tests that a Heap the page gave Userpilot is called instead of window.heap.
func TestPinnedHeapTarget(t *testing.T) {
	p := newFakePage(t, nil)
	p.boot.Set("heapTarget", p.newHeap("pinned."))
	p.start(t)
	p.api.Call("receive", js.ValueOf(event("started", flow)))
	if len(p.calls) != 1 || !strings.HasPrefix(p.calls[0], "pinned.track") {
		t.Fatalf("calls %q", p.calls)
	}
}

// TestMissingIdentityMethodSkipped tests that a Heap without resetIdentity gets one warning, the
// call is skipped and not counted, and later events still arrive.
func TestMissingIdentityMethodSkipped(t *testing.T) {
	p := newFakePage(t, nil)
	p.heap.Delete("resetIdentity")
	p.start(t)
	for _, e := range []map[string]any{
		{"k": "identify", "a": []any{str("alice")}}, event("started", flow), {"k": "anonymous", "a": []any{}}, event("completed", flow),
	} {
		p.api.Call("receive", js.ValueOf(e))
	}
	s := p.api.Call("stats")
	if len(p.calls) != 3 || s.Get("resets").Int() != 0 || s.Get("forwarded").Int() != 2 || s.Get("pending").Int() != 0 {
		t.Fatalf("calls %q stats %s", p.calls, js.Global().Get("JSON").Call("stringify", s))
	}
	if logs := strings.Join(p.logs, "\n"); !strings.Contains(logs, "heap.resetIdentity failed and was skipped: it is not a function") {
		t.Fatalf("logs %q", logs)
	}
}
