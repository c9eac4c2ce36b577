//go:build js && wasm

package wasm

import "syscall/js"

// bootName is where the loader (main thread) or the worker script leaves its handoff object.
const bootName = "userpilotHeapBridgeBoot"

// Boot returns the loader's handoff object. It is the only place that looks up a global.
func Boot() js.Value {
	return js.Global().Get(bootName)
}
