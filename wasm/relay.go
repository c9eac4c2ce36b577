//go:build js && wasm

package wasm

import (
	"syscall/js"
)

// sendRelayBatches hands the core's relay batches to the loader: beacons now, since the page is
// going, and requests through fetch, whose answers come back as "relayed" inputs.
func (m *Module) sendRelayBatches() {
	for _, b := range m.core.RelayBatches(m.now()) {
		if b.Beacon {
			m.core.Beaconed(b.ID, b.Keepalive && m.callBoot("beacon", b.URL, b.Body, b.Signature).Truthy())
			continue
		}
		m.callBoot("relay", b.ID, b.URL, b.Body, b.Signature, b.Keepalive)
	}
}

// heapLoaded asks the loader whether heap is Heap's loaded SDK rather than a snippet's stub. It
// matters only with a relay: events then wait for the SDK instead of a stub that may never load.
func (m *Module) heapLoaded(heap js.Value) bool {
	if m.core.Settings().RelayURL == "" {
		return true
	}
	return m.callBoot("heapLoaded", heap).Truthy()
}

// now is the page's monotonic clock in ms, from the loader.
func (m *Module) now() float64 {
	if v := m.callBoot("now"); v.Type() == js.TypeNumber {
		return v.Float()
	}
	return 0
}

// callBoot calls a loader function if the loader has it; a missing one yields undefined.
func (m *Module) callBoot(name string, args ...any) js.Value {
	if f := m.env.Boot.Get(name); f.Type() == js.TypeFunction {
		return f.Invoke(args...)
	}
	return js.Undefined()
}

// startPage gives the core the page facts the relay needs, when the loader provides them.
func (m *Module) startPage() {
	page := m.env.Boot.Get("page")
	if page.Type() != js.TypeObject {
		return
	}
	m.core.SetPage(page.Get("session").String(), page.Get("timeOrigin").Float(), page.Get("started").Float())
}
