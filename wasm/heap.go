//go:build js && wasm

package wasm

import (
	"errors"
	"fmt"
	"syscall/js"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// deliver makes one call on whatever window.heap is now, and tells the loader it was made.
func (m *Module) deliver(c bridge.Call) (err error) {
	heap := m.heap()
	if t := heap.Type(); (t != js.TypeObject && t != js.TypeFunction) || !m.heapLoaded(heap) {
		return bridge.ErrHeapNotReady
	}
	fn := heap.Get(c.Method)
	if fn.Type() != js.TypeFunction {
		if c.Method != bridge.MethodTrack && heap.Get(bridge.MethodTrack).Type() == js.TypeFunction {
			// A loaded Heap without this identity method: the core skips the call with a warning.
			return errors.New("it is not a function in this Heap snippet")
		}
		return bridge.ErrHeapNotReady
	}
	var args []any
	switch c.Method {
	case bridge.MethodTrack:
		args = []any{c.Event, propertiesObject(m.env.Object, c.Properties)}
	case bridge.MethodIdentify:
		args = []any{c.Identity}
	case bridge.MethodAddUserProperties:
		args = []any{propertiesObject(m.env.Object, c.Properties)}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r) // heap.* threw; js.Error carries the page's message
		}
	}()
	heap.Call(c.Method, args...)
	m.notifyDelivered(c.Method, args)
	return nil
}

// notifyDelivered tells the loader about a call made, for history() and whenForwarded().
func (m *Module) notifyDelivered(method string, args []any) {
	defer func() { recover() }() // the loader's bookkeeping must not turn a delivered call into a drop
	if f := m.env.Boot.Get("delivered"); f.Type() == js.TypeFunction {
		f.Invoke(append([]any{method}, args...)...)
	}
}

// heap returns the Heap to call now: the instance the page gave Userpilot in
// integrations_interfaces when it is not window.heap, otherwise whatever window.heap is.
func (m *Module) heap() js.Value {
	if pinned := m.env.Boot.Get("heapTarget"); pinned.Type() == js.TypeObject || pinned.Type() == js.TypeFunction {
		return pinned
	}
	return m.env.Window.Get("heap")
}
