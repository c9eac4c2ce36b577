//go:build js && wasm

package wasm

import (
	"encoding/json"
	"strings"
	"syscall/js"
	"testing"
)

// fakeBoot is the loader's handoff object: init text, attach(step) and fail(message).
type fakeBoot struct {
	obj    js.Value
	step   js.Value
	failed string
	funcs  []js.Func
}

func newFakeBoot(t *testing.T, init any) *fakeBoot {
	b := &fakeBoot{obj: js.Global().Get("Object").New()}
	if init != nil {
		b.obj.Set("init", init)
	}
	b.obj.Set("attach", b.fn(func(args []js.Value) { b.step = args[0] }))
	b.obj.Set("fail", b.fn(func(args []js.Value) { b.failed = args[0].String() }))
	t.Cleanup(func() {
		for _, f := range b.funcs {
			f.Release()
		}
	})
	return b
}

func (b *fakeBoot) fn(f func(args []js.Value)) js.Func {
	jf := js.FuncOf(func(_ js.Value, args []js.Value) any { f(args); return nil })
	b.funcs = append(b.funcs, jf)
	return jf
}

// answer is the part of an answer these tests read.
type answer struct {
	Calls    [][]any        `json:"c"`
	Messages [][]string     `json:"m"`
	Stats    map[string]any `json:"s"`
	X        string         `json:"x"`
}

func (b *fakeBoot) send(t *testing.T, msg any) answer {
	t.Helper()
	var text any = msg
	if m, ok := msg.([]any); ok {
		raw, _ := json.Marshal(m)
		text = string(raw)
	}
	out := b.step.Invoke(text)
	var a answer
	if err := json.Unmarshal([]byte(out.String()), &a); err != nil {
		t.Fatalf("answer %q: %v", out.String(), err)
	}
	return a
}

const readyHeap = 1 | 4 | 8 | 16 // bridge.HeapUsable | HeapIdentify | HeapReset | HeapUserProps

// TestStartHandsOverStep tests that Start reads the init text and hands the loader a step function
// that turns a message into Heap calls, identify before the event.
func TestStartHandsOverStep(t *testing.T) {
	b := newFakeBoot(t, `[null,"s1",1700000000000,0]`)
	if _, ok := Start(b.obj); !ok || b.step.Type() != js.TypeFunction {
		t.Fatalf("Start: ok=%v step=%v failed=%q", ok, b.step.Type(), b.failed)
	}
	a := b.send(t, []any{1, 1, 0, 5, readyHeap, []any{}, []any{}, []any{},
		[]any{"identify", "", 0, 1, 1, "alice"},
		[]any{"event", "started", 1, 1, 2, []any{"o", 0, "id", 7, "token", "tok7"}}})
	got, _ := json.Marshal(a.Calls)
	want := `[[1,"identify","alice"],[2,"track","Userpilot Experience (started)",{"experience_id":7,"experience_token":"tok7","userpilot_user_id":"alice"},"s1-1",1]]`
	if string(got) != want {
		t.Fatalf("calls %s\nwant  %s", got, want)
	}
	if a.Stats["forwarded"] != 1.0 || a.Stats["received"] != 1.0 {
		t.Fatalf("stats %v", a.Stats)
	}
}

// TestStartWithoutInit tests that a handoff without init text fails readably instead of panicking.
func TestStartWithoutInit(t *testing.T) {
	b := newFakeBoot(t, nil)
	if _, ok := Start(b.obj); ok || !strings.Contains(b.failed, "no settings") {
		t.Fatalf("ok=%v failed=%q", ok, b.failed)
	}
}

// TestStartWithBrokenHandoff tests that an attach that is not a function is reported, not fatal.
func TestStartWithBrokenHandoff(t *testing.T) {
	b := newFakeBoot(t, `[null,"s",0,0]`)
	b.obj.Set("attach", "not a function")
	if _, ok := Start(b.obj); ok || !strings.Contains(b.failed, "could not start") {
		t.Fatalf("ok=%v failed=%q", ok, b.failed)
	}
}

// TestStepBadInput tests that step answers an argument that is not a message with x, and a
// malformed message with a counted internal error and a console line.
func TestStepBadInput(t *testing.T) {
	b := newFakeBoot(t, `[null,"s",0,0]`)
	Start(b.obj)
	if a := b.send(t, 42); a.X == "" {
		t.Fatalf("a number: %+v", a)
	}
	a := b.send(t, `[1,3,0,0,1,[],[],[],["event"`)
	if a.Stats["dropped"] != 3.0 || !strings.Contains(strings.Join(a.Messages[0], " "), "unreadable message") {
		t.Fatalf("malformed: %+v", a)
	}
}
