//go:build js && wasm

package wasm

import (
	"errors"
	"fmt"
	"syscall/js"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// errMethodMissing means a loaded Heap lacks an identity method; the call is skipped, not held.
var errMethodMissing = errors.New("method missing")

// deliver makes one call on whatever window.heap is now.
func (m *Module) deliver(c bridge.Call) (err error) {
	heap := m.env.Window.Get("heap")
	if t := heap.Type(); t != js.TypeObject && t != js.TypeFunction {
		return bridge.ErrHeapNotReady
	}
	fn := heap.Get(c.Method)
	if fn.Type() != js.TypeFunction {
		if c.Method != bridge.MethodTrack && heap.Get(bridge.MethodTrack).Type() == js.TypeFunction {
			return fmt.Errorf("heap.%s is not a function in this Heap snippet: %w", c.Method, errMethodMissing)
		}
		return bridge.ErrHeapNotReady
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r) // heap.* threw; js.Error carries the page's message
		}
	}()
	switch c.Method {
	case bridge.MethodTrack:
		heap.Call(c.Method, c.Event, propertiesObject(m.env.Object, c.Properties))
	case bridge.MethodIdentify:
		heap.Call(c.Method, c.Identity)
	default:
		heap.Call(c.Method)
	}
	return nil
}
