//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/worker/jsstore"
)

// storeFrom returns the rate-limit store the Worker's entry module binds as RELAY_LIMITS, or an
// in-memory store when there is none (a Worker deployed without relay/worker/entry.mjs). The in-memory
// store lives as long as this Go instance: limits then restart when the glue replaces it.
func storeFrom(binding js.Value) relay.Store {
	if s, ok := jsstore.New(binding); ok {
		return s
	}
	return relay.NewMemoryStore()
}
