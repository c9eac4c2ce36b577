//go:build js && wasm

// Package wasm is the browser edge of userpilot-heap-bridge: it takes what the loader saw in the
// page, hands it to the pure core in package bridge, and makes the resulting calls on
// window.heap. It receives every JavaScript object it uses as a parameter (see Env), so tests
// run it under Node against fake userpilot and heap objects.
package wasm
