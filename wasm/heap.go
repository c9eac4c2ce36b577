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
	heap := m.heap()
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
	case bridge.MethodAddUserProperties:
		heap.Call(c.Method, propertiesObject(m.env.Object, c.Properties))
	default:
		heap.Call(c.Method)
	}
	return nil
}

// heap returns the Heap to call now: the instance the page gave Userpilot in
// integrations_interfaces when it is not window.heap, otherwise whatever window.heap is.
func (m *Module) heap() js.Value {
	if pinned := m.env.Boot.Get("heapTarget"); pinned.Type() == js.TypeObject || pinned.Type() == js.TypeFunction {
		return pinned
	}
	return m.env.Window.Get("heap")
}
