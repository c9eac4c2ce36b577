//go:build js && wasm

package wasm

import (
	"syscall/js"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// Boot returns the loader's handoff object. It is the only place that looks up a global.
func Boot() js.Value {
	return js.Global().Get(bridge.BootGlobal)
}
