//go:build js && wasm

// Command userpilot-heap-bridge is the Go module the loader runs in a Web Worker, or on the page's
// main thread when the page allows no worker.
package main

import "github.com/userpilot-heap-bridge/userpilot-heap-bridge/wasm"

func main() {
	wasm.Start(wasm.Boot())
	select {} // the loader calls step for as long as the page lives
}
