//go:build js && wasm

// Package wasm is the browser edge of userpilot-heap-bridge. It hands the loader one function,
// step, that takes a message of what happened in the page (JSON text) and returns the answer of
// what to do (bridge.Engine), so a batch crosses between JavaScript and Go a handful of times. It
// never touches page objects, which lets the same module run in a Web Worker or on the main thread.
package wasm
