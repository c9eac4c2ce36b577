//go:build js && wasm

package wasm

import (
	"syscall/js"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// Start reads the loader's init text from boot.init, builds the engine and hands boot.attach the
// step function. A failure goes to boot.fail, which rejects ready() with it.
func Start(boot js.Value) (step js.Func, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
			failStart(boot, "the module could not start: "+panicText(r))
		}
	}()
	init := boot.Get("init")
	if init.Type() != js.TypeString {
		failStart(boot, "the loader gave the module no settings")
		return js.Func{}, false
	}
	engine := bridge.NewEngine(init.String())
	step = js.FuncOf(func(_ js.Value, args []js.Value) (answer any) {
		defer func() {
			if r := recover(); r != nil {
				answer = `{"x":` + quoteJSON(panicText(r)) + `}` // the loader counts the message's events
			}
		}()
		if len(args) == 0 || args[0].Type() != js.TypeString {
			return `{"x":"internal: step needs a message"}`
		}
		return engine.Step(args[0].String())
	})
	boot.Call("attach", step)
	return step, true
}

func failStart(boot js.Value, why string) {
	defer func() { recover() }() // a broken handoff has nobody to tell
	boot.Call("fail", why)
}

// panicText renders a recovered value without fmt, which the module does not carry.
func panicText(r any) string {
	switch v := r.(type) {
	case error:
		return v.Error()
	case string:
		return v
	case js.Value:
		return v.String()
	}
	return "unexpected failure"
}

// quoteJSON quotes s as a JSON string, with the core's writer.
func quoteJSON(s string) string { return bridge.JSONString(s) }
