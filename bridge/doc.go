// Package bridge is the pure core of userpilot-heap-bridge: the event model, normalisation of
// Userpilot payloads into Heap calls, Heap's web limits, identity rules, exactly-once delivery,
// settings and counters. It has no dependency on syscall/js so it runs and is tested natively;
// the wasm edge feeds it Inputs and delivers the Calls it produces to the page's window.heap.
package bridge
