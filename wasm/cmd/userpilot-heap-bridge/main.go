//go:build js && wasm

// Command userpilot-heap-bridge is the Go module the loader runs in the page.
package main

import "github.com/userpilot-heap-bridge/userpilot-heap-bridge/wasm"

func main() {
	wasm.Start(wasm.PageEnv())
	select {} // the page's callbacks need the program alive
}
