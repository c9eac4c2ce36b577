//go:build js && wasm

package wasm

import "syscall/js"

// bootName is where the loader leaves its handoff object, in the private scope it runs Go in.
const bootName = "userpilotHeapBridgeBoot"

// PageEnv returns the page's objects. It is the only place that looks up globals.
func PageEnv() Env {
	global := js.Global() // the loader's scope: reads fall through to window, writes stay private
	return Env{
		Window:  global,
		Console: global.Get("console"),
		Object:  global.Get("Object"),
		Boot:    global.Get(bootName),
	}
}
